package expr

import "testing"

var fuzzScope = Scope{
	Input:   map[string]any{"a": []any{map[string]any{"b": "1"}, "x"}, "detail-type": "t", "n": nil},
	Context: map[string]any{"Execution": map[string]any{"Id": "id"}},
	Vars:    map[string]any{"v": []any{"1", "2"}},
}

func FuzzCompileIntrinsic(f *testing.F) {
	for _, s := range []string{
		"States.Format('a {} \\{\\} \\' {}', $.a, States.UUID())",
		"States.ArrayRange(1, 9, 2)",
		"States.MathAdd(States.MathAdd($v[0], 1), -1.5)",
		"States.JsonMerge(States.StringToJson('{\"a\":1}'), $$.Execution, false)",
		"States.Hash('x', 'SHA-256')",
		"States.StringSplit($.a[1], ',')",
		"States.ArrayGetItem($.a[?(@.b == '1')], 0)",
		"States.Array(true, false, null, 1e3)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CompileIntrinsic(s)
		if err != nil {
			return
		}
		_ = c.String()
		_, _ = c.Eval(fuzzScope)
	})
}

func FuzzCompilePath(f *testing.F) {
	for _, s := range []string{
		"$", "$$", "$v", "$.a[0].b", "$..b", "$.a[*]", "$.a[0:1]", "$.a[-1]", "$['detail-type']",
		"$.detail-type", "$.a[?(@.b > 1 && @.c)]", "$.a.length()", "$['a','n']", "$.a[?(@.b.length() == 1)]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := CompilePath(s)
		if err != nil {
			return
		}
		_, _ = p.Get(fuzzScope)
		_, _ = p.GetField(fuzzScope, "f")
		_, _ = SetResultPath(fuzzScope.Input, s, 1)
		r, err := CompileRule(map[string]any{"Variable": s, "StringMatches": "*a\\*"})
		if err == nil {
			_, _ = r.Eval(fuzzScope)
		}
	})
}
