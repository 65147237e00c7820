package sfn

import (
	"context"
	"testing"
	"time"
)

// TestSchedulerWakesEarlierAndLaterDeadlines: a deadline committed after
// the one the scheduler sleeps until (which does not poke it) and one
// before it (which does) both wake their executions, each at its time.
func TestSchedulerWakesEarlierAndLaterDeadlines(t *testing.T) {
	ctx := context.Background()
	t0 := time.Unix(1_700_000_000, 0)
	clock := NewFakeClock(t0)
	e := newTestEngine(t, Options{Clock: clock})
	sm, _, err := e.CreateStateMachine(ctx, "waits", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	nextScan := func() int64 {
		e.smu.Lock()
		defer e.smu.Unlock()
		return e.nextScan
	}
	parked := func(n int) func() bool {
		return func() bool {
			var got int
			_ = e.store.db.QueryRow(`SELECT COUNT(*) FROM sfn_executions WHERE waiting = 1`).Scan(&got)
			return got == n
		}
	}
	startWait := func(name, input string) string {
		arn, _, err := e.StartExecution(ctx, sm, name, input)
		if err != nil {
			t.Fatal(err)
		}
		return arn
	}
	st := func(arn string) Status { return status(t, e, arn).Status }

	a := startWait("a", `{"s":100}`)
	poll(t, "a parked", parked(1))
	poll(t, "scheduler sleeping until a's deadline", func() bool { return nextScan() == t0.Add(100*time.Second).UnixNano() })
	b := startWait("b", `{"s":200}`) // later: no new scan
	poll(t, "b parked", parked(2))
	c := startWait("c", `{"s":50}`) // earlier: a new scan
	poll(t, "c parked", parked(3))
	poll(t, "scheduler sleeping until c's deadline", func() bool { return nextScan() == t0.Add(50*time.Second).UnixNano() })

	clock.Advance(50 * time.Second)
	poll(t, "c done", func() bool { return st(c) == StatusSucceeded })
	if st(a) != StatusRunning || st(b) != StatusRunning {
		t.Fatalf("at 50 s: a %s, b %s; want both RUNNING", st(a), st(b))
	}
	poll(t, "scheduler sleeping until a's deadline", func() bool { return nextScan() == t0.Add(100*time.Second).UnixNano() })
	clock.Advance(50 * time.Second)
	poll(t, "a done", func() bool { return st(a) == StatusSucceeded })
	if st(b) != StatusRunning {
		t.Fatalf("at 100 s: b %s, want RUNNING", st(b))
	}
	poll(t, "scheduler sleeping until b's deadline", func() bool { return nextScan() == t0.Add(200*time.Second).UnixNano() })
	clock.Advance(100 * time.Second)
	poll(t, "b done", func() bool { return st(b) == StatusSucceeded })
}
