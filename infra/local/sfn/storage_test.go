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
	sm, _, _ := e.CreateStateMachine(ctx, "sm-"+t.Name(), def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if _, _, err := e.StartExecution(ctx, sm, "another", input); !sqlitedb.IsStorageFailure(err) {
		t.Fatalf("StartExecution on a full disk: got %v, want a storage failure", err)
	}

	// Room again: the execution ends without a restart.
	if err := sqlitedb.WriterOf(db).Write(ctx, "free room", func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM filler`)
		return err
	}); err != nil {
		t.Fatalf("free room: %v", err)
	}
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"n":50`) {
		t.Fatalf("after room was made: %s %v %v", x.Status, x.Error, x.Cause)
	}
}
