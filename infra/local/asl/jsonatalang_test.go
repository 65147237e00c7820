package asl

import (
	"strings"
	"testing"
)

// A JSONata Task builds its call from Arguments, shapes its output with
// Output and assigns from $states.result beside it; a later state sees the
// variables, and a Catch's Output and Assign see $states.errorOutput.
func TestJSONataTaskDataFlow(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"Call","States":{
	  "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
	    "Arguments":{"FunctionName":"f","Payload":{"id":"{% $states.input.id %}","state":"{% $states.context.State.Name %}"}},
	    "Assign":{"seen":"{% $states.result.n %}","in":"{% $states.input.id %}"},
	    "Output":{"n":"{% $states.result.n * 2 %}"},"Next":"Fail"},
	  "Fail":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"g"},
	    "Catch":[{"ErrorEquals":["States.ALL"],"Output":{"err":"{% $states.errorOutput.Error %}","n":"{% $states.input.n %}","seen":"{% $seen %}"},"Assign":{"caught":"{% $states.errorOutput.Cause %}"},"Next":"Done"}],"End":false,"Next":"Done"},
	  "Done":{"Type":"Pass","Output":{"all":"{% $merge([$states.input, {'caught': $caught, 'in': $in}]) %}"},"End":true}}}`
	h := newMemHost()
	h.answer = func(c TaskCall) (any, error) {
		if c.StateName == "Fail" {
			return nil, &TaskError{Name: "Boom", Cause: "bad"}
		}
		return map[string]any{"n": jsonNumber("21")}, nil
	}
	x, cur := newMemExecution(t, h, def, `{"id":"a1"}`)
	o := stepToEnd(t, x, cur)
	if o.Err != nil {
		t.Fatalf("failed: %v", o.Err)
	}
	got := EncodeJSON(o.Output)
	want := `{"all":{"caught":"bad","err":"Boom","in":"a1","n":42,"seen":21}}`
	if got != want {
		t.Errorf("output %s, want %s", got, want)
	}
	if p := EncodeJSON(h.calls[0].Parameters); p != `{"FunctionName":"f","Payload":{"id":"a1","state":"Call"}}` {
		t.Errorf("parameters %s", p)
	}
}

// Evaluation failures are States.QueryEvaluationError with the
// expression, the field and the reason; $eval is not offered.
func TestJSONataEvaluationErrors(t *testing.T) {
	cases := map[string]struct{ output, want string }{
		"undefined":   {`"{% $states.input.missing %}"`, "The JSONata expression '$states.input.missing' specified for the field 'Output' returned nothing (undefined)."},
		"nested":      {`{"a":["x","{% $nope %}"]}`, "specified for the field 'Output/a[1]' returned nothing (undefined)."},
		"type error":  {`"{% 'a' + 1 %}"`, "threw an error during evaluation: T2001"},
		"eval absent": {`"{% $eval('1') %}"`, "D3155"},
	}
	for name, c := range cases {
		def := `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":` + c.output + `,"End":true}}}`
		x, cur := newMemExecution(t, newMemHost(), def, `{}`)
		o := stepToEnd(t, x, cur)
		if o.Err == nil || o.Err.Name != ErrQueryEvaluationError || !strings.Contains(o.Err.Cause, c.want) || !strings.HasPrefix(o.Err.Cause, "An error occurred while executing the state 'P'") {
			t.Errorf("%s: got %+v, want %s containing %q", name, o.Err, ErrQueryEvaluationError, c.want)
		}
	}
}

// $random, $uuid and $now are reproducible: the same execution on the
// same clock gives the same values.
func TestJSONataSourcesAreReproducible(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"r":"{% $random() %}","u":"{% $uuid() %}","t":"{% $now() %}"},"End":true}}}`
	run := func() string {
		x, cur := newMemExecution(t, newMemHost(), def, `{}`)
		o := stepToEnd(t, x, cur)
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		return EncodeJSON(o.Output)
	}
	a, b := run(), run()
	if a != b {
		t.Errorf("two runs differ: %s vs %s", a, b)
	}
	if !strings.Contains(a, `"t":"2023-11-14T22:13:20.000Z"`) {
		t.Errorf("$now is not the host's clock: %s", a)
	}
}

// A JSONPath machine may hold JSONata states, sharing variables both ways.
func TestMixedQueryLanguagesShareVariables(t *testing.T) {
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Assign":{"x.$":"$.v"},"Next":"B"},
	  "B":{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"y":"{% $x + 1 %}"},"Next":"C"},
	  "C":{"Type":"Pass","Parameters":{"y.$":"$y"},"End":true}}}`
	x, cur := newMemExecution(t, newMemHost(), def, `{"v":1}`)
	o := stepToEnd(t, x, cur)
	if o.Err != nil || EncodeJSON(o.Output) != `{"y":2}` {
		t.Errorf("got %v %v, want {\"y\":2}", EncodeJSON(o.Output), o.Err)
	}
}
