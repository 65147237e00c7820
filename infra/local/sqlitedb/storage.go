package sqlitedb

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
)

// SQLite's primary result codes that mean the storage, not the statement,
// failed (https://sqlite.org/rescode.html): the write can succeed later,
// once the disk has room again or the device answers.
const (
	codeIOErr    = 10 // SQLITE_IOERR and its extended codes
	codeFull     = 13 // SQLITE_FULL: disk (or max_page_count) full
	codeCantOpen = 14 // SQLITE_CANTOPEN
)

// StorageError is a write that failed because the state file could not be
// written (a full disk, an I/O error), not because of what it wrote. The
// caller may try again later; nothing of the write was committed.
type StorageError struct{ Err error }

func (e *StorageError) Error() string {
	return fmt.Sprintf("the local stack cannot write its state file (%v); writes resume once the cause is gone", e.Err)
}

func (e *StorageError) Unwrap() error { return e.Err }

// Unavailable marks the error for protocol layers: a 503 the caller may
// retry, not a fault of the request.
func (e *StorageError) Unavailable() bool { return true }

// IsStorageFailure reports whether err is (or wraps) a failure of the
// storage under SQLite.
func IsStorageFailure(err error) bool {
	if err == nil {
		return false
	}
	var se *StorageError
	if errors.As(err, &se) {
		return true
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case codeIOErr, codeFull, codeCantOpen:
			return true
		}
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EDQUOT)
}

// classify wraps a storage failure in a StorageError, leaving other errors
// (a constraint, a caller's own error) as they are.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *StorageError
	if errors.As(err, &se) || !IsStorageFailure(err) {
		return err
	}
	return &StorageError{Err: err}
}

// Option adjusts how Open opens a database.
type Option func(q url.Values)

// MaxPageCount caps the database at n pages on every connection, so that a
// write past it fails as on a full disk (SQLITE_FULL). Tests use it to fill
// the "disk" without filling one.
func MaxPageCount(n int) Option {
	return func(q url.Values) { q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", n)) }
}

// NoSync turns SQLite's syncs off (synchronous=OFF) for a database nobody
// needs after a crash: a throwaway run's temporary file. The SQL, the WAL and
// the locking are those of every other database; only the file's durability
// differs: a commit is in the OS's cache, not on the disk, when it returns.
// The local stack's own state file never uses it.
func NoSync() Option {
	return func(q url.Values) {
		// The driver runs the _pragma list sorted by name, so journal_mode
		// would come before synchronous and the switch of a new file to WAL
		// would still sync: it goes to _journal_mode, which runs after it.
		ps := []string{"synchronous(OFF)"}
		for _, p := range q["_pragma"] {
			switch {
			case strings.HasPrefix(p, "synchronous("):
			case strings.HasPrefix(p, "journal_mode(") && strings.HasSuffix(p, ")"):
				q.Set("_journal_mode", strings.TrimSuffix(strings.TrimPrefix(p, "journal_mode("), ")"))
			default:
				ps = append(ps, p)
			}
		}
		q["_pragma"] = ps
	}
}
