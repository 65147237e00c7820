package sfn

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"loanflow/infra/local/sqlitedb"
)

// newTestEngine starts an engine on a fresh SQLite file in t.TempDir().
func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	return startEngine(t, testDB(t), opts)
}

// testDB opens a fresh SQLite file in t.TempDir(), closed at the end of the
// test (after the engines started on it, whose cleanups come later).
func testDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "sfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	return db
}

// startEngine starts an engine on db, closed at the end of the test: a
// test that restarts starts a second one on the same db.
func startEngine(t testing.TB, db *sql.DB, opts Options) *Engine {
	t.Helper()
	e, err := New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
