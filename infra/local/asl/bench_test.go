package asl

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"loanflow/infra/local/asl/expr"
)

var benchPlaceholderRE = regexp.MustCompile(`\$\{[A-Za-z0-9_]+\}`)

// loadLoanProcessor parses a loan processor definition, its placeholders
// filled with fixed values.
func loadLoanProcessor(tb testing.TB, path string) string {
	tb.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return benchPlaceholderRE.ReplaceAllStringFunc(string(src), func(p string) string {
		if p == "${CallbackTimeoutSeconds}" {
			return "300"
		}
		return "https://sqs.local/q"
	})
}

// runLoan runs one loan through a loan processor on a memHost: the
// valuation callback answers at once; it returns the output.
func runLoan(tb testing.TB, m *Machine, input any) string {
	h := newMemHost()
	x := NewExecution(h, m, ExecutionInfo{ARN: "arn:aws:states:us-east-1:000000000000:execution:lp:x", Name: "x",
		StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:lp", StateMachineName: "lp", Input: input, Start: h.Now()}, 2)
	cur := x.StartCursor()
	valuation := map[string]any{"valuationReference": "VAL-1", "propertyValue": jsonNumber("40000000"), "loanToValueBps": jsonNumber("6250")}
	for range 100 {
		o := x.Step(context.Background(), cur)
		switch o.Kind {
		case StepEnd:
			if o.Err != nil {
				tb.Fatalf("loan failed: %v", o.Err)
			}
			return o.OutputJSON
		case StepSuspend:
			cur.Resume(0, &TaskOutcome{Success: true, Output: valuation})
		}
	}
	tb.Fatal("no end")
	return ""
}

func loanInput(tb testing.TB) any {
	in, err := expr.Decode([]byte(`{"applicationId":"APP-1","applicant":{"name":"A","email":"a@example.com"},"loanAmount":25000000,"property":{"postcode":"SW1A 1AA","estimatedValue":40000000}}`))
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

// The JSONata twin and the JSONPath loan processor give the same output
// for the same loan.
func TestLoanProcessorTwinsAgree(t *testing.T) {
	var outs []string
	for _, p := range []string{"../../statemachines/loan-processor.asl.json", "../../statemachines/testdata/loan-processor.jsonata.asl.json"} {
		m, err := Parse([]byte(loadLoanProcessor(t, filepath.FromSlash(p))))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		outs = append(outs, runLoan(t, m, loanInput(t)))
	}
	if outs[0] != outs[1] {
		t.Errorf("JSONPath output %s\nJSONata output %s", outs[0], outs[1])
	}
}

// BenchmarkLoanProcessor runs one loan through each definition in the
// interpreter (no storage): the JSONata twin against the JSONPath one.
func BenchmarkLoanProcessor(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"JSONPath", "../../statemachines/loan-processor.asl.json"},
		{"JSONata", "../../statemachines/testdata/loan-processor.jsonata.asl.json"},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := Parse([]byte(loadLoanProcessor(b, filepath.FromSlash(c.path))))
			if err != nil {
				b.Fatal(err)
			}
			in := loanInput(b)
			b.ReportAllocs()
			for b.Loop() {
				runLoan(b, m, in)
			}
		})
	}
}
