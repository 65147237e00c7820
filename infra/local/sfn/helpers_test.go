package sfn

import (
	"context"
	"path/filepath"
	"testing"

	"loanflow/infra/local/sqlitedb"
)

// newTestEngine starts an engine on a fresh SQLite file in t.TempDir().
func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "sfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
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
