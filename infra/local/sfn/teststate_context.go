package sfn

import (
	"encoding/json"
	"sort"

	"loanflow/infra/local/asl/expr"
)

// A TestState request's context is the whole context object ($$) of the
// state under test ("A JSON string representing a valid Context object for
// the state under test. This field may only be specified if a mock is
// specified in the same request.", API reference, TestStateInput): it
// replaces the one TestState would make, members left out stay out. Its
// members and their types are checked as AWS checks them, with AWS's
// wording ("Invalid Context object provided: ...", LocalStack
// test_state_context_object, recorded against AWS).

// contextFields are the members a given context object may have, and
// theirs, by type: "string", "integer", "object", or "" for any value.
var contextFields = map[string]map[string]string{
	"Execution":    {"Id": "string", "Input": "", "Name": "string", "RoleArn": "string", "StartTime": "string", "RedriveCount": "integer"},
	"State":        {"EnteredTime": "string", "Name": "string", "RetryCount": "integer"},
	"StateMachine": {"Id": "string", "Name": "string"},
	"Task":         {"Token": "string"},
}

// parseTestContext decodes and checks a request's context; withTask says
// whether the state may have a Task member (a Task state with the .sync or
// .waitForTaskToken pattern).
func parseTestContext(raw string, withTask bool) (map[string]any, error) {
	v, err := expr.Decode([]byte(raw))
	if err != nil {
		return nil, contextErr("%v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, contextErr("the context object must be a JSON object")
	}
	for _, key := range sortedKeys(obj) {
		fields, known := contextFields[key]
		switch {
		case key == "Map":
			return nil, contextErr("'Map' field is not supported when mocking a Context object")
		case !known:
			return nil, contextErr("Field '%s' is not allowed", key)
		}
		member, ok := obj[key].(map[string]any)
		if !ok {
			return nil, contextErr("%s must be a object", key)
		}
		for _, f := range sortedKeys(member) {
			typ, known := fields[f]
			if !known {
				return nil, contextErr("Field '%s' is not allowed", f)
			}
			if !contextTyped(member[f], typ) {
				return nil, contextErr("%s.%s must be a %s", key, f, typ)
			}
		}
	}
	if _, ok := obj["Task"]; ok && !withTask {
		return nil, contextErr("Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern")
	}
	return obj, nil
}

func contextTyped(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	}
	return true
}

func contextErr(format string, args ...any) error {
	return apiErr(CodeValidationException, "Invalid Context object provided: "+format, args...)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
