package sfn

import (
	"context"
	"strings"
	"testing"
	"time"
)

// historyTypes is h's event types, space-separated, for comparing with the
// history a test expects.
func historyTypes(h []HistoryEvent) string {
	var types []string
	for _, ev := range h {
		types = append(types, ev.Type)
	}
	return strings.Join(types, " ")
}

// checkEventIDs fails t unless h's events are numbered 1, 2, 3... in order,
// each id once.
func checkEventIDs(t *testing.T, h []HistoryEvent) {
	t.Helper()
	for i, ev := range h {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d: %s", i+1, ev.ID, historyTypes(h[:i+1]))
		}
	}
}

// An execution whose first states only compute up to a Wait is inserted
// where it waits: StartExecution is its only write until it wakes, and it
// wakes on time and ends as it would have.
func TestStartWritesFirstCheckpoint(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	def := `{"StartAt":"Prepare","States":{
	  "Prepare":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.p","Next":"Sleep"},
	  "Sleep":{"Type":"Wait","Seconds":60,"Next":"Done"},
	  "Done":{"Type":"Succeed"}}}`
	sm, _, err := e.CreateStateMachine(ctx, "waits-first", def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	before := e.store.writes.Load()
	arn, _, err := e.StartExecution(ctx, sm, "w", `{"loan":1}`)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.store.writes.Load() - before; n != 1 {
		t.Fatalf("%d write transactions to start and wait, want 1", n)
	}
	if got, want := historyTypes(historyOf(t, e, arn)), "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered"; got != want {
		t.Fatalf("history while waiting\n got %s\nwant %s", got, want)
	}
	var waiting int
	var wake int64
	if err := e.store.db.QueryRow(`SELECT waiting, wake_ns FROM sfn_executions WHERE arn = ?`, arn).Scan(&waiting, &wake); err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(60 * time.Second).UnixNano(); waiting != 1 || wake != want {
		t.Fatalf("waiting %d until %d, want 1 until %d", waiting, wake, want)
	}
	clock.Advance(59 * time.Second)
	if x := status(t, e, arn); x.Status != StatusRunning {
		t.Fatalf("%s before the Wait's end", x.Status)
	}
	poll(t, "the wait's timer", func() bool { return clock.Timers() > 0 })
	clock.Advance(time.Second)
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || *x.Output != `{"loan":1,"p":{"n":1}}` {
		t.Fatalf("got %s %v", x.Status, x.Output)
	}
	h := historyOf(t, e, arn)
	want := "ExecutionStarted PassStateEntered PassStateExited WaitStateEntered WaitStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got := historyTypes(h); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	checkEventIDs(t, h)
}

// StartExecution steps the first states with the definition the last start
// read; once the machine has another, the execution runs the new one.
func TestStartAfterUpdateRunsNewDefinition(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{})
	def := func(v string) string {
		return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + v + `","ResultPath":"$.v","Next":"M"},
		  "M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultPath":"$.items","End":true}}}`
	}
	sm, _, err := e.CreateStateMachine(ctx, "updated", def("old"), "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string) *Execution {
		arn, _, err := e.StartExecution(ctx, sm, name, `{"items":[1,2]}`)
		if err != nil {
			t.Fatal(err)
		}
		return waitDone(t, e, arn)
	}
	if x := run("first"); x.Status != StatusSucceeded || *x.Output != `{"items":[1,2],"v":"old"}` {
		t.Fatalf("first: %s %v %v", x.Status, x.Error, x.Cause)
	}
	if _, err := e.UpdateStateMachine(ctx, sm, def("new"), "arn:aws:iam::000000000000:role/r2"); err != nil {
		t.Fatal(err)
	}
	x := run("second")
	if x.Status != StatusSucceeded || *x.Output != `{"items":[1,2],"v":"new"}` {
		t.Fatalf("second: %s %v %v", x.Status, x.Error, x.Cause)
	}
	sfm, err := e.DescribeStateMachineForExecution(ctx, x.ExecutionARN)
	if err != nil || sfm.RoleARN != "arn:aws:iam::000000000000:role/r2" {
		t.Fatalf("role of the second execution: %v %v", sfm, err)
	}
}

// The insert of a stepped execution is its checkpoint: a process that ends
// before a worker took the execution leaves it to the next, which goes on
// from there and records each event once.
func TestStartCheckpointSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	def := `{"StartAt":"Prepare","States":{
	  "Prepare":{"Type":"Pass","Result":1,"ResultPath":"$.n","Next":"Call"},
	  "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"n.$":"$.n"},"ResultPath":"$.r","End":true}}}`
	e1, err := New(db, Options{Invoker: &fakeInvoker{}})
	if err != nil {
		t.Fatal(err)
	}
	// Not started: no worker ever takes the execution.
	sm, _, err := e1.CreateStateMachine(ctx, "restart", def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	arn, _, err := e1.StartExecution(ctx, sm, "x", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	e1.Close()
	inv := &fakeInvoker{}
	e2 := startEngine(t, db, Options{Invoker: inv})
	x := waitDone(t, e2, arn)
	if x.Status != StatusSucceeded || *x.Output != `{"n":1,"r":{"ok":true}}` || inv.count() != 1 {
		t.Fatalf("got %s %v after %d calls", x.Status, x.Output, inv.count())
	}
	h := historyOf(t, e2, arn)
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := historyTypes(h); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	checkEventIDs(t, h)
}

// A StopExecution that commits after StartExecution's insert but finds no
// run to cancel (StartExecution has not enqueued it yet) must not let the
// run StartExecution then enqueues step on: its first steps left it at the
// task's invocation (the insert is the checkpoint before the call), so a
// worker given that run invoked the task of an execution whose stop had
// returned. The window is held open here by holding the run queue's lock,
// which StartExecution's enqueue needs after its insert has committed.
func TestStopBeforeStartEnqueuesInvokesNothing(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	sm, _, err := e.CreateStateMachine(ctx, "stop-at-start", tokenDef, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:states:" + e.region + ":" + e.account + ":execution:stop-at-start:s"

	e.qmu.Lock()
	started := make(chan error, 1)
	go func() {
		_, _, err := e.StartExecution(ctx, sm, "s", `{"loan":{}}`)
		started <- err
	}()
	// The insert commits, then StartExecution waits for the queue.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.DescribeExecution(ctx, arn); err == nil {
			break
		}
		if time.Now().After(deadline) {
			e.qmu.Unlock()
			t.Fatal("the execution was never inserted")
		}
		time.Sleep(time.Millisecond)
	}
	// StopExecution in that window: its write, then its cancelRun (run
	// here, under the lock held), which finds no run.
	id, _, err := e.store.stopExecution(ctx, arn, "Stopped", "by the test", clock.Now())
	e.parked.stopping()
	if err != nil {
		e.qmu.Unlock()
		t.Fatal(err)
	}
	if _, ok := e.active[id]; ok {
		e.qmu.Unlock()
		t.Fatal("the execution is queued before StartExecution enqueued it")
	}
	e.qmu.Unlock()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	poll(t, "the worker to let go of the execution", func() bool {
		e.qmu.Lock()
		defer e.qmu.Unlock()
		_, ok := e.active[id]
		return !ok
	})
	if n := inv.count(); n != 0 {
		t.Fatalf("%d task invocations after the execution was stopped, want 0", n)
	}
	if x := status(t, e, arn); x.Status != StatusAborted {
		t.Fatalf("execution %s, want ABORTED", x.Status)
	}
}
