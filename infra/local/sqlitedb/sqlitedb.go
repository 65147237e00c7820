// Package sqlitedb opens the local stack's single SQLite file with the
// settings every component relies on: WAL, a busy timeout and foreign keys.
package sqlitedb

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// FileMode is the mode of the database file and of its -wal and -shm
// files: they hold task tokens, which are secrets.
const FileMode os.FileMode = 0o600

// Open opens (creating if needed) the SQLite database at path, readable and
// writable by its owner only (FileMode). Use ":memory:" only for tests that
// run on a single connection.
func Open(path string, opts ...Option) (*sql.DB, error) {
	if path != ":memory:" {
		if err := restrictFiles(path); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		"busy_timeout(10000)",
		"foreign_keys(ON)",
		// Checkpoints run beside the writes, not inside one (checkpoint.go).
		"wal_autocheckpoint(0)",
		"journal_size_limit(67108864)",
		// Each write of a group commit runs in a savepoint, whose journal
		// of the pages it changes (needed only to roll it back) would
		// otherwise be written to a temporary file: syscalls on every
		// write for nothing that outlives the transaction.
		"temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	for _, o := range opts {
		o(q)
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

// restrictFiles creates the database file with FileMode if it is missing
// (SQLite creates the -wal and -shm files with the mode of the database
// file) and takes group and other access away from any of the three that
// exists with a looser mode.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if perm := fi.Mode().Perm(); perm&^FileMode != 0 {
			if err := os.Chmod(p, perm&FileMode); err != nil {
				return fmt.Errorf("restrict %s to its owner: %w", p, err)
			}
		}
	}
	return nil
}
