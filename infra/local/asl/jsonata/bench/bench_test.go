// Package bench compares the JSONata evaluator with the JSONPath evaluator
// of infra/local/asl/expr on expressions that do the same work. It holds
// only benchmarks, kept apart so that the jsonata package's tests do not
// depend on the expr package.
//
//	go test -run XXX -bench . ./infra/local/asl/jsonata/bench/
package bench

import (
	"testing"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/asl/jsonata"
)

const document = `{"order": {"id": "o-17", "total": 250.5,
	"customer": {"name": "Ada", "tier": "gold", "address": {"city": "Leeds", "postcode": "LS1"}},
	"items": [
		{"sku": "a", "price": 5, "qty": 2}, {"sku": "b", "price": 12.5, "qty": 1},
		{"sku": "c", "price": 40, "qty": 3}, {"sku": "d", "price": 8, "qty": 5},
		{"sku": "e", "price": 99.99, "qty": 1}, {"sku": "f", "price": 15, "qty": 2}]}}`

type pair struct {
	name     string
	jsonpath func(b *testing.B) func(expr.Scope) (any, error)
	jsonata  string
}

func compileTemplate(b *testing.B, tmpl map[string]any) func(expr.Scope) (any, error) {
	t, err := expr.CompileTemplate(tmpl)
	if err != nil {
		b.Fatal(err)
	}
	return t.Eval
}

var pairs = []pair{
	{"path", func(b *testing.B) func(expr.Scope) (any, error) {
		p, err := expr.CompilePath("$.order.customer.address.city")
		if err != nil {
			b.Fatal(err)
		}
		return p.Get
	}, "$states.input.order.customer.address.city"},
	{"filter", func(b *testing.B) func(expr.Scope) (any, error) {
		p, err := expr.CompilePath("$.order.items[?(@.price > 10)].sku")
		if err != nil {
			b.Fatal(err)
		}
		return p.Get
	}, "$states.input.order.items[price > 10].sku"},
	{"choice", func(b *testing.B) func(expr.Scope) (any, error) {
		r, err := expr.CompileRule(map[string]any{"And": []any{
			map[string]any{"Variable": "$.order.total", "NumericGreaterThan": 100},
			map[string]any{"Variable": "$.order.customer.tier", "StringEquals": "gold"}}, "Next": "X"})
		if err != nil {
			b.Fatal(err)
		}
		return func(s expr.Scope) (any, error) { return r.Eval(s) }
	}, "$states.input.order.total > 100 and $states.input.order.customer.tier = 'gold'"},
	{"template", func(b *testing.B) func(expr.Scope) (any, error) {
		return compileTemplate(b, map[string]any{
			"id.$":      "$.order.id",
			"city.$":    "$.order.customer.address.city",
			"summary.$": "States.Format('{} for {}', $.order.id, $.order.customer.name)",
			"static":    "x",
		})
	}, "{'id': $states.input.order.id, 'city': $states.input.order.customer.address.city, 'summary': $states.input.order.id & ' for ' & $states.input.order.customer.name, 'static': 'x'}"},
	{"partition", func(b *testing.B) func(expr.Scope) (any, error) {
		return compileTemplate(b, map[string]any{"p.$": "States.ArrayPartition($.order.items, 4)"})
	}, "{'p': $partition($states.input.order.items, 4)}"},
}

func BenchmarkCompare(b *testing.B) {
	input, err := expr.Decode([]byte(document))
	if err != nil {
		b.Fatal(err)
	}
	scope := expr.Scope{Input: input}
	vars := map[string]any{"states": map[string]any{"input": input}}
	for _, p := range pairs {
		b.Run(p.name+"/jsonpath", func(b *testing.B) {
			f := p.jsonpath(b)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := f(scope); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/jsonata", func(b *testing.B) {
			e, err := jsonata.Compile(p.jsonata)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Eval(nil, vars); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
