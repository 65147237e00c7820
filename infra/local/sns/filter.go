package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"loanflow/infra/local/eventpattern"
)

// Filter policy limits, as SNS documents them.
const (
	maxFilterPolicySize = 256 * 1024
	maxFilterKeys       = 5
	maxFilterCombos     = 150
)

// filter is a compiled FilterPolicy. SNS filter policies are EventBridge
// patterns in all but their scope, so the EventBridge matcher does the
// matching: with the MessageAttributes scope over an object of the
// message's attributes (String as a string, Number as a number,
// String.Array as an array, Binary left out), with the MessageBody scope
// over the message itself, which must be a JSON object.
type filter struct {
	pattern *eventpattern.Pattern // nil: matches nothing
	body    bool
}

// matchNothing stands for a stored policy this version cannot compile.
var matchNothing = &filter{}

// compileFilterPolicy checks a FilterPolicy for the given scope.
func compileFilterPolicy(text string, bodyScope bool) (*filter, error) {
	if len(text) > maxFilterPolicySize {
		return nil, fmt.Errorf("filter policy is too large (%d bytes; at most %d)", len(text), maxFilterPolicySize)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("failed to parse JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("failed to parse JSON: unexpected data after the policy")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("filter policy must be a JSON object")
	}
	keys := map[string]bool{}
	combos, err := policyShape(obj, "", bodyScope, keys, 0)
	if err != nil {
		return nil, err
	}
	if len(keys) > maxFilterKeys {
		return nil, fmt.Errorf("filter policy can not have more than %d keys", maxFilterKeys)
	}
	if combos > maxFilterCombos {
		return nil, fmt.Errorf("filter policy is too complex: it has %d combinations of values; at most %d are allowed", combos, maxFilterCombos)
	}
	p, err := eventpattern.Compile([]byte(text))
	if err != nil {
		var ip *eventpattern.InvalidPatternError
		if errors.As(err, &ip) {
			return nil, errors.New(ip.Message)
		}
		return nil, err
	}
	return &filter{pattern: p, body: bodyScope}, nil
}

// policyShape checks the nesting the scope allows, collects the keys (the
// dotted paths to value lists) and returns the number of combinations of
// values the policy has, as SNS counts them toward its limit.
func policyShape(obj map[string]any, prefix string, body bool, keys map[string]bool, depth int) (int, error) {
	if depth > 5 {
		return 0, errors.New("filter policy is nested too deeply")
	}
	combos := 1
	for k, v := range obj {
		if k == "$or" {
			branches, ok := v.([]any)
			if !ok || len(branches) < 2 {
				return 0, errors.New("$or must be an array of at least two objects")
			}
			sum := 0
			for _, b := range branches {
				bo, ok := b.(map[string]any)
				if !ok {
					return 0, errors.New("$or must be an array of at least two objects")
				}
				n, err := policyShape(bo, prefix, body, keys, depth+1)
				if err != nil {
					return 0, err
				}
				sum += n
			}
			combos *= sum
			continue
		}
		switch x := v.(type) {
		case []any:
			keys[prefix+k] = true
			combos *= max(len(x), 1)
		case map[string]any:
			if !body {
				return 0, errors.New("filter policy scope MessageAttributes does not support nested filter policy")
			}
			n, err := policyShape(x, prefix+k+".", body, keys, depth+1)
			if err != nil {
				return 0, err
			}
			combos *= n
		default:
			return 0, fmt.Errorf("%q must be an object or an array", k)
		}
	}
	return combos, nil
}

// match reports whether a message passes the filter.
func (f *filter) match(message string, attrs map[string]MessageAttribute) bool {
	if f.pattern == nil {
		return false
	}
	if f.body {
		ok, err := f.pattern.Match([]byte(message))
		return err == nil && ok
	}
	return f.pattern.MatchValue(attributeDocument(attrs))
}

// attributeDocument is the object a MessageAttributes-scope policy matches.
func attributeDocument(attrs map[string]MessageAttribute) map[string]any {
	doc := make(map[string]any, len(attrs))
	for name, a := range attrs {
		switch baseType(a.DataType) {
		case "String":
			if a.DataType == "String.Array" {
				dec := json.NewDecoder(bytes.NewReader([]byte(a.StringValue)))
				dec.UseNumber()
				var arr []any
				if dec.Decode(&arr) == nil {
					doc[name] = arr
					continue
				}
			}
			doc[name] = a.StringValue
		case "Number":
			if f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64); err == nil {
				doc[name] = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			}
		}
	}
	return doc
}

func baseType(dataType string) string {
	base, _, _ := strings.Cut(dataType, ".")
	return base
}
