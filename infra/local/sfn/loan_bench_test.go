package sfn

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"loanflow/infra/local/asl"
)

// BenchmarkLoanExecution runs the loan processor's approved path (the
// valuation answered with SendTaskSuccess as soon as it is requested),
// 64 loans at a time, and reports the CPU time (user and system, the whole
// process) per loan: the measure that holds when other processes share the
// machine, which wall time does not.
func BenchmarkLoanExecution(b *testing.B) {
	ctx := context.Background()
	def := loanProcessorDef(b)
	var e *Engine
	done := make(chan struct{}, 1024)
	inv := asl.InvokerFunc(func(_ context.Context, call asl.TaskCall) (any, error) {
		if call.TaskToken != "" && call.StateName == "RequestValuation" {
			go func() {
				if err := e.SendTaskSuccess(ctx, call.TaskToken, `{"valuationReference":"val-1","loanToValueBps":7000}`); err != nil {
					b.Error(err)
				}
			}()
		}
		return map[string]any{}, nil
	})
	e = newTestEngine(b, Options{Invoker: inv, OnExecutionClosed: func(ExecutionSummary) { done <- struct{}{} }})
	sm, _, err := e.CreateStateMachine(ctx, "loan-processor", string(def), "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < b.N; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.StartExecution(ctx, sm, "", fmt.Sprintf(`{"applicationId":"app-%d","property":{"postcode":"AB1 2CD"},"loanAmount":200000}`, i)); err != nil {
				b.Error(err)
			}
		}()
		go func() { <-done; <-sem }()
	}
	for range 64 {
		sem <- struct{}{}
	}
	wg.Wait()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/loan")
}
