package sfn

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWatchBeforeStart: a watch taken before the execution starts sees its
// close, answered after Wait began, and returns what DescribeExecution
// reads.
func TestWatchBeforeStart(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0)), Invoker: inv})
	sm, _, err := e.CreateStateMachine(ctx, "watched", tokenDef, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	arn := strings.Replace(sm, ":stateMachine:", ":execution:", 1) + ":loan-1"
	w := e.WatchExecution(arn)
	defer w.Stop()
	got, _, err := e.StartExecution(ctx, sm, "loan-1", `{"loan":{"id":"L1"}}`)
	if err != nil || got != arn {
		t.Fatalf("started %s (%v), watched %s", got, err, arn)
	}
	poll(t, "task submitted", func() bool { return inv.count() == 1 })
	go func() {
		time.Sleep(10 * time.Millisecond)
		if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{"value":1}`); err != nil {
			t.Error(err)
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	x, err := w.Wait(wctx)
	if err != nil {
		t.Fatal(err)
	}
	want := status(t, e, arn)
	if x.Status != StatusSucceeded || *x.Output != *want.Output || !x.StopDate.Equal(*want.StopDate) {
		t.Fatalf("Wait returned %+v, DescribeExecution %+v", x, want)
	}
}

// TestWatchWaitEndsWithContext: Wait on an execution that does not close
// returns the context's error naming the execution.
func TestWatchWaitEndsWithContext(t *testing.T) {
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	arn := start(t, e, tokenDef, "loan-1", `{"loan":{"id":"L1"}}`)
	w := e.WatchExecution(arn)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	x, err := w.Wait(ctx)
	if err == nil || x != nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("Wait = %v, %v; want still running", x, err)
	}
	e.closeWait.mu.Lock()
	left := len(e.closeWait.by)
	e.closeWait.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d watches left after Wait returned", left)
	}
}
