package expr_test

import (
	"fmt"

	"loanflow/infra/local/asl/expr"
)

func Example() {
	input, _ := expr.Decode([]byte(`{"loan":{"id":"L-1","amount":250000},"detail-type":"Valuation Completed"}`))
	s := expr.Scope{Input: input, Context: map[string]any{"Execution": map[string]any{"Name": "exec-1"}}}

	tmpl, _ := expr.CompileTemplate(map[string]any{
		"id.$":      "$.loan.id",
		"kind.$":    "$.detail-type",
		"summary.$": "States.Format('{} for {}', $.loan.id, $$.Execution.Name)",
	})
	params, _ := tmpl.Eval(s)

	out, _ := expr.SetResultPath(input, "$.request", params)
	rule, _ := expr.CompileRule(map[string]any{"Variable": "$.loan.amount", "NumericGreaterThan": 100000, "Next": "Refer"})
	refer, _ := rule.Eval(expr.Scope{Input: out})

	s2, _ := expr.Encode(out)
	fmt.Println(s2)
	fmt.Println(refer, rule.Next())
	// Output:
	// {"detail-type":"Valuation Completed","loan":{"amount":250000,"id":"L-1"},"request":{"id":"L-1","kind":"Valuation Completed","summary":"L-1 for exec-1"}}
	// true Refer
}
