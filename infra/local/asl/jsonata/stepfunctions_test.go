package jsonata

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/internal/conformance"
)

// TestAWSRecordedExpressions runs the JSONata expressions of the
// AWS-recorded Step Functions cases whose whole machine is one Pass state
// with an Output expression: the recorded output is the expression's value
// with $states.input bound to the execution input.
func TestAWSRecordedExpressions(t *testing.T) {
	dir := conformance.Dir("asl")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("AWS-recorded ASL cases not found under %q (set LOANFLOW_CONFORMANCE_DIR): %v", dir, err)
	}
	ran := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Definition struct {
				QueryLanguage string
				States        map[string]struct {
					QueryLanguage string
					Type          string
					Output        any
				}
			}
			Input    json.RawMessage
			Expected struct {
				Status string          `json:"status"`
				Output json.RawMessage `json:"output"`
				Error  string          `json:"error"`
				Cause  string          `json:"cause"`
			}
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(c.Definition.States) != 1 {
			continue
		}
		var src string
		for _, s := range c.Definition.States {
			out, ok := s.Output.(string)
			lang := s.QueryLanguage
			if lang == "" {
				lang = c.Definition.QueryLanguage
			}
			if lang != "JSONata" || s.Type != "Pass" || !ok || !strings.HasPrefix(out, "{%") || !strings.HasSuffix(out, "%}") {
				continue
			}
			src = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(out, "{%"), "%}"))
		}
		if src == "" {
			continue
		}
		ran++
		t.Run(filepath.Base(f), func(t *testing.T) {
			input, err := decodeNumbers(c.Input)
			if err != nil {
				t.Fatal(err)
			}
			e, err := Compile(src)
			if err != nil {
				t.Fatalf("compile %s: %v", src, err)
			}
			got, err := e.Eval(nil, map[string]any{"states": map[string]any{"input": input}})
			switch c.Expected.Status {
			case "SUCCEEDED":
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				want, err := decodeNumbers(c.Expected.Output)
				if err != nil {
					t.Fatal(err)
				}
				if !jsonEqual(got, want) {
					t.Errorf("%s = %s, AWS recorded %s", src, show(got), c.Expected.Output)
				}
			case "FAILED":
				if !strings.Contains(c.Expected.Cause, "returned nothing (undefined)") {
					t.Skipf("failure %s is decided by the ASL layer", c.Expected.Error)
				}
				if !errors.Is(err, ErrUndefined) {
					t.Errorf("%s: want ErrUndefined, got %v, %v", src, got, err)
				}
			}
		})
	}
	if ran < 27 {
		t.Fatalf("only %d AWS-recorded expressions found", ran)
	}
}

func evalString(t *testing.T, src string, input any, vars map[string]any, opts *Options) (any, error) {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	return e.EvalWith(input, vars, opts)
}

func mustEval(t *testing.T, src string, input any, vars map[string]any, opts *Options) any {
	t.Helper()
	v, err := evalString(t, src, input, vars, opts)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return v
}

func wantCode(t *testing.T, src string, err error, code string) {
	t.Helper()
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("%s: want *Error %s, got %v", src, code, err)
	}
	if je.Code != code {
		t.Fatalf("%s: want %s, got %v", src, code, err)
	}
}

func TestStepFunctionsFunctions(t *testing.T) {
	cases := []struct {
		src  string
		want string
	}{
		{"$partition([1,2,3,4,5,6,7,8,9], 3)", "[[1,2,3],[4,5,6],[7,8,9]]"},
		{"$partition([1,2,3,4,5], 2)", "[[1,2],[3,4],[5]]"},
		{"$partition([], 2)", "[]"},
		{"$range(0, 10, 2)", "[0,2,4,6,8,10]"},
		{"$range(10, 0, -3)", "[10,7,4,1]"},
		{"$range(1, 3)", "[1,2,3]"},
		{"$range(5, 1, 1)", "[]"},
		{"$hash('abc', 'SHA-256')", `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{"$hash('abc', 'MD5')", `"900150983cd24fb0d6963f7d28e17f72"`},
		{"$hash('abc', 'SHA-1')", `"a9993e364706816aba3e25717850c26c9cd0d89d"`},
		{"$length($hash('abc', 'SHA-384'))", "96"},
		{"$length($hash('abc', 'SHA-512'))", "128"},
		{`$parse('{"b":1,"a":[true,null,"x"]}')`, `{"a":[true,null,"x"],"b":1}`},
		{`$keys($parse('{"b":1,"a":2}'))`, `["b","a"]`},
		{"$parse('-0')", "0"},
		{"$random(42) = $random(42)", "true"},
		{"$random(42) != $random(43)", "true"},
		{"$random(7) >= 0 and $random(7) < 1", "true"},
		{"$states.input.amount * 2", "2469"},
		{"$states.context.Execution.Name", `"exec-1"`},
		{"$count($states.input.items[price > 10])", "1"},
		{"$states.input.big", "12345678901234567000"},
		{"$states.input.items.price", "[5,20.5]"},
		{"0.1 + 0.2", "0.30000000000000004"},
		{"1e21", "1e+21"},
	}
	vars := map[string]any{"states": map[string]any{
		"input": map[string]any{
			"amount": json.Number("1234.5"),
			"big":    json.Number("12345678901234567890"),
			"items":  []any{map[string]any{"price": json.Number("5")}, map[string]any{"price": 20.5}},
		},
		"context": map[string]any{"Execution": map[string]any{"Name": "exec-1"}},
	}}
	for _, c := range cases {
		got := mustEval(t, c.src, nil, vars, nil)
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("%s: marshal %v: %v", c.src, got, err)
		}
		if string(b) != c.want {
			t.Errorf("%s = %s, want %s", c.src, b, c.want)
		}
	}
}

func TestStepFunctionsErrors(t *testing.T) {
	cases := []struct{ src, code string }{
		{"$partition([1,2], 0)", "D3150"},
		{"$partition([1,2], 1.5)", "D3150"},
		{"$range(0, 10, 0)", "D3151"},
		{"$range(0.5, 10, 1)", "D3151"},
		{"$range(0, 5000, 1)", "D3154"},
		{"$hash('abc', 'SHA-3')", "D3152"},
		{"$parse('{')", "D3153"},
		{"$partition('x', 'y')", "T0410"},
		{"'a' + 1", "T2001"},
		{"1 + 'a'", "T2002"},
		{"$number('x')", "D3030"},
		{"$sum('a')", "T0412"},
		{"$undefinedFn()", "T1006"},
		{"1 < 'a'", "T2009"},
		{"$error('boom')", "D3137"},
	}
	for _, c := range cases {
		_, err := evalString(t, c.src, nil, nil, nil)
		wantCode(t, c.src, err, c.code)
	}
	_, err := evalString(t, "$eval('1+1')", nil, nil, &Options{DisableEval: true})
	wantCode(t, "$eval with DisableEval", err, "D3155")
	if got := mustEval(t, "$eval('1+1')", nil, nil, nil); !reflect.DeepEqual(got, json.Number("2")) {
		t.Errorf("$eval('1+1') = %v", got)
	}
	// compile errors are *Error too, wrapped with the expression
	_, err = Compile("1 +")
	wantCode(t, "1 +", err, "S0207")
	if !strings.Contains(err.Error(), `"1 +"`) {
		t.Errorf("compile error does not name the expression: %v", err)
	}
}

func TestInjectedSources(t *testing.T) {
	seq := []float64{0.25, 0.5, 0.75}
	i := 0
	opts := &Options{
		Random: func() float64 { v := seq[i%len(seq)]; i++; return v },
		UUID:   func() string { return "00000000-0000-4000-8000-000000000000" },
		Now:    func() time.Time { return time.Date(2024, 11, 22, 10, 0, 0, 0, time.UTC) },
	}
	got := mustEval(t, "[$random(), $random(), $uuid(), $now(), $millis()]", nil, nil, opts)
	want := []any{json.Number("0.25"), json.Number("0.5"), "00000000-0000-4000-8000-000000000000", "2024-11-22T10:00:00.000Z", json.Number("1732269600000")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// without an injected UUID, $uuid is a version 4 UUID from Random
	i = 0
	u1 := mustEval(t, "$uuid()", nil, nil, &Options{Random: opts.Random})
	i = 0
	u2 := mustEval(t, "$uuid()", nil, nil, &Options{Random: opts.Random})
	if u1 != u2 {
		t.Errorf("$uuid from the same source differs: %v %v", u1, u2)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for _, u := range []any{u1, mustEval(t, "$uuid()", nil, nil, nil)} {
		if s, _ := u.(string); !re.MatchString(s) {
			t.Errorf("$uuid() = %v, not a version 4 UUID", u)
		}
	}
}

func TestGuardrails(t *testing.T) {
	_, err := evalString(t, "($f := function($n){ $n + $f($n) }; $f(1))", nil, nil, nil)
	wantCode(t, "unbounded recursion", err, "D1011")
	_, err = evalString(t, "($f := function(){ $f() }; $f())", nil, nil, &Options{MaxSteps: 100000})
	wantCode(t, "endless tail recursion", err, "D1012")
	_, err = evalString(t, "($f := function(){ $f() }; $f())", nil, nil, &Options{MaxSteps: -1, Timeout: 50 * time.Millisecond})
	wantCode(t, "endless tail recursion with a timeout", err, "D1012")
	_, err = Compile(strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000))
	wantCode(t, "deep nesting", err, "S0219")
}

func TestValuesAtTheBoundary(t *testing.T) {
	input := map[string]any{"a": []any{json.Number("1"), nil, "x"}, "n": nil}
	got := mustEval(t, `{"a": a, "n": n, "missing": missing, "f": function(){1}, "t": $type(n)}`, input, nil, nil)
	want := map[string]any{"a": []any{json.Number("1"), nil, "x"}, "n": nil, "t": "null"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if _, err := evalString(t, "missing", input, nil, nil); !errors.Is(err, ErrUndefined) {
		t.Errorf("missing field: want ErrUndefined, got %v", err)
	}
	// the input is not modified, even by a transform
	before, _ := json.Marshal(input)
	mustEval(t, `$ ~> |$|{"a": 1}, ["n"]|`, input, nil, nil)
	after, _ := json.Marshal(input)
	if string(before) != string(after) {
		t.Errorf("input modified: %s -> %s", before, after)
	}
	// an array input is one value, as in the reference implementation
	if got := mustEval(t, "$count($)", []any{json.Number("1"), json.Number("2")}, nil, nil); got != json.Number("2") {
		t.Errorf("$count($) = %v", got)
	}
	// a Document keeps key order
	doc, err := DecodeJSON([]byte(`{"z":1,"a":2,"m":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustEval(t, "$keys($)", doc, nil, nil); !reflect.DeepEqual(got, []any{"z", "a", "m"}) {
		t.Errorf("$keys of a Document = %v", got)
	}
	if got := mustEval(t, "$keys($)", map[string]any{"z": 1, "a": 2, "m": 3}, nil, nil); !reflect.DeepEqual(got, []any{"a", "m", "z"}) {
		t.Errorf("$keys of a map = %v", got)
	}
}

func TestConcurrentEval(t *testing.T) {
	e := MustCompile(`($now(); $fromMillis(0); $random(); $sum($states.input.items.(price * qty)))`)
	input := map[string]any{"items": []any{
		map[string]any{"price": json.Number("2.5"), "qty": json.Number("4")},
		map[string]any{"price": json.Number("1"), "qty": json.Number("3")},
	}}
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				got, err := e.Eval(nil, map[string]any{"states": map[string]any{"input": input}})
				if err != nil || got != json.Number("13") {
					done <- errors.New("wrong result")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
