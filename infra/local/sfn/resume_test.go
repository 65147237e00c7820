package sfn

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// TestResolvedTaskLoadsAsRead: an execution resumed by SendTaskSuccess is
// loaded with its task as the resolve committed it instead of reading the
// task again: the cursor is the one reading it gives, its heartbeat
// deadline (moved by a heartbeat since the checkpoint) and outcome
// included.
func TestResolvedTaskLoadsAsRead(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "resume.db")
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	inv := &fakeInvoker{}
	db1, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e1, err := New(db1, Options{Clock: clock, Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	if err := e1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	start(t, e1, tokenDef, "loan-1", `{"loan":{"id":"L1","amount":250000.10}}`)
	poll(t, "checkpoint", func() bool { s, _ := e1.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	token := inv.tokens()[0]
	clock.Advance(10 * time.Minute)
	if err := e1.SendTaskHeartbeat(ctx, token); err != nil {
		t.Fatal(err)
	}
	e1.Close()
	sqlitedb.Close(db1)

	// An engine that is not started queues the resumed execution for
	// workers it has not got: the test loads it itself, both ways.
	db2, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db2)
	e2, err := New(db2, Options{Clock: clock, Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if err := e2.SendTaskSuccess(ctx, token, `{"value":1.10,"n":[1,2]}`); err != nil {
		t.Fatal(err)
	}
	var id int64
	var resolved *resolvedTask
	e2.qmu.Lock()
	for i, a := range e2.active {
		id, resolved = i, a.resolved
	}
	e2.qmu.Unlock()
	if resolved == nil || resolved.token != token {
		t.Fatalf("queued with %+v, want the resolved task", resolved)
	}
	_, read, err := e2.load(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, handed, err := e2.load(ctx, id, resolved)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(time.Hour).UnixNano(); read.HBAt != want {
		t.Fatalf("read heartbeat deadline %d, want the heartbeat's %d", read.HBAt, want)
	}
	if !reflect.DeepEqual(read, handed) {
		t.Fatalf("loaded with the resolved task\n%+v\nreading it\n%+v", handed, read)
	}
}
