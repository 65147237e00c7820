package sqlitedb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// BackupInfo describes a copy made by Backup.
type BackupInfo struct {
	Path  string
	Bytes int64
	// Took is the whole backup: the copy, the sync and the check.
	Took time.Duration
}

// Backup copies the database at src to the new file dst with VACUUM INTO:
// one read transaction, so the copy is the database as of one commit, while
// the process that owns src goes on writing (in WAL mode a reader neither
// waits for the writer nor stops it). The copy is written beside dst,
// synced, passed through QuickCheck and only then renamed to dst, so dst
// never holds a partial copy. dst must not exist; it gets FileMode. src is
// never created: a missing src is an error.
func Backup(ctx context.Context, src, dst string) (BackupInfo, error) {
	started := time.Now()
	info := BackupInfo{Path: dst}
	if _, err := os.Stat(src); err != nil {
		return info, err
	}
	if _, err := os.Lstat(dst); err == nil {
		return info, fmt.Errorf("%s already exists: choose a new file", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return info, err
	}
	tmp, err := emptyFileBeside(dst)
	if err != nil {
		return info, err
	}
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmp)
		}
	}()
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return info, err
	}
	// SQLite does not sync what VACUUM INTO writes.
	if err := syncFile(tmp); err != nil {
		return info, err
	}
	if err := checkFile(ctx, tmp); err != nil {
		return info, fmt.Errorf("the copy fails its check: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return info, err
	}
	done = true
	if err := syncFile(filepath.Dir(dst)); err != nil {
		return info, err
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return info, err
	}
	info.Bytes, info.Took = fi.Size(), time.Since(started)
	return info, nil
}

// emptyFileBeside creates a new empty file, mode FileMode, in the directory
// of path (VACUUM INTO writes only into a missing or empty file; creating
// it first gives it the mode).
func emptyFileBeside(path string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial-"+hex.EncodeToString(b[:]))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return "", err
	}
	return tmp, f.Close()
}

// vacuumInto opens src without creating it, on a connection of its own
// that sets nothing persistent, and copies it into dst.
func vacuumInto(ctx context.Context, src, dst string) error {
	q := url.Values{}
	q.Set("mode", "rw")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open(driverName, "file:"+src+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return markDamaged("vacuum into", err)
	}
	return nil
}

// checkFile runs QuickCheck on the database file at path, read-only.
func checkFile(ctx context.Context, path string) error {
	db, err := sql.Open(driverName, "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return QuickCheck(ctx, db)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}
