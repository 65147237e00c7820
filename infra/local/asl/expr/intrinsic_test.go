package expr

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestIntrinsics(t *testing.T) {
	s := Scope{
		Input:   mustDecode(t, `{"s":"a,b;c","n":3,"arr":[1,2,2,"x",{"k":1},{"k":1.0}],"obj":{"a":{"x":1},"b":2},"big":2147483647,"str":"{\"k\":[1,2]}"}`),
		Context: mustDecode(t, `{"Execution":{"Input":{"in":"I"}}}`),
		Vars:    map[string]any{"tmpl": "v={}", "x": mustDecode(t, `5`)},
	}
	tests := []struct{ expr, want string }{
		{`States.Format('plain')`, `"plain"`},
		{`States.Format('{} and {}', $.n, 'lit')`, `"3 and lit"`},
		{`States.Format('esc \' \{\} \\ {}', null)`, `"esc ' {} \\ null"`},
		{`States.Format('{}', $.obj.a)`, `"{\"x\":1}"`},
		{`States.Format($tmpl, $x)`, `"v=5"`},
		{`States.Format('{}', $$.Execution.Input.in)`, `"I"`},
		{`States.StringToJson($.str)`, `{"k":[1,2]}`},
		{`States.StringToJson('  ')`, `null`},
		{`States.JsonToString($.obj)`, `"{\"a\":{\"x\":1},\"b\":2}"`},
		{`States.JsonToString($.s)`, `"\"a,b;c\""`},
		{`States.Array()`, `[]`},
		{`States.Array(1, 'two', true, null, $.n, States.Array(-1.5e2))`, `[1,"two",true,null,3,[-150]]`},
		{`States.ArrayPartition($.arr, 4)`, `[[1,2,2,"x"],[{"k":1},{"k":1}]]`},
		{`States.ArrayPartition($.arr, 10)`, `[[1,2,2,"x",{"k":1},{"k":1}]]`},
		{`States.ArrayContains($.arr, 'x')`, `true`},
		{`States.ArrayContains($.arr, 2.0)`, `true`},
		{`States.ArrayContains($.arr, 3)`, `false`},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{`States.ArrayRange(5, 1, 2)`, `[]`},
		{`States.ArrayRange(0, 999, 1)`, ""},
		{`States.ArrayGetItem($.arr, 3)`, `"x"`},
		{`States.ArrayLength($.arr)`, `6`},
		{`States.ArrayUnique($.arr)`, `[1,2,"x",{"k":1}]`},
		{`States.Base64Encode('Data to encode')`, `"RGF0YSB0byBlbmNvZGU="`},
		{`States.Base64Decode('RGF0YSB0byBkZWNvZGU=')`, `"Data to decode"`},
		{`States.Hash('input data', 'MD5')`, `"812f45842bc6d66ee14572ce20db8e86"`},
		{`States.Hash('input data', 'SHA-1')`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`States.Hash('input data', 'SHA-256')`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{`States.JsonMerge($.obj, States.StringToJson('{"a":{"y":2},"c":3}'), false)`, `{"a":{"y":2},"b":2,"c":3}`},
		{`States.JsonMerge($.obj, States.StringToJson('{"a":{"y":2}}'), true)`, `{"a":{"x":1,"y":2},"b":2}`},
		{`States.MathAdd($.n, -1)`, `2`},
		{`States.MathAdd(1.5, -2.5)`, `0`},
		{`States.MathAdd(States.MathAdd($x, 1), $.n)`, `9`},
		{`States.StringSplit($.s, ',;')`, `["a","b","c"]`},
		{`States.StringSplit(',,', ',')`, `[]`},
	}
	for _, tt := range tests {
		got, err := Intrinsic(tt.expr, s)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if tt.want == "" {
			continue
		}
		if !Equal(got, mustDecode(t, tt.want)) {
			t.Errorf("%s = %s, want %s", tt.expr, mustEncode(got), tt.want)
		}
	}
	if got, _ := Intrinsic(`States.ArrayRange(0, 999, 1)`, s); len(got.([]any)) != 1000 {
		t.Errorf("ArrayRange(0, 999, 1) has %d items, want 1000", len(got.([]any)))
	}
}

func TestIntrinsicRandomAndUUID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, _ := Intrinsic("States.UUID()", Scope{})
	b, _ := Intrinsic("States.UUID()", Scope{})
	if !uuid.MatchString(a.(string)) || a == b {
		t.Errorf("UUID() = %v, %v", a, b)
	}
	for range 100 {
		v, err := Intrinsic("States.MathRandom(3, 6)", Scope{})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := asNumber(v)
		if i, _ := n.int64Value(); i < 3 || i >= 6 {
			t.Fatalf("MathRandom(3, 6) = %v", v)
		}
	}
	x, _ := Intrinsic("States.MathRandom(0, 1000000, 42)", Scope{})
	y, _ := Intrinsic("States.MathRandom(0, 1000000, 42)", Scope{})
	if !Equal(x, y) {
		t.Errorf("seeded MathRandom differs: %v, %v", x, y)
	}
}

func TestIntrinsicErrors(t *testing.T) {
	s := Scope{Input: mustDecode(t, `{"arr":[1,2],"s":"x","f":1.5,"big":"`+strings.Repeat("a", 10001)+`"}`)}
	compileErrs := []string{
		``, `States.Nope()`, `States.Format()`, `States.Format('{}')`, `States.Format('{}', 1, 2)`,
		`States.Format(1)`, `States.UUID(1)`, `States.ArrayRange(1, 2)`, `States.MathAdd('a', 1)`,
		`States.Array(`, `States.Array('a)`, `States.Array(1 2)`, `States.Array(01)`, `States.Array(tru)`,
		`States.Array($.a[)`, `States.Array() x`, `States.JsonMerge($.a, $.b, 'no')`,
		strings.Repeat("States.Array(", 11) + strings.Repeat(")", 11),
	}
	for _, e := range compileErrs {
		if _, err := CompileIntrinsic(e); err == nil {
			t.Errorf("CompileIntrinsic(%q) succeeded, want an error", e)
		}
	}
	if _, err := CompileIntrinsic(strings.Repeat("States.Array(", 10) + strings.Repeat(")", 10)); err != nil {
		t.Errorf("10 nested calls: %v", err)
	}
	runtimeErrs := []struct{ expr, name string }{
		{`States.ArrayRange(1, 2000, 1)`, ErrIntrinsic},
		{`States.ArrayRange(1, 2, 0)`, ErrIntrinsic},
		{`States.ArrayRange(1, $.f, 1)`, ErrIntrinsic},
		{`States.ArrayGetItem($.arr, 2)`, ErrIntrinsic},
		{`States.ArrayGetItem($.arr, -1)`, ErrIntrinsic},
		{`States.ArrayPartition($.arr, 0)`, ErrIntrinsic},
		{`States.ArrayLength($.s)`, ErrIntrinsic},
		{`States.StringToJson('{')`, ErrIntrinsic},
		{`States.Base64Decode('!!')`, ErrIntrinsic},
		{`States.Base64Encode($.big)`, ErrIntrinsic},
		{`States.Hash('x', 'SHA-3')`, ErrIntrinsic},
		{`States.MathAdd(2147483648, 0)`, ErrIntrinsic},
		{`States.MathRandom(5, 5)`, ErrIntrinsic},
		{`States.Format($.s, 1)`, ErrIntrinsic},
		{`States.Array($.missing)`, ErrRuntime},
	}
	for _, tt := range runtimeErrs {
		_, err := Intrinsic(tt.expr, s)
		var e *Error
		if !errors.As(err, &e) || e.Name != tt.name {
			t.Errorf("%s: error = %v, want %s", tt.expr, err, tt.name)
		}
	}
}
