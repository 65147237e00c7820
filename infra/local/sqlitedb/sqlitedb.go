// Package sqlitedb opens the local stack's single SQLite file with the
// settings every component relies on: WAL, a busy timeout and foreign keys.
package sqlitedb

import (
	"database/sql"
	"fmt"
	"net/url"
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
		// Checkpoints run beside the writes, not inside one (checkpoint.go).
		"wal_autocheckpoint(0)",
		"journal_size_limit(67108864)",
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
