package asl

import (
	"strings"
	"testing"
)

func TestValidationErrors(t *testing.T) {
	cases := map[string]struct{ def, want string }{
		"missing StartAt":           {`{"States":{"A":{"Type":"Succeed"}}}`, "at /StartAt"},
		"unknown Next":              {`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"},
		"unreachable":               {`{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, `State "B" is not reachable.`},
		"no Next nor End":           {`{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "at /States/A"},
		"bad path":                  {`{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[","End":true}}}`, "at /States/A/InputPath"},
		"JSONPath field in JSONata": {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}`, "SCHEMA_VALIDATION_FAILED: The field 'InputPath' is not supported for QueryLanguage 'JSONata' at /States/A/InputPath"},
		"JSONata downgrade":         {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed","QueryLanguage":"JSONPath"}}}`, "at /States/A/QueryLanguage"},
		"JSONata syntax":            {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"x":"{% $states.input. %}"},"End":true}}}`, "at /States/A/Output"},
		"Output in JSONPath":        {`{"StartAt":"A","States":{"A":{"Type":"Pass","Output":1,"End":true}}}`, "at /States/A/Output"},
		"JSONata token":             {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Arguments":{},"End":true}}}`, "$states.context.Task.Token"},
		"token w/o token":           {`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{},"End":true}}}`, "$$.Task.Token"},
		"States.ALL first":          {`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, "States.ALL"},
		"not JSON":                  {`{`, "INVALID_JSON_DESCRIPTION"},
		"unknown field":             {`{"StartAt":"A","States":{"A":{"Type":"Pass","Bogus":1,"End":true}}}`, "at /States/A/Bogus"},
	}
	for name, c := range cases {
		err := ValidateDefinition([]byte(c.def))
		if ErrorCode(err) != CodeInvalidDefinition || !strings.Contains(err.Error(), "Invalid State Machine Definition: '") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want InvalidDefinition containing %q", name, err, c.want)
		}
	}
}
