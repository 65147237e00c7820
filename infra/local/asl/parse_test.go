package asl

import (
	"strings"
	"testing"
)

func TestValidationErrors(t *testing.T) {
	cases := map[string]struct{ def, want string }{
		"missing StartAt":  {`{"States":{"A":{"Type":"Succeed"}}}`, "at /StartAt"},
		"unknown Next":     {`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`, "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next"},
		"unreachable":      {`{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, `State "B" is not reachable.`},
		"no Next nor End":  {`{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, "at /States/A"},
		"bad path":         {`{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[","End":true}}}`, "at /States/A/InputPath"},
		"JSONata":          {`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, "JSONata' is not supported yet"},
		"JSONata in state": {`{"StartAt":"A","States":{"A":{"Type":"Succeed","QueryLanguage":"JSONata"}}}`, "at /States/A/QueryLanguage"},
		"token w/o token":  {`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{},"End":true}}}`, "$$.Task.Token"},
		"States.ALL first": {`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`, "States.ALL"},
		"not JSON":         {`{`, "INVALID_JSON_DESCRIPTION"},
		"unknown field":    {`{"StartAt":"A","States":{"A":{"Type":"Pass","Bogus":1,"End":true}}}`, "at /States/A/Bogus"},
	}
	for name, c := range cases {
		err := ValidateDefinition([]byte(c.def))
		if ErrorCode(err) != CodeInvalidDefinition || !strings.Contains(err.Error(), "Invalid State Machine Definition: '") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want InvalidDefinition containing %q", name, err, c.want)
		}
	}
}
