package sfn

import (
	"context"
	"reflect"
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

// TestWatchHandedCloseEqualsDescribe: the execution that a worker's close
// hands its watchers (Wait returns it without a read) is what
// DescribeExecution reads, field for field, however the execution closed:
// succeeded after a resume (loaded from its row), failed at once (never
// loaded), timed out, failed again after a redrive (redrive count and date),
// and aborted (StopExecution hands nothing: Wait reads it).
func TestWatchHandedCloseEqualsDescribe(t *testing.T) {
	const (
		failDef    = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"no luck"}}}`
		bareFail   = `{"StartAt":"F","States":{"F":{"Type":"Fail"}}}`
		timeoutDef = `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`
	)
	ctx := context.Background()
	cases := []struct {
		name, def, input string
		// closeIt makes execution arn close (after it started).
		closeIt func(t *testing.T, e *Engine, clock *FakeClock, inv *fakeInvoker, arn string)
		pushed  bool // the close hands Wait the execution
	}{
		{"succeeded after resume", tokenDef, `{"loan":{"id":"L1"},"n":1.50}`, func(t *testing.T, e *Engine, _ *FakeClock, inv *fakeInvoker, _ string) {
			poll(t, "checkpoint", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
			if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{"value": 1}`); err != nil {
				t.Error(err)
			}
		}, true},
		{"failed", failDef, ``, nil, true},
		{"failed without error or cause", bareFail, `{}`, nil, true},
		{"timed out", timeoutDef, `{"a":[1,2]}`, func(t *testing.T, _ *Engine, clock *FakeClock, _ *fakeInvoker, _ string) {
			poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
			clock.Advance(10 * time.Second)
		}, true},
		{"aborted", tokenDef, `{"loan":{}}`, func(t *testing.T, e *Engine, _ *FakeClock, _ *fakeInvoker, arn string) {
			// Redriven, it waits on a task of its own again.
			poll(t, "checkpoint", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 })
			if _, err := e.StopExecution(ctx, arn, "Stopped", "by the test"); err != nil {
				t.Error(err)
			}
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := &fakeInvoker{}
			clock := NewFakeClock(time.Unix(1_700_000_000, 123))
			e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
			sm, _, err := e.CreateStateMachine(ctx, "handed", c.def, "arn:aws:iam::000000000000:role/r", "STANDARD")
			if err != nil {
				t.Fatal(err)
			}
			arn := strings.Replace(sm, ":stateMachine:", ":execution:", 1) + ":x-1"
			w := e.WatchExecution(arn)
			defer w.Stop()
			if _, _, err := e.StartExecution(ctx, sm, "x-1", c.input); err != nil {
				t.Fatal(err)
			}
			if c.closeIt != nil {
				c.closeIt(t, e, clock, inv, arn)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			x, err := w.Wait(wctx)
			if err != nil {
				t.Fatal(err)
			}
			if pushed := w.closed.x != nil; pushed != c.pushed {
				t.Fatalf("handed the execution: %v, want %v", pushed, c.pushed)
			}
			if want := status(t, e, arn); !reflect.DeepEqual(x, want) {
				t.Fatalf("Wait returned\n%+v\nDescribeExecution\n%+v", x, want)
			}
			if x.Status == StatusSucceeded || x.Status == StatusTimedOut {
				return
			}
			// Redriven (loaded from its row again), it closes once more.
			clock.Advance(time.Minute)
			w = e.WatchExecution(arn)
			defer w.Stop()
			if _, err := e.RedriveExecution(ctx, arn); err != nil {
				t.Fatal(err)
			}
			if c.closeIt != nil {
				c.closeIt(t, e, clock, inv, arn)
			}
			if x, err = w.Wait(wctx); err != nil {
				t.Fatal(err)
			}
			if pushed := w.closed.x != nil; pushed != c.pushed {
				t.Fatalf("redriven: handed the execution: %v, want %v", pushed, c.pushed)
			}
			if want := status(t, e, arn); !reflect.DeepEqual(x, want) || x.RedriveCount != 1 || x.RedriveDate == nil {
				t.Fatalf("redriven: Wait returned\n%+v\nDescribeExecution\n%+v", x, want)
			}
		})
	}
}
