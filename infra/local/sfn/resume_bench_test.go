package sfn

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

// BenchmarkResumeAndWait runs the loan path's shape on the engine alone:
// each execution, watched before it starts (as the bench's harness does),
// waits on a task token, is resumed by SendTaskSuccess from another
// goroutine (as the callback resolver does) and is waited for to its end;
// 64 at a time. Besides ns/op it reports the process's CPU time per
// execution (cpu-ns/op), steadier than wall time on a shared machine.
func BenchmarkResumeAndWait(b *testing.B) {
	ctx := context.Background()
	tokens := make(chan string, 1024)
	e := newTestEngine(b, Options{Invoker: asl.InvokerFunc(func(_ context.Context, call asl.TaskCall) (any, error) {
		tokens <- call.TaskToken
		return map[string]any{"MessageId": "m"}, nil
	})})
	sm, _, err := e.CreateStateMachine(ctx, "resume", tokenDef, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		b.Fatal(err)
	}
	execPrefix := strings.Replace(sm, ":stateMachine:", ":execution:", 1) + ":"
	var responders sync.WaitGroup
	for range 4 {
		responders.Add(1)
		go func() {
			defer responders.Done()
			for tok := range tokens {
				if err := e.SendTaskSuccess(ctx, tok, `{"valuationReference":"VAL-1","marketValue":310000,"currency":"GBP"}`); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	concurrently(b.N, 64, func(i int) {
		name := fmt.Sprintf("x-%d", i)
		w := e.WatchExecution(execPrefix + name)
		defer w.Stop()
		if _, _, err := e.StartExecution(ctx, sm, name, `{"loan":{"applicationId":"APP-1","loanAmount":250000,"property":{"postcode":"SW1A 1AA"}}}`); err != nil {
			b.Error(err)
			return
		}
		x, err := w.Wait(ctx)
		if err != nil || x.Status != StatusSucceeded {
			b.Errorf("execution %s: %v %v", name, x, err)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	close(tokens)
	responders.Wait()
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
