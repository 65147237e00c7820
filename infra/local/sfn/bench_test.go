package sfn

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

const benchDef = `{"StartAt":"A","States":{
 "A":{"Type":"Pass","Result":{"amount":250000},"ResultPath":"$.loan","Next":"B"},
 "B":{"Type":"Choice","Choices":[{"Variable":"$.loan.amount","NumericGreaterThan":100000,"Next":"C"}],"Default":"D"},
 "C":{"Type":"Pass","Parameters":{"id.$":"$.id","big":true},"Next":"D"},
 "D":{"Type":"Succeed"}}}`

// BenchmarkTransitions runs executions of four states each, concurrently,
// with durable checkpoints (start and end are committed; group commit
// batches them), and reports state transitions per second.
func BenchmarkTransitions(b *testing.B) {
	ctx := context.Background()
	done := make(chan struct{}, 1024)
	e := newTestEngine(b, Options{OnExecutionClosed: func(ExecutionSummary) { done <- struct{}{} }})
	sm, _, err := e.CreateStateMachine(ctx, "bench", benchDef, "arn:aws:iam::000000000000:role/r", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	concurrently(b.N, 64, func(i int) {
		if _, _, err := e.StartExecution(ctx, sm, "", fmt.Sprintf(`{"id":%d}`, i)); err != nil {
			b.Error(err)
		}
	})
	for i := 0; i < b.N; i++ {
		<-done
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, "executions/s")
	b.ReportMetric(float64(4*b.N)/el, "transitions/s")
}

// BenchmarkWaitingMemory starts executions that wait on a task token and
// reports heap bytes per waiting execution (a row, not a goroutine).
func BenchmarkWaitingMemory(b *testing.B) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(b, Options{Invoker: asl.InvokerFunc(func(context.Context, asl.TaskCall) (any, error) { return nil, nil })})
	_ = inv
	sm, _, err := e.CreateStateMachine(ctx, "wait", tokenDef, "arn:aws:iam::000000000000:role/r", "")
	if err != nil {
		b.Fatal(err)
	}
	n := waitingExecs
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for j := 0; j < n; j++ {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if _, _, err := e.StartExecution(ctx, sm, fmt.Sprintf("w-%d-%d", i, j), `{"loan":{}}`); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		deadline := time.Now().Add(time.Minute)
		for {
			s, _ := e.Stats(ctx)
			if s.PendingTasks >= (i+1)*n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d waiting", s.PendingTasks)
			}
			time.Sleep(10 * time.Millisecond)
		}
		for e.activeCount() > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n), "heap-B/waiting-exec")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0), "extra-goroutines")
	}
}

// waitingExecs is how many executions BenchmarkWaitingMemory parks.
var waitingExecs = 10000

// concurrently runs fn(i) for each i below n, at most limit at a time, and
// returns when all have returned.
func concurrently(n, limit int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, limit)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}
