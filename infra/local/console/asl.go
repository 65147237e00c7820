package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// aslState is the part of an ASL state the drawing needs.
type aslState struct {
	Type     string
	Resource string
	Next     string
	End      bool
	Default  string
	Choices  []aslChoice
	Catch    []struct {
		ErrorEquals []string
		Next        string
	}
	Branches      []json.RawMessage
	ItemProcessor json.RawMessage
	Iterator      json.RawMessage
	QueryLanguage string
	raw           json.RawMessage // the state as written, for its fields
}

// aslChoice is a Choice rule: its target and enough to label the arrow.
type aslChoice struct {
	Next      string
	Variable  string
	Condition string // JSONata
	And, Or   []json.RawMessage
	Not       json.RawMessage
	op        string
	value     any
}

// comparisons are the Choice operators drawn as a symbol; the others keep
// their name.
var comparisons = map[string]string{
	"Equals": "=", "LessThan": "<", "GreaterThan": ">",
	"LessThanEquals": "≤", "GreaterThanEquals": "≥",
}

// UnmarshalJSON keeps the one comparison operator the rule carries.
func (c *aslChoice) UnmarshalJSON(b []byte) error {
	type plain aslChoice
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		switch k {
		case "Next", "Variable", "Condition", "And", "Or", "Not", "Comment", "Assign", "Output":
		default:
			c.op, c.value = k, v
		}
	}
	return nil
}

// label is a short text for the rule's arrow: "loanToValueBps ≤ 7500".
func (c aslChoice) label() string {
	switch {
	case c.Condition != "":
		return strings.Trim(strings.TrimSpace(c.Condition), "{}% ")
	case len(c.And) > 0:
		return fmt.Sprintf("all of %d rules", len(c.And))
	case len(c.Or) > 0:
		return fmt.Sprintf("any of %d rules", len(c.Or))
	case c.Not != nil:
		return "not …"
	}
	field := c.Variable
	if i := strings.LastIndexAny(field, ".$"); i >= 0 && i < len(field)-1 {
		field = field[i+1:]
	}
	op := strings.TrimSuffix(c.op, "Path")
	for _, prefix := range []string{"String", "Numeric", "Timestamp", "Boolean"} {
		op = strings.TrimPrefix(op, prefix)
	}
	if sym, ok := comparisons[op]; ok {
		op = sym
	}
	switch v := c.value.(type) {
	case string:
		if strings.HasSuffix(c.op, "Path") {
			return fmt.Sprintf("%s %s %s", field, op, v)
		}
		return fmt.Sprintf("%s %s %q", field, op, v)
	case nil:
		return field
	default:
		return fmt.Sprintf("%s %s %v", field, op, v)
	}
}

// aslMachine is a parsed definition with its states in the order written.
type aslMachine struct {
	StartAt       string
	QueryLanguage string // the default of every state
	Names         []string
	States        map[string]aslState
}

// parseASL reads the definition the drawing needs. The states keep their
// written order, which seeds the left-to-right order of the drawing.
func parseASL(definition string) (aslMachine, error) {
	var top struct {
		StartAt       string
		QueryLanguage string
		States        json.RawMessage
	}
	if err := json.Unmarshal([]byte(definition), &top); err != nil {
		return aslMachine{}, fmt.Errorf("parse definition: %w", err)
	}
	if top.StartAt == "" || len(top.States) == 0 {
		return aslMachine{}, errors.New("parse definition: no StartAt or States")
	}
	m := aslMachine{StartAt: top.StartAt, QueryLanguage: top.QueryLanguage, States: map[string]aslState{}}
	dec := json.NewDecoder(bytes.NewReader(top.States))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return aslMachine{}, errors.New("parse definition: States is not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return aslMachine{}, fmt.Errorf("parse definition: States: %w", err)
		}
		name, _ := tok.(string)
		var st aslState
		if err := dec.Decode(&st.raw); err != nil {
			return aslMachine{}, fmt.Errorf("parse definition: state %q: %w", name, err)
		}
		if err := json.Unmarshal(st.raw, &st); err != nil {
			return aslMachine{}, fmt.Errorf("parse definition: state %q: %w", name, err)
		}
		if _, dup := m.States[name]; !dup {
			m.Names = append(m.Names, name)
		}
		m.States[name] = st
	}
	if _, ok := m.States[m.StartAt]; !ok {
		return aslMachine{}, fmt.Errorf("parse definition: StartAt %q is not a state", m.StartAt)
	}
	return m, nil
}

// subtitle is the small second line of a state's box.
func (st aslState) subtitle() string {
	switch st.Type {
	case "Task":
		r := strings.TrimPrefix(st.Resource, "arn:aws:states:::")
		if strings.HasPrefix(r, "arn:") {
			r = execName(r) // a Lambda or activity ARN: keep its name
		}
		if base, ok := strings.CutSuffix(r, ".waitForTaskToken"); ok {
			r = base + " (callback)"
		}
		return r
	case "Parallel":
		if len(st.Branches) == 1 {
			return "1 branch"
		}
		return fmt.Sprintf("%d branches", len(st.Branches))
	case "Map":
		return "for each item"
	}
	return ""
}
