package sfn

import (
	"context"
	"reflect"
	"testing"
	"time"
)

const twoTokensDef = `{"StartAt":"First","States":{
 "First":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"ResultPath":"$.first","Next":"Second"},
 "Second":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"ResultPath":"$.second","End":true}}}`

// peekParked returns the row kept for execution id without taking it.
func peekParked(e *Engine, id int64) (execRow, uint64, bool) {
	e.parked.mu.Lock()
	defer e.parked.mu.Unlock()
	r, ok := e.parked.by[id]
	return r.row, r.stops, ok
}

// execID returns the id of execution arn.
func execID(t *testing.T, e *Engine, arn string) int64 {
	t.Helper()
	var id int64
	if err := e.store.db.QueryRow(`SELECT id FROM sfn_executions WHERE arn = ?`, arn).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestParkedRowIsTheStoredRow: the row an engine keeps for an execution
// it parked is the row the checkpoint committed, field for field: parked
// fresh from StartExecution, parked again after a resume (loaded from a
// kept row), parked after a redrive (redrive count and date).
func TestParkedRowIsTheStoredRow(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 5))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	arn := start(t, e, twoTokensDef, "x", `{"loan":{"amount":250000.50,"note":"<&>"}}`)
	id := execID(t, e, arn)
	check := func(what string) {
		t.Helper()
		poll(t, what+": parked", func() bool { _, _, ok := peekParked(e, id); return ok })
		kept, _, _ := peekParked(e, id)
		stored, err := e.store.loadExecution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(kept, *stored) {
			t.Fatalf("%s: kept\n%+v\nstored\n%+v", what, kept, *stored)
		}
	}
	poll(t, "first task", func() bool { return inv.count() == 1 })
	check("fresh")
	clock.Advance(time.Second)
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{"v":1}`); err != nil {
		t.Fatal(err)
	}
	poll(t, "second task", func() bool { return inv.count() == 2 })
	check("resumed")
	if _, err := e.StopExecution(ctx, arn, "E", "stopped"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := e.RedriveExecution(ctx, arn); err != nil {
		t.Fatal(err)
	}
	poll(t, "second task again", func() bool { return inv.count() == 3 })
	check("redriven")
	clock.Advance(time.Second)
	if err := e.SendTaskSuccess(ctx, inv.tokens()[2], `{"v":2}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, arn); x.Status != StatusSucceeded || *x.Output != `{"first":{"v":1},"loan":{"amount":250000.50,"note":"<&>"},"second":{"v":2}}` {
		t.Fatalf("ended %s %v", x.Status, x.Output)
	}
}

// TestParkedRowNotUsedAfterStop: a StopExecution makes the rows kept before
// it stale: the stopped execution, woken (here by hand, as a timer or a
// late answer could), is read, found ABORTED and left alone.
func TestParkedRowNotUsedAfterStop(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	arn := start(t, e, tokenDef, "x", `{"loan":{}}`)
	id := execID(t, e, arn)
	poll(t, "parked", func() bool { _, _, ok := peekParked(e, id); return ok })
	if _, err := e.StopExecution(ctx, arn, "E", "stopped"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.parked.take(id); ok {
		t.Fatal("the row kept before the stop was taken")
	}
	r, _, err := e.load(ctx, id, nil)
	if err != nil || r != nil {
		t.Fatalf("load after the stop: %v, %v; want no run", r, err)
	}
	if x := status(t, e, arn); x.Status != StatusAborted {
		t.Fatalf("status %s", x.Status)
	}
}

// TestParkedRowsAreBounded: beyond maxParkedRows the oldest rows go, the
// newest stay.
func TestParkedRowsAreBounded(t *testing.T) {
	var p parkedRows
	for id := int64(1); id <= 3*maxParkedRows; id++ {
		p.keep(id, execRow{arn: "a"}, 0)
		if id%7 == 0 {
			p.take(id - 3) // taken ones leave room
		}
	}
	if n := p.size(); n > maxParkedRows {
		t.Fatalf("%d rows kept, bound %d", n, maxParkedRows)
	}
	if _, ok := p.take(3 * maxParkedRows); !ok {
		t.Fatal("the newest row is gone")
	}
	if _, ok := p.take(1); ok {
		t.Fatal("the oldest row is still kept")
	}
	p.keep(5, execRow{}, 0)
	p.stopping()
	if _, ok := p.take(5); ok {
		t.Fatal("a row kept before a stop was taken")
	}
}
