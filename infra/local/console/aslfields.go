package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// stateView is one state of the definition as the execution page lists it:
// its query language and the fields that shape its data.
type stateView struct {
	Name, Type    string
	QueryLanguage string // JSONata or JSONPath
	Fields        []stateField
}

// stateField is one data field of a state. A field holding one value has
// a single entry with no key; an object or array has one entry per leaf.
type stateField struct {
	Name    string
	Entries []fieldEntry
	More    int // entries left off
}

// fieldEntry is one leaf of a field: a {% %} expression is shown as code,
// anything else as its JSON text.
type fieldEntry struct {
	Key   string // "MessageBody.taskToken", "" for the field itself
	Value string
	Expr  bool
}

// maxEntries bounds the leaves listed per field.
const maxEntries = 40

// Fields listed per query language, in this order when present.
var (
	jsonataFields = []string{"Items", "ItemSelector", "Arguments", "Output", "Assign"}
	// jsonataExprFields are shown when they are an expression: a number
	// or a literal timestamp is not data handling.
	jsonataExprFields = []string{"TimeoutSeconds", "HeartbeatSeconds", "Seconds", "Timestamp",
		"MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage", "Error", "Cause"}
	jsonPathFields = []string{"InputPath", "ItemsPath", "ItemSelector", "Parameters", "Result", "ResultSelector",
		"ResultPath", "OutputPath", "Assign", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath",
		"TimestampPath", "ErrorPath", "CausePath"}
)

// isExpr tells a JSONata {% %} expression from a plain string.
func isExpr(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// parseDefinition parses a definition, forgiving an unsubstituted number
// placeholder, which is not JSON and whose value nothing here needs.
func parseDefinition(definition string) (aslMachine, error) {
	m, err := parseASL(definition)
	if err != nil && placeholder().MatchString(definition) {
		m, err = parseASL(placeholder().ReplaceAllString(definition, "0"))
	}
	return m, err
}

// stateViews lists the top-level states of a definition, in written order,
// with their query language and data fields.
func stateViews(m aslMachine) []stateView {
	out := make([]stateView, 0, len(m.Names))
	for _, name := range m.Names {
		st := m.States[name]
		lang := st.QueryLanguage
		if lang == "" {
			lang = m.QueryLanguage
		}
		if lang == "" {
			lang = "JSONPath"
		}
		v := stateView{Name: name, Type: st.Type, QueryLanguage: lang}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(st.raw, &raw) // parseASL decoded it already
		add := func(field string, b json.RawMessage) {
			f := stateField{Name: field}
			f.Entries, f.More = flatten(b)
			v.Fields = append(v.Fields, f)
		}
		if lang == "JSONata" {
			for _, f := range jsonataFields {
				if b, ok := raw[f]; ok {
					add(f, b)
				}
			}
			for _, f := range jsonataExprFields {
				var s string
				if b, ok := raw[f]; ok && json.Unmarshal(b, &s) == nil && isExpr(s) {
					add(f, b)
				}
			}
		} else {
			for _, f := range jsonPathFields {
				if b, ok := raw[f]; ok {
					add(f, b)
				}
			}
		}
		for i, c := range st.Choices {
			name := fmt.Sprintf("Choices[%d] → %s", i, c.Next)
			if lang == "JSONata" && c.Condition != "" {
				v.Fields = append(v.Fields, stateField{Name: name,
					Entries: []fieldEntry{{Key: "Condition", Value: c.Condition, Expr: isExpr(c.Condition)}}})
			} else if lang != "JSONata" {
				v.Fields = append(v.Fields, stateField{Name: name, Entries: []fieldEntry{{Value: c.label()}}})
			}
		}
		out = append(out, v)
	}
	return out
}

// flatten lists the leaves of a JSON value in written order, each with its
// path below the field; it stops after maxEntries and counts the rest.
func flatten(b json.RawMessage) ([]fieldEntry, int) {
	var out []fieldEntry
	more := 0
	leaf := func(key string, tok json.Token) {
		if len(out) >= maxEntries {
			more++
			return
		}
		e := fieldEntry{Key: key}
		if s, ok := tok.(string); ok {
			e.Expr = isExpr(s)
			if e.Expr {
				e.Value = s
			} else {
				e.Value = strconv.Quote(s)
			}
		} else if tok == nil {
			e.Value = "null"
		} else {
			e.Value = fmt.Sprint(tok)
		}
		out = append(out, e)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var walk func(key string) error
	walk = func(key string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			empty := true
			for dec.More() {
				empty = false
				k, err := dec.Token()
				if err != nil {
					return err
				}
				ks, _ := k.(string)
				if key != "" {
					ks = key + "." + ks
				}
				if err := walk(ks); err != nil {
					return err
				}
			}
			if empty {
				leaf(key, json.Number("{}"))
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			i := 0
			for ; dec.More(); i++ {
				if err := walk(key + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
			if i == 0 {
				leaf(key, json.Number("[]"))
			}
			_, err = dec.Token()
			return err
		}
		leaf(key, tok)
		return nil
	}
	if err := walk(""); err != nil && !errors.Is(err, io.EOF) {
		return []fieldEntry{{Value: string(b)}}, 0
	}
	return out, more
}
