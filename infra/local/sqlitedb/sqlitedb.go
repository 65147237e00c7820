// Package sqlitedb opens the local stack's single SQLite file with the
// settings every component relies on: WAL, a busy timeout and foreign keys.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
)

// Open opens (creating if needed) the SQLite database at path. Use ":memory:"
// only for tests that run on a single connection.
func Open(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"busy_timeout(10000)",
		"foreign_keys(ON)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open(driverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Keep connections open: a new SQLite connection re-parses the whole
	// schema, and database/sql's default of two idle connections churns
	// under load. The pool is not capped: components may read while another
	// holds a write transaction.
	db.SetMaxIdleConns(64)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping sqlite %s: %w", path, err)
	}
	return db, nil
}

// gates holds one write gate per *sql.DB (see WriteGate).
var gates sync.Map // *sql.DB -> Gate

// Gate serialises the write transactions of every component that shares one
// *sql.DB. SQLite admits one writer at a time; without the gate, writers of
// different components (the engine, the queues, the tables, the bus) meet in
// SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: a few
// contended commits then cost more than the work. Waiting on the gate wakes
// the next writer the moment the lock is free.
type Gate chan struct{}

// WriteGate returns the gate of db, the same one for every caller.
func WriteGate(db *sql.DB) Gate {
	if g, ok := gates.Load(db); ok {
		return g.(Gate)
	}
	g, _ := gates.LoadOrStore(db, make(Gate, 1))
	return g.(Gate)
}

// Lock waits for the gate, or for ctx to end.
func (g Gate) Lock(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to write: %w", ctx.Err())
	}
}

// Unlock releases the gate.
func (g Gate) Unlock() { <-g }

// Write runs fn in a write transaction under the gate; an error from fn rolls
// the transaction back and is returned as it is. op names the write in the
// errors of begin and commit.
func (g Gate) Write(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error, op string) error {
	if err := g.Lock(ctx); err != nil {
		return err
	}
	defer g.Unlock()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// Exec runs one autocommit write statement under the gate.
func (g Gate) Exec(ctx context.Context, db *sql.DB, query string, args ...any) (sql.Result, error) {
	if err := g.Lock(ctx); err != nil {
		return nil, err
	}
	defer g.Unlock()
	return db.ExecContext(ctx, query, args...)
}
