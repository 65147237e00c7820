package sfn

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// A full disk used to leave executions RUNNING until a restart: their
// failed checkpoints were never tried again. Now the engine retries them
// from their last checkpoint, callers get a storage error (a 503 on the
// wire) meanwhile, and the executions end once there is room again, in the
// same process.
func TestExecutionsCarryOnAfterADiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "full.db")
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	// Each loop turn writes ~20 KB of history that the full file cannot take.
	def := `{"StartAt":"Nap","States":{
	  "Nap":{"Type":"Wait","Seconds":10,"Next":"Work"},
	  "Work":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)","pad.$":"$.pad"},"Next":"Enough"},
	  "Enough":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanEquals":50,"Next":"Done"}],"Default":"Work"},
	  "Done":{"Type":"Succeed"}}}`
	input := `{"n":0,"pad":"` + strings.Repeat("p", 10_000) + `"}`

	// First run: the execution starts and sleeps; the file gets a filler
	// table that can be deleted later to make room.
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	arn := start(t, e, def, "full", input)
	// The machine for the StartExecution below is made while there is
	// room: made on the full disk, its write may share a batch with the
	// execution's failing checkpoint and fail with it (a storage failure
	// too, but then there is no machine to start).
	sm, _, err := e.CreateStateMachine(ctx, "sm-another", def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the execution asleep", func() bool { return clock.Timers() > 0 && e.activeCount() == 0 })
	if _, err := db.Exec(`CREATE TABLE filler (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, err := db.Exec(`INSERT INTO filler VALUES (randomblob(8000))`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	e.Close()
	sqlitedb.Close(db)

	// Second run on a "disk" with no room left.
	db, err = sqlitedb.Open(path, sqlitedb.MaxPageCount(pages))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db)
	e, err = New(db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	poll(t, "the timer armed", func() bool { return clock.Timers() > 0 })
	clock.Advance(time.Minute)

	// While the disk is full: the execution stays RUNNING, and a caller's
	// write fails with a storage error, not an internal one.
	time.Sleep(300 * time.Millisecond)
	if x := status(t, e, arn); x.Status != "RUNNING" {
		t.Fatalf("on a full disk: %s %v %v", x.Status, x.Error, x.Cause)
	}
	if _, _, err := e.StartExecution(ctx, sm, "another", input); !sqlitedb.IsStorageFailure(err) {
		t.Fatalf("StartExecution on a full disk: got %v, want a storage failure", err)
	}

	// Room again: the execution ends without a restart. The write that
	// makes room is a caller like any other: when it shares a batch with,
	// and comes before, the execution's retried checkpoint, the full disk
	// rolls it back too, with a storage failure, and it tries again.
	for try := 1; ; try++ {
		err := sqlitedb.WriterOf(db).Write(ctx, "free room", func(tx *sql.Tx) error {
			_, err := tx.Exec(`DELETE FROM filler`)
			return err
		})
		if err == nil {
			break
		}
		if !sqlitedb.IsStorageFailure(err) || try == 50 {
			t.Fatalf("free room, try %d: %v", try, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"n":50`) {
		t.Fatalf("after room was made: %s %v %v", x.Status, x.Error, x.Cause)
	}
}
