package sfn

import (
	"encoding/json"
	"fmt"
)

// TestState checks a mocked Task result against the output shape of the
// integration's API (MockInput fieldValidationMode: STRICT, the default,
// "All required fields must be present, and all present fields must conform
// to the API's schema"; PRESENT, "All present fields must conform to the
// API's schema"; NONE, no validation). Fields the API does not have are not
// checked. The shapes are those of the integrations the local stack serves,
// from the services' API models (botocore): lambda:invoke's
// InvocationResponse, events:putEvents' PutEventsResponse and
// sqs:sendMessage's SendMessageResult. The wording is AWS's ("Mock result
// schema validation error: ...", LocalStack test_field_validation_mode,
// recorded against AWS).

// mockShape is a node of an API output shape.
type mockShape struct {
	kind     string // "structure", "list", "string", "integer", "any"
	members  map[string]*mockShape
	required []string
	member   *mockShape
	max      int // string: maximum length (0: none)
}

var (
	shapeString  = &mockShape{kind: "string"}
	shapeInteger = &mockShape{kind: "integer"}
	// A blob (Lambda's Payload) is not checked: an optimized integration
	// hands it over decoded.
	shapeBlob = &mockShape{kind: "any"}
)

// mockShapes are the output shapes by integration ("service:action").
var mockShapes = map[string]*mockShape{
	"lambda:invoke": {kind: "structure", members: map[string]*mockShape{
		"StatusCode": shapeInteger, "FunctionError": shapeString, "LogResult": shapeString,
		"Payload": shapeBlob, "ExecutedVersion": {kind: "string", max: 1024},
	}},
	"events:putEvents": {kind: "structure", members: map[string]*mockShape{
		"FailedEntryCount": shapeInteger,
		"Entries": {kind: "list", member: &mockShape{kind: "structure", members: map[string]*mockShape{
			"EventId": {kind: "string", max: 64}, "ErrorCode": shapeString, "ErrorMessage": shapeString,
		}}},
	}},
	"sqs:sendMessage": {kind: "structure", members: map[string]*mockShape{
		"MD5OfMessageBody": shapeString, "MD5OfMessageAttributes": shapeString, "MD5OfMessageSystemAttributes": shapeString,
		"MessageId": shapeString, "SequenceNumber": shapeString,
	}},
}

// checkMockResult validates a mocked result of integration (service:action)
// in mode (STRICT when ""); integrations without a known shape pass.
func checkMockResult(integration, mode string, result any) error {
	s, ok := mockShapes[integration]
	if !ok || mode == "NONE" {
		return nil
	}
	return s.check("", result, mode != "PRESENT")
}

func (s *mockShape) check(field string, v any, strict bool) error {
	switch s.kind {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			if field == "" {
				return apiErr(CodeValidationException, "Mocked result must be a JSON object.")
			}
			return mockFieldErr(field, "must be an object")
		}
		if strict {
			for _, r := range s.required {
				if _, ok := obj[r]; !ok {
					return apiErr(CodeValidationException, "Mock result schema validation error: Required field '%s' is missing", r)
				}
			}
		}
		for name, m := range s.members {
			if fv, ok := obj[name]; ok {
				if err := m.check(name, fv, strict); err != nil {
					return err
				}
			}
		}
	case "list":
		items, ok := v.([]any)
		if !ok {
			return mockFieldErr(field, "must be an array")
		}
		for _, it := range items {
			if err := s.member.check(field, it, strict); err != nil {
				return err
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return mockFieldErr(field, "must be a string")
		}
		if s.max > 0 && len([]rune(str)) > s.max {
			return mockFieldErr(field, "exceeds the maximum length")
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return mockFieldErr(field, "must be a number")
		}
		if _, err := n.Int64(); err != nil {
			return mockFieldErr(field, "must be a number")
		}
	}
	return nil
}

func mockFieldErr(field, problem string) error {
	return apiErr(CodeValidationException, "%s", fmt.Sprintf("Mock result schema validation error: Field '%s' %s", field, problem))
}
