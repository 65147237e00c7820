package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// filledFile makes a database file of a few hundred pages: a table with an
// index and a second table, closed (checkpointed into the file).
func filledFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "filled.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX kv_v ON kv (v); CREATE TABLE log (n INTEGER, body TEXT)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if _, err := tx.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprintf("key-%05d", i), strings.Repeat("v", 100+i%200)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := Close(db); err != nil {
		t.Fatal(err)
	}
	return path
}

// garblePages overwrites n b-tree pages from the middle of the file with
// random bytes, as a torn write or a bad disk block would. It returns the
// page numbers (from 1).
func garblePages(t *testing.T, path string, n int) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(b[16])<<8 | int(b[17])
	if size == 1 {
		size = 65536
	}
	pages := len(b) / size
	var btree []int
	for i := pages / 4; i < pages*3/4; i++ {
		switch b[i*size] { // the page's b-tree type
		case 2, 5, 10, 13:
			btree = append(btree, i)
		}
	}
	if len(btree) < n {
		t.Fatalf("only %d b-tree pages in the middle of %d", len(btree), pages)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var hit []int
	for _, i := range r.Perm(len(btree))[:n] {
		p := btree[i]
		for j := p * size; j < (p+1)*size; j++ {
			b[j] = byte(r.UintN(256))
		}
		hit = append(hit, p+1)
	}
	if err := os.WriteFile(path, b, FileMode); err != nil {
		t.Fatal(err)
	}
	return hit
}

func TestQuickCheckPassesAHealthyFile(t *testing.T) {
	db, err := Open(filledFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db)
	db.SetMaxOpenConns(1)
	if err := QuickCheck(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var mmap int64
	if err := db.QueryRow(`PRAGMA mmap_size`).Scan(&mmap); err != nil || mmap != 0 {
		t.Fatalf("the check's connection went back to the pool with mmap_size %d (%v)", mmap, err)
	}
}

func TestQuickCheckFindsGarbageInPages(t *testing.T) {
	path := filledFile(t)
	pages := garblePages(t, path, 3)
	db, err := Open(path)
	if err != nil {
		if !IsDamaged(err) {
			t.Fatalf("open: %v, not reported as damage", err)
		}
		return
	}
	defer func() { _ = Close(db) }() // the file is damaged on purpose: closing it may fail too
	err = QuickCheck(context.Background(), db)
	if err == nil || !IsDamaged(err) {
		t.Fatalf("quick_check of a file with garbage in pages %v: %v, want ErrDamaged", pages, err)
	}
	t.Logf("pages %v: %v", pages, err)
}

func TestOpenOfAFileThatIsNotADatabaseIsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 400)), FileMode); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err == nil {
		err = QuickCheck(context.Background(), db)
		_ = Close(db) // the file is not a database: closing it may fail too
	}
	if !IsDamaged(err) {
		t.Fatalf("got %v, want an error IsDamaged accepts", err)
	}
}

// A backup taken while writes commit is the database as of one commit:
// every write puts one row in each of two tables in one transaction, so a
// copy made in the middle of one would hold different counts.
func TestBackupIsAConsistentCopyWhileWritesGoOn(t *testing.T) {
	db := open(t)
	w := WriterOf(db)
	ctx := context.Background()
	var written atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := w.Write(ctx, "pair", func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprintf("k%d", i), i); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO log (n) VALUES (?)`, i)
				return err
			})
			if err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	var dbPath string
	if err := db.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&dbPath); err != nil {
		t.Fatal(err)
	}
	info, err := Backup(ctx, dbPath, dst)
	if err != nil {
		t.Fatal(err)
	}
	for n := written.Load(); written.Load() < n+100; {
		time.Sleep(time.Millisecond) // the writes go on after the backup
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Size() != info.Bytes || fi.Mode().Perm() != FileMode {
		t.Fatalf("copy: %v, %v; info %+v", fi, err, info)
	}
	cp, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, cp)
	if err := QuickCheck(ctx, cp); err != nil {
		t.Fatal(err)
	}
	var kv, log int64
	if err := cp.QueryRow(`SELECT (SELECT count(*) FROM kv), (SELECT count(*) FROM log)`).Scan(&kv, &log); err != nil {
		t.Fatal(err)
	}
	if kv != log || kv < 200 || kv >= written.Load() {
		t.Fatalf("copy holds %d kv and %d log rows; %d pairs were written, at least 200 before the backup", kv, log, written.Load())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".*partial*")); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestBackupNeverOverwritesNorCreatesASource(t *testing.T) {
	dir := t.TempDir()
	src := filledFile(t)
	dst := filepath.Join(dir, "taken.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(context.Background(), src, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Fatalf("the existing file was changed: %q", b)
	}
	missing := filepath.Join(dir, "missing.db")
	if _, err := Backup(context.Background(), missing, filepath.Join(dir, "new.db")); err == nil {
		t.Fatal("backup of a missing file succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d files, want only taken.db: %v", len(entries), entries)
	}
}

// TestQuickCheckCost times QuickCheck on the file named by
// LOANFLOW_QUICKCHECK_DB (a measurement, not a check).
func TestQuickCheckCost(t *testing.T) {
	path := os.Getenv("LOANFLOW_QUICKCHECK_DB")
	if path == "" {
		t.Skip("set LOANFLOW_QUICKCHECK_DB to a database file to time quick_check on it")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db)
	for i := range 2 {
		started := time.Now()
		if err := QuickCheck(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: quick_check of %d MB took %s", i+1, fi.Size()>>20, time.Since(started).Round(time.Millisecond))
	}
}
