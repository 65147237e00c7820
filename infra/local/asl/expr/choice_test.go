package expr

import (
	"errors"
	"testing"
)

func rule(t *testing.T, js string) *Rule {
	t.Helper()
	m, ok := mustDecode(t, js).(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", js)
	}
	r, err := CompileRule(m)
	if err != nil {
		t.Fatalf("CompileRule(%s): %v", js, err)
	}
	return r
}

func TestRuleEval(t *testing.T) {
	s := Scope{
		Input: mustDecode(t, `{"s":"abc","e":"","n":10,"f":1.5,"b":true,"null":null,"ts":"2016-03-14T01:59:00Z","ts2":"2016-03-14T02:59:00+01:00",
			"arr":[1],"obj":{},"star":"a*b","emoji":"\ud83d\ude00","bmp":"\uffff","big":123456789012345678901234567890}`),
		Context: mustDecode(t, `{"Execution":{"Name":"exec"}}`),
		Vars:    map[string]any{"limit": mustDecode(t, `10`)},
	}
	tests := []struct {
		rule string
		want bool
	}{
		{`{"Variable":"$.s","StringEquals":"abc"}`, true},
		{`{"Variable":"$.s","StringEquals":"abd"}`, false},
		{`{"Variable":"$.n","StringEquals":"10"}`, false},
		{`{"Variable":"$.s","StringLessThan":"abd"}`, true},
		{`{"Variable":"$.s","StringGreaterThan":"ab"}`, true},
		{`{"Variable":"$.s","StringLessThanEquals":"abc"}`, true},
		{`{"Variable":"$.s","StringGreaterThanEquals":"abd"}`, false},
		{`{"Variable":"$.emoji","StringLessThan":"\uffff"}`, true},
		{`{"Variable":"$.s","StringEqualsPath":"$.s"}`, true},
		{`{"Variable":"$.s","StringLessThanPath":"$.e"}`, false},
		{`{"Variable":"$.n","NumericEquals":10.0}`, true},
		{`{"Variable":"$.n","NumericLessThan":10}`, false},
		{`{"Variable":"$.f","NumericGreaterThan":1}`, true},
		{`{"Variable":"$.n","NumericLessThanEquals":10}`, true},
		{`{"Variable":"$.n","NumericGreaterThanEquals":11}`, false},
		{`{"Variable":"$.s","NumericEquals":10}`, false},
		{`{"Variable":"$.big","NumericGreaterThan":123456789012345678901234567889}`, true},
		{`{"Variable":"$.n","NumericEqualsPath":"$limit"}`, true},
		{`{"Variable":"$.f","NumericLessThanPath":"$.n"}`, true},
		{`{"Variable":"$.n","NumericGreaterThanPath":"$.s"}`, false},
		{`{"Variable":"$.b","BooleanEquals":true}`, true},
		{`{"Variable":"$.s","BooleanEquals":true}`, false},
		{`{"Variable":"$.b","BooleanEqualsPath":"$.b"}`, true},
		{`{"Variable":"$.ts","TimestampEquals":"2016-03-14T01:59:00.000Z"}`, true},
		{`{"Variable":"$.ts2","TimestampEqualsPath":"$.ts"}`, true},
		{`{"Variable":"$.ts","TimestampLessThan":"2016-03-14T02:00:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThan":"2016-03-14T02:00:00Z"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanEquals":"2016-03-14T01:59:00Z"}`, true},
		{`{"Variable":"$.ts","TimestampGreaterThanEquals":"2016-03-14T01:59:01Z"}`, false},
		{`{"Variable":"$.ts","TimestampLessThanPath":"$.s"}`, false},
		{`{"Variable":"$.s","TimestampEquals":"2016-03-14T01:59:00Z"}`, false},
		{`{"Variable":"$.s","IsPresent":true}`, true},
		{`{"Variable":"$.null","IsPresent":true}`, true},
		{`{"Variable":"$.missing","IsPresent":false}`, true},
		{`{"Variable":"$.missing.deep","IsPresent":true}`, false},
		{`{"Variable":"$.null","IsNull":true}`, true},
		{`{"Variable":"$.e","IsNull":true}`, false},
		{`{"Variable":"$.n","IsNumeric":true}`, true},
		{`{"Variable":"$.s","IsNumeric":false}`, true},
		{`{"Variable":"$.s","IsString":true}`, true},
		{`{"Variable":"$.b","IsBoolean":true}`, true},
		{`{"Variable":"$.ts","IsTimestamp":true}`, true},
		{`{"Variable":"$.s","IsTimestamp":false}`, true},
		{`{"Variable":"$.s","StringMatches":"a*"}`, true},
		{`{"Variable":"$.s","StringMatches":"*c"}`, true},
		{`{"Variable":"$.s","StringMatches":"a*b*c"}`, true},
		{`{"Variable":"$.s","StringMatches":"*b"}`, false},
		{`{"Variable":"$.s","StringMatches":"abc"}`, true},
		{`{"Variable":"$.s","StringMatches":"ab"}`, false},
		{`{"Variable":"$.star","StringMatches":"a\\*b"}`, true},
		{`{"Variable":"$.s","StringMatches":"a\\*c"}`, false},
		{`{"Variable":"$.e","StringMatches":"*"}`, true},
		{`{"Variable":"$.n","StringMatches":"*"}`, false},
		{`{"Variable":"$$.Execution.Name","StringEquals":"exec"}`, true},
		{`{"And":[{"Variable":"$.n","NumericGreaterThan":5},{"Variable":"$.s","IsString":true}]}`, true},
		{`{"And":[{"Variable":"$.n","NumericGreaterThan":50},{"Variable":"$.missing","IsString":true}]}`, false},
		{`{"Or":[{"Variable":"$.n","NumericGreaterThan":50},{"Variable":"$.s","IsString":true}]}`, true},
		{`{"Not":{"Variable":"$.s","StringEquals":"abc"}}`, false},
		{`{"Not":{"Not":{"Variable":"$.s","StringEquals":"abc"}},"Next":"X"}`, true},
	}
	for _, tt := range tests {
		got, err := rule(t, tt.rule).Eval(s)
		if err != nil {
			t.Errorf("%s: %v", tt.rule, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s = %v, want %v", tt.rule, got, tt.want)
		}
	}
	for _, js := range []string{
		`{"Variable":"$.missing","StringEquals":"x"}`,
		`{"Variable":"$.missing","IsNull":true}`,
		`{"Variable":"$.s","StringEqualsPath":"$.missing"}`,
		`{"Not":{"Variable":"$.missing","IsString":true}}`,
	} {
		_, err := rule(t, js).Eval(s)
		var e *Error
		if !errors.As(err, &e) || e.Name != ErrRuntime || e.Cause == "" {
			t.Errorf("%s: error = %v, want States.Runtime", js, err)
		}
	}
	_, err := rule(t, `{"Variable":"$.missing","StringEquals":"x"}`).Eval(s)
	if want := "Invalid path '$.missing': The choice state's condition path references an invalid value."; err.(*Error).Cause != want {
		t.Errorf("cause = %q, want %q", err.(*Error).Cause, want)
	}
	if r := rule(t, `{"Variable":"$.s","StringEquals":"abc","Next":"Yes"}`); r.Next() != "Yes" {
		t.Errorf("Next() = %q", r.Next())
	}
}

func TestCompileRuleErrors(t *testing.T) {
	for _, js := range []string{
		`{}`,
		`{"Variable":"$.a"}`,
		`{"StringEquals":"x"}`,
		`{"Variable":"$.a","StringEquals":"x","NumericEquals":1}`,
		`{"Variable":"$.a","StringEquals":1}`,
		`{"Variable":"$.a","NumericEquals":"1"}`,
		`{"Variable":"$.a","BooleanEquals":"true"}`,
		`{"Variable":"$.a","IsNull":"yes"}`,
		`{"Variable":"$.a","TimestampEquals":"2016-03-14"}`,
		`{"Variable":"$.a","TimestampEquals":"2016-03-14T01:59:00"}`,
		`{"Variable":"$.a","StringEqualsPath":"nope"}`,
		`{"Variable":"$.a","StringMatchesPath":"$.b"}`,
		`{"Variable":"$.a","IsNullPath":"$.b"}`,
		`{"Variable":"nope","StringEquals":"x"}`,
		`{"Variable":1,"StringEquals":"x"}`,
		`{"Variable":"$.a","Unknown":"x"}`,
		`{"And":[]}`,
		`{"And":{}}`,
		`{"Or":[1]}`,
		`{"Not":[]}`,
		`{"Variable":"$.a","Not":{"Variable":"$.a","IsNull":true}}`,
		`{"And":[{"Variable":"$.a","IsNull":true,"Next":"X"}]}`,
		`{"And":[{"Variable":"$.a"}]}`,
		`{"Variable":"$.a","IsNull":true,"Next":1}`,
	} {
		m := mustDecode(t, js).(map[string]any)
		if _, err := CompileRule(m); err == nil {
			t.Errorf("CompileRule(%s) succeeded, want an error", js)
		}
	}
}
