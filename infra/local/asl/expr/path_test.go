package expr

import (
	"errors"
	"strings"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestPathGet(t *testing.T) {
	input := `{"detail-type":"X","a":{"b":[1,2,{"c":3}],"n":null},"items":[{"x":1,"y":"a"},{"x":5,"y":"b"},{"x":3}],"big":12345678901234567890123}`
	tests := []struct {
		path, want string
	}{
		{"$", input},
		{"$.detail-type", `"X"`},
		{"$['detail-type']", `"X"`},
		{"$.a.b[2].c", `3`},
		{"$.a.b[-1].c", `3`},
		{"$.a.n", `null`},
		{"$.big", `12345678901234567890123`},
		{"$.a.b[*]", `[1,2,{"c":3}]`},
		{"$.a.b[0:2]", `[1,2]`},
		{"$.a.b[0,1]", `[1,2]`},
		{"$..c", `[3]`},
		{"$..nothing", `[]`},
		{"$.items[?(@.x > 2)].x", `[5,3]`},
		{"$.items[?(@.y == 'b')]", `[{"x":5,"y":"b"}]`},
		{"$.items[?(@.y)].y", `["a","b"]`},
		{"$.items[?(@.x > 1 && @.x < 4)].x", `[3]`},
		{"$.items.length()", `3`},
		{"$.items[*].x", `[1,5,3]`},
		{"$$.Execution.Id", `"exec"`},
		{"$v", `{"k":[7]}`},
		{"$v.k[0]", `7`},
	}
	s := Scope{Input: mustDecode(t, input), Context: mustDecode(t, `{"Execution":{"Id":"exec"}}`), Vars: map[string]any{"v": mustDecode(t, `{"k":[7]}`)}}
	for _, tt := range tests {
		p, err := CompilePath(tt.path)
		if err != nil {
			t.Errorf("CompilePath(%q): %v", tt.path, err)
			continue
		}
		got, err := p.Get(s)
		if err != nil {
			t.Errorf("Get(%q): %v", tt.path, err)
			continue
		}
		if !Equal(got, mustDecode(t, tt.want)) {
			t.Errorf("Get(%q) = %s, want %s", tt.path, mustEncode(got), tt.want)
		}
	}
}

func TestPathNotFound(t *testing.T) {
	s := Scope{Input: mustDecode(t, `{"a":{"b":1}}`)}
	tests := []struct{ path, cause, fieldCause string }{
		{"$.x", "Invalid path '$.x' : No results for path: $['x']", `The JSONPath '$.x' specified for the field 'f.$' could not be found in the input '{"a":{"b":1}}'`},
		{"$.x.y", "Invalid path '$.x.y' : Missing property in path $['x']", ""},
		{"$.a.b[0]", "Invalid path '$.a.b[0]' : No results for path: $['a']['b'][0]", ""},
		{"$undefined", "Invalid path '$undefined' : The variable '$undefined' is not defined", ""},
	}
	for _, tt := range tests {
		p, err := CompilePath(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Get(s)
		var e *Error
		if !errors.As(err, &e) || e.Name != ErrRuntime || e.Cause != tt.cause {
			t.Errorf("Get(%q) error = %v, want States.Runtime %q", tt.path, err, tt.cause)
		}
		if tt.fieldCause != "" {
			_, err = p.GetField(s, "f.$")
			if !errors.As(err, &e) || e.Cause != tt.fieldCause {
				t.Errorf("GetField(%q) error = %v, want %q", tt.path, err, tt.fieldCause)
			}
		}
	}
}

func TestCompilePathErrors(t *testing.T) {
	for _, p := range []string{"", "a", "$.", "$[", "$.a[?(@.x =~ /a/)]", "$.a[?(@.x in ['a'])]", "$['a", "$.a..", "$.a()"} {
		if _, err := CompilePath(p); err == nil {
			t.Errorf("CompilePath(%q) succeeded, want an error", p)
		}
	}
	for _, p := range []string{"$.a[*]", "$..a", "$.a[0:1]", "$.a.length()", "$.a[?(@.b)]"} {
		if _, err := CompileReferencePath(p); err == nil {
			t.Errorf("CompileReferencePath(%q) succeeded, want an error", p)
		}
	}
}

func TestSetResultPath(t *testing.T) {
	tests := []struct{ input, path, result, want string }{
		{`{"a":1}`, "$", `"r"`, `"r"`},
		{`{"a":1}`, "$.b", `"r"`, `{"a":1,"b":"r"}`},
		{`{"a":1}`, "$.x.y.z", `2`, `{"a":1,"x":{"y":{"z":2}}}`},
		{`{"a":{"k":1}}`, "$.a.b", `2`, `{"a":{"k":1,"b":2}}`},
		{`{"a":[1,{"k":1}]}`, "$.a[1].k", `2`, `{"a":[1,{"k":2}]}`},
		{`null`, "$.a", `1`, `{"a":1}`},
		{`{"a":null}`, "$.a.b", `1`, `{"a":{"b":1}}`},
		{`{"detail-type":1}`, "$.detail-type", `2`, `{"detail-type":2}`},
	}
	for _, tt := range tests {
		in := mustDecode(t, tt.input)
		got, err := SetResultPath(in, tt.path, mustDecode(t, tt.result))
		if err != nil {
			t.Errorf("SetResultPath(%s, %q): %v", tt.input, tt.path, err)
			continue
		}
		if !Equal(got, mustDecode(t, tt.want)) {
			t.Errorf("SetResultPath(%s, %q) = %s, want %s", tt.input, tt.path, mustEncode(got), tt.want)
		}
		if !Equal(in, mustDecode(t, tt.input)) {
			t.Errorf("SetResultPath modified its input %s", tt.input)
		}
	}
	for _, tt := range []struct{ input, path string }{
		{`"s"`, "$.a"}, {`{"a":"s"}`, "$.a.b"}, {`{"a":[]}`, "$.a[0]"}, {`{}`, "$.a[*]"}, {`{}`, "$$.a"},
	} {
		if _, err := SetResultPath(mustDecode(t, tt.input), tt.path, 1); err == nil {
			t.Errorf("SetResultPath(%s, %q) succeeded, want an error", tt.input, tt.path)
		}
	}
}

func TestApplyPath(t *testing.T) {
	if _, err := ApplyPath(nil, "$.a", Scope{}); err == nil || err.(*Error).Cause != "Unable to apply Path transformation to null or empty input." {
		t.Errorf("ApplyPath(null) error = %v", err)
	}
	v, err := ApplyPath(mustDecode(t, `{"a":{"b":1}}`), "$.a", Scope{})
	if err != nil || !Equal(v, mustDecode(t, `{"b":1}`)) {
		t.Errorf("ApplyPath = %v, %v", v, err)
	}
}

func TestTemplate(t *testing.T) {
	tmpl := mustDecode(t, `{"lit":{"n":1.50,"s":"x","arr":[1,{"p.$":"$.a"}]},"p.$":"$.a","ctx.$":"$$.Id","f.$":"States.Format('{}-{}', $.a, $v)","list.$":"$.l[*]"}`)
	c, err := CompileTemplate(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	s := Scope{Input: mustDecode(t, `{"a":"A","l":[1,2]}`), Context: mustDecode(t, `{"Id":"i"}`), Vars: map[string]any{"v": "V"}}
	got, err := c.Eval(s)
	if err != nil {
		t.Fatal(err)
	}
	want := mustDecode(t, `{"lit":{"n":1.5,"s":"x","arr":[1,{"p":"A"}]},"p":"A","ctx":"i","f":"A-V","list":[1,2]}`)
	if !Equal(got, want) {
		t.Errorf("Eval = %s, want %s", mustEncode(got), mustEncode(want))
	}
	for _, bad := range []string{`{"a.$":1}`, `{"a.$":"nope"}`, `{"a.$":"States.Nope()"}`, `{"a":1,"a.$":"$"}`, `{"x":[{"a.$":"$["}]}`} {
		if _, err := CompileTemplate(mustDecode(t, bad)); err == nil {
			t.Errorf("CompileTemplate(%s) succeeded, want an error", bad)
		}
	}
	c, _ = CompileTemplate(mustDecode(t, `{"value.$":"$.no_such_jsonpath"}`))
	_, err = c.Eval(Scope{Input: mustDecode(t, `{"int-literal":0}`)})
	want2 := `The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'`
	if e, ok := err.(*Error); !ok || e.Name != ErrRuntime || e.Cause != want2 {
		t.Errorf("Eval error = %v, want %q", err, want2)
	}
}

func TestEqualAndDecode(t *testing.T) {
	eq := [][2]string{{`1`, `1.0`}, {`1e2`, `100`}, {`-0`, `0`}, {`{"a":[1,{"b":null}]}`, `{"a":[1.0,{"b":null}]}`}, {`12345678901234567890`, `12345678901234567890`}}
	for _, p := range eq {
		if !Equal(mustDecode(t, p[0]), mustDecode(t, p[1])) {
			t.Errorf("Equal(%s, %s) = false", p[0], p[1])
		}
	}
	ne := [][2]string{{`1`, `"1"`}, {`12345678901234567890`, `12345678901234567891`}, {`[1]`, `[1,2]`}, {`{"a":1}`, `{"b":1}`}, {`null`, `false`}, {`1e999`, `1`}}
	for _, p := range ne {
		if Equal(mustDecode(t, p[0]), mustDecode(t, p[1])) {
			t.Errorf("Equal(%s, %s) = true", p[0], p[1])
		}
	}
	if _, err := Decode([]byte(`{} x`)); err == nil {
		t.Error("Decode accepted trailing data")
	}
	if !Equal(1, mustDecode(t, "1")) || !Equal(1.5, mustDecode(t, "1.50")) {
		t.Error("Equal does not mix Go number types")
	}
}

func TestPathJaywayFilters(t *testing.T) {
	s := Scope{Input: mustDecode(t, `{"items":[{"a-b":1,"x":"q"},{"a-b":-2,"x":"r"},{"n":{"a-b":3}}],"k":{"a\\\"b":1}}`)}
	tests := []struct{ path, want string }{
		{`$.items[?(@.a-b > 0)]`, `[{"a-b":1,"x":"q"}]`},
		{`$.items[?(@.x == "r")].a-b`, `[-2]`},
		{`$.items[?(@['a-b'] < -1)]`, `[{"a-b":-2,"x":"r"}]`},
		{`$.items[?(!@.x)]`, `[{"n":{"a-b":3}}]`},
		{`$..a-b`, `[1,-2,3]`},
		{`$.items[?(@.n.a-b == 3)].n`, `[{"a-b":3}]`},
		{`$.items[*].length()`, `3`},
		{`$.items[?(@.x.length() == 1)].x`, `["q","r"]`},
		{`$.items[0]["a-b"]`, `1`},
		{`$.k['a\"b']`, `1`},
	}
	for _, tt := range tests {
		p, err := CompilePath(tt.path)
		if err != nil {
			t.Errorf("CompilePath(%q): %v", tt.path, err)
			continue
		}
		got, err := p.Get(s)
		if err != nil || !Equal(got, mustDecode(t, tt.want)) {
			t.Errorf("Get(%q) = %s, %v; want %s", tt.path, mustEncode(got), err, tt.want)
		}
	}
}

// TestTemplateCheck: Check fails exactly when Eval fails, with the same
// error (the first in key order), and passes when Eval succeeds.
func TestTemplateCheck(t *testing.T) {
	s := Scope{Input: mustDecode(t, `{"a":"A","n":2,"l":[1,2],"o":{"x":1}}`), Context: mustDecode(t, `{"Map":{"Item":{"Index":0,"Value":{"v":1}}}}`), Vars: map[string]any{"v": "V"}}
	for _, tmpl := range []string{
		`{"lit":{"n":1.50,"arr":[1,{"p.$":"$.a"}]},"p.$":"$.a","i.$":"$$.Map.Item.Index","f.$":"States.Format('{}-{}', $.a, $v)","list.$":"$.l[*]"}`,
		`{"a.$":"$.missing"}`,
		`{"z.$":"$.missing","b.$":"$.also_missing"}`,
		`{"x":[1,{"deep.$":"$.o.y"}]}`,
		`{"v.$":"$$.Map.Item.Value.nope"}`,
		`{"sum.$":"States.MathAdd($.a, 1)"}`,
		`{"sum.$":"States.MathAdd($.n, 1)","get.$":"States.ArrayGetItem($.l, 5)"}`,
		`{"u.$":"$undefinedVar"}`,
	} {
		c, err := CompileTemplate(mustDecode(t, tmpl))
		if err != nil {
			t.Fatal(err)
		}
		_, evalErr := c.Eval(s)
		checkErr := c.Check(s)
		if wantOK := strings.HasPrefix(tmpl, `{"lit"`); (evalErr == nil) != wantOK {
			t.Errorf("%s: Eval error %v, want failure %v", tmpl, evalErr, !wantOK)
		}
		if (evalErr == nil) != (checkErr == nil) || evalErr != nil && evalErr.Error() != checkErr.Error() {
			t.Errorf("%s: Check = %v, Eval = %v", tmpl, checkErr, evalErr)
		}
	}
}
