package sqlitedb

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// synchronousOf returns PRAGMA synchronous on n connections of db at once
// (0 OFF, 1 NORMAL, 2 FULL), so that every pooled connection is checked.
func synchronousOf(t *testing.T, db *sql.DB, n int) []int {
	t.Helper()
	ctx := context.Background()
	var got []int
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var v int
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	return got
}

func TestNoSyncTurnsSyncsOffOnEveryConnection(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "throwaway.db"), NoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db)
	for i, v := range synchronousOf(t, db, 3) {
		if v != 0 {
			t.Errorf("connection %d: synchronous = %d, want 0 (OFF)", i, v)
		}
	}
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal as without NoSync", mode, err)
	}

	durable, err := Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, durable)
	for i, v := range synchronousOf(t, durable, 2) {
		if v != 1 {
			t.Errorf("default connection %d: synchronous = %d, want 1 (NORMAL)", i, v)
		}
	}
}

// TestCloseEndsTheCheckpointPause: Close must not wait out the pause between
// checkpoints (it made every short-lived process 100 ms slower).
func TestCloseEndsTheCheckpointPause(t *testing.T) {
	c := &checkpointer{kicked: make(chan struct{}, 1), stop: make(chan struct{})}
	slept := make(chan bool, 1)
	go func() { slept <- c.sleep(time.Hour) }()
	c.close()
	select {
	case full := <-slept:
		if full {
			t.Fatal("sleep reported a full pause after close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close did not end the pause")
	}
	c.close() // a second close is harmless
	if c.sleep(time.Hour) {
		t.Fatal("sleep after close paused")
	}
}

// TestCloseAfterAWriteIsPrompt closes a database right after a commit, while
// its checkpointer pauses between checkpoints.
func TestCloseAfterAWriteIsPrompt(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriterOf(db).Exec(context.Background(), "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Close(db) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
}
