package sfn

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// restartable opens engines one after the other on one file, as a process
// that crashes and starts again would.
type restartable struct {
	t     *testing.T
	path  string
	clock *FakeClock
	inv   *fakeInvoker
	e     *Engine
	db    *sql.DB
}

func newRestartable(t *testing.T, inv *fakeInvoker) *restartable {
	rs := &restartable{t: t, path: filepath.Join(t.TempDir(), "threads.db"), clock: NewFakeClock(time.Unix(1_700_000_000, 0)), inv: inv}
	rs.open()
	t.Cleanup(rs.stop)
	return rs
}

func (rs *restartable) open() {
	db, err := sqlitedb.Open(rs.path)
	if err != nil {
		rs.t.Fatal(err)
	}
	e, err := New(db, Options{Clock: rs.clock, Invoker: rs.inv})
	if err != nil {
		rs.t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		rs.t.Fatal(err)
	}
	rs.e, rs.db = e, db
}

func (rs *restartable) stop() {
	if rs.e != nil {
		rs.e.Close()
		sqlitedb.Close(rs.db)
		rs.e, rs.db = nil, nil
	}
}

// crash stops the engine without letting any thread finish what it waits
// for (Close interrupts waits; only checkpoints survive) and starts a new one.
func (rs *restartable) crash() {
	rs.stop()
	rs.open()
}

// savedAt counts the nested threads whose checkpoint has them at state in
// phase ("wait" for a Wait state asleep, "token" for a task waiting for its
// token). Tests wait on it before a crash, not on the clock's timers: a
// thread sets its timer only after its checkpoint, and the engine's
// scheduler holds a timer of its own (the execution's deadline), so a
// count of timers can be reached while a thread has invoked a task whose
// result is not yet checkpointed, and a crash then runs that task again.
func (rs *restartable) savedAt(state, phase string) int {
	rs.t.Helper()
	var n int
	err := rs.db.QueryRow(`SELECT COUNT(*) FROM sfn_threads WHERE status = 'RUNNING'
		AND json_extract(cursor, '$.s') = ? AND json_extract(cursor, '$.p') = ?`, state, phase).Scan(&n)
	if err != nil {
		rs.t.Fatalf("read thread checkpoints: %v", err)
	}
	return n
}

// callsByItem counts the invocations of state name by the item they carried.
func (f *fakeInvoker) callsByItem(name string) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, c := range f.calls {
		if c.StateName == name {
			out[fmt.Sprint(c.Parameters.(map[string]any)["item"])]++
		}
	}
	return out
}

// A Map whose iterations send a message and then wait, restarted while
// some iterations wait and others have not started: each message is sent
// once, and the Map's result is whole.
func TestMapIterationsAreCheckpointed(t *testing.T) {
	inv := &fakeInvoker{}
	rs := newRestartable(t, inv)
	def := `{"StartAt":"Fan","States":{"Fan":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":4,"End":true,
	  "ItemProcessor":{"StartAt":"Send","States":{
	    "Send":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"item.$":"$.id"},"ResultPath":"$.sent","Next":"Nap"},
	    "Nap":{"Type":"Wait","Seconds":60,"Next":"Done"},
	    "Done":{"Type":"Pass","Parameters":{"item.$":"$.sent.ok"},"End":true}}}}}}`
	items := make([]string, 10)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d}`, i)
	}
	arn := start(t, rs.e, def, "fan", `{"items":[`+strings.Join(items, ",")+`]}`)
	poll(t, "four iterations saved asleep", func() bool { return rs.savedAt("Nap", "wait") == 4 && inv.count() == 4 })

	rs.crash()
	poll(t, "the same four asleep again", func() bool { return rs.clock.Timers() >= 4 })
	if n := inv.count(); n != 4 {
		t.Fatalf("after the restart %d sends, want the 4 from before (none again)", n)
	}
	// Let every wait end, as many times as iterations start: a wave sets
	// its timers after the clock has moved, so the clock moves until the
	// execution ends (bounded in wall time, not in turns).
	for deadline := time.Now().Add(30 * time.Second); status(t, rs.e, arn).Status == "RUNNING" && time.Now().Before(deadline); {
		rs.clock.Advance(2 * time.Minute)
		time.Sleep(20 * time.Millisecond)
	}
	x := waitDone(t, rs.e, arn)
	if x.Status != "SUCCEEDED" {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
	sends := inv.callsByItem("Send")
	if len(sends) != 10 {
		t.Fatalf("items sent: %v, want all 10", sends)
	}
	for item, n := range sends {
		if n != 1 {
			t.Errorf("item %s sent %d times", item, n)
		}
	}
	if got := strings.Count(*x.Output, `"item":true`); got != 10 {
		t.Fatalf("output %s has %d results, want 10", *x.Output, got)
	}
	var rows int
	_ = rs.db.QueryRow(`SELECT COUNT(*) FROM sfn_threads`).Scan(&rows)
	if rows != 0 {
		t.Fatalf("%d thread rows left after the execution ended", rows)
	}
}

// A token answered while the engine was down resumes its iteration, and the
// Parallel branch beside it is not run again.
func TestNestedTokensAndParallelBranchesSurviveARestart(t *testing.T) {
	inv := &fakeInvoker{}
	rs := newRestartable(t, inv)
	def := `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
	  {"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	    "Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"End":true}}},
	  {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","End":true,"ItemProcessor":{"StartAt":"Send","States":{
	    "Send":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"item.$":"$"},"ResultSelector":{"sent.$":"$.ok"},"Next":"Nap"},
	    "Nap":{"Type":"Wait","Seconds":60,"End":true}}}}}}]}}}`
	arn := start(t, rs.e, def, "both", `{"items":[1,2,3]}`)
	poll(t, "token sent and items saved asleep", func() bool {
		return inv.count() == 4 && rs.savedAt("Ask", "token") == 1 && rs.savedAt("Nap", "wait") == 3
	})
	token := inv.tokenOf("Ask")

	rs.stop()
	// The answer is committed by a process that runs no executions: as if it
	// came in between the crash and the restart.
	db, err := sqlitedb.Open(rs.path)
	if err != nil {
		t.Fatal(err)
	}
	down, err := New(db, Options{Clock: rs.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := down.SendTaskSuccess(context.Background(), token, `{"answer":42}`); err != nil {
		t.Fatalf("answer while down: %v", err)
	}
	sqlitedb.Close(db)

	rs.open()
	poll(t, "items asleep again", func() bool { return rs.clock.Timers() >= 3 })
	rs.clock.Advance(2 * time.Minute)
	x := waitDone(t, rs.e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"answer":42`) {
		t.Fatalf("got %s %v %v %v", x.Status, x.Error, x.Cause, x.Output)
	}
	if n := inv.count(); n != 4 {
		t.Fatalf("%d invocations (%v, %v), want 4 (nothing run again)", n, inv.callsByItem("Send"), inv.callsByItem("Ask"))
	}
}

// History ids stay unique across a restart, whichever thread's checkpoint
// wrote the events before it.
func TestHistoryIdsStayUniqueAcrossARestart(t *testing.T) {
	inv := &fakeInvoker{}
	rs := newRestartable(t, inv)
	def := `{"StartAt":"Fan","States":{"Fan":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Send","States":{
	    "Send":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"item.$":"$"},"Next":"Nap"},
	    "Nap":{"Type":"Wait","Seconds":60,"End":true}}}}}}`
	arn := start(t, rs.e, def, "ids", `[1,2,3,4,5]`)
	poll(t, "iterations saved asleep", func() bool { return rs.savedAt("Nap", "wait") == 5 })
	rs.crash()
	poll(t, "asleep again", func() bool { return rs.clock.Timers() >= 5 })
	rs.clock.Advance(2 * time.Minute)
	if x := waitDone(t, rs.e, arn); x.Status != "SUCCEEDED" {
		t.Fatalf("got %s", x.Status)
	}
	h := historyOf(t, rs.e, arn)
	ids := make([]int, len(h))
	for i, ev := range h {
		ids[i] = int(ev.ID)
	}
	sort.Ints(ids)
	for i, id := range ids {
		if id != i+1 {
			t.Fatalf("history ids %v are not 1..%d", ids, len(ids))
		}
	}
}
