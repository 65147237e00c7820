package sfn

import (
	"context"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

// TestStaleRunRefusedAfterStopAndRedrive: a worker still invoking a task
// when its execution is stopped and redriven must not write its result
// into the redriven execution (its writes belong to the earlier redrive):
// the history keeps one event per id, in order, and the redriven execution
// waits on a task of its own.
func TestStaleRunRefusedAfterStopAndRedrive(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	inv := &fakeInvoker{answer: func(_ asl.TaskCall, n int) (any, error) {
		if n == 1 {
			<-release // the first run's invocation outlives the stop and the redrive
		}
		return map[string]any{"ok": true}, nil
	}}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	sm, _, err := e.CreateStateMachine(ctx, "stale", tokenDef, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	arn, _, err := e.StartExecution(ctx, sm, "x-1", `{"loan":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "first invocation", func() bool { return inv.count() == 1 })
	if _, err := e.StopExecution(ctx, arn, "Stopped", "by the test"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := e.RedriveExecution(ctx, arn); err != nil {
		t.Fatal(err)
	}
	close(release)
	// The redriven run starts once the stale worker has let go of the execution.
	poll(t, "redriven invocation", func() bool {
		s, _ := e.Stats(ctx)
		return inv.count() == 2 && s.PendingTasks == 1
	})
	x, err := e.DescribeExecution(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != StatusRunning || x.RedriveCount != 1 {
		t.Fatalf("execution %s, redrive count %d; want RUNNING, 1", x.Status, x.RedriveCount)
	}
	h := historyOf(t, e, arn)
	checkEventIDs(t, h)
	if got := historyTypes(h); !strings.Contains(got, "ExecutionAborted ExecutionRedriven") {
		t.Fatalf("history %s: want the abort followed by the redrive", got)
	}
}
