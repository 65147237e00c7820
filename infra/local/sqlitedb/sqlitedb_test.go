package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite"
)

// closeDB closes db with Close and fails the test if that fails.
func closeDB(t *testing.T, db *sql.DB) {
	t.Helper()
	if err := Close(db); err != nil {
		t.Error(err)
	}
}

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL); CREATE TABLE log (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// holdWriter keeps w busy until release is closed, so that the writes that
// come meanwhile queue up into one batch.
func holdWriter(w *Writer) (release chan struct{}) {
	release = make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = w.Write(context.Background(), "hold", func(*sql.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	return release
}

// The cache must not change results: the same text re-run with other
// arguments, and re-run while rows of an earlier run are still open.
func TestCachedStatementsKeepResults(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	for i := range 50 {
		if _, err := db.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, fmt.Sprintf("k%02d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		var v int
		if err := db.QueryRowContext(ctx, `SELECT v FROM kv WHERE k = ?`, fmt.Sprintf("k%02d", i)).Scan(&v); err != nil || v != i {
			t.Fatalf("k%02d = %d, %v; want %d", i, v, err, i)
		}
	}
	// The statement is kept prepared on the connection that ran it.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `UPDATE kv SET v = v WHERE k = ?`, "k00"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Raw(func(dc any) error {
		if _, ok := dc.(*cachingConn).stmts[`UPDATE kv SET v = v WHERE k = ?`]; !ok {
			return errors.New("the statement was not cached")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	const q = `SELECT k, v FROM kv WHERE v >= ? ORDER BY v`
	outer, err := tx.QueryContext(ctx, q, 40)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for outer.Next() {
		var k string
		var v int
		if err := outer.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		// The same text again on the same connection while outer is open.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`, v).Scan(&n); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, v)
		if err != nil {
			t.Fatal(err)
		}
		m := 0
		for inner.Next() {
			m++
		}
		inner.Close()
		if m != 50-v || n != m {
			t.Fatalf("inner run from %d saw %d rows (count %d), want %d", v, m, n, 50-v)
		}
		got = append(got, v)
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if len(got) != 10 || got[0] != 40 || got[9] != 49 {
		t.Fatalf("outer run = %v, want 40..49", got)
	}
}

func TestScriptsAndErrorsStillWork(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO log VALUES (1); INSERT INTO log VALUES (2);`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM log`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("script inserted %d rows, %v; want 2", n, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 1); err != nil {
		t.Fatal(err)
	}
	// A constraint failure on a cached statement, then the statement again.
	if _, err := db.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "a", 2); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO kv (k, v) VALUES (?, ?)`, "b", 2); err != nil {
		t.Fatalf("the statement after a failure: %v", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT nope FROM kv`); err == nil {
		t.Fatal("a bad statement was accepted")
	}
	if !cacheable("SELECT 1;") || cacheable("SELECT 1; SELECT 2") {
		t.Fatal("cacheable misjudges scripts")
	}
}

// Writers of different components on one db go through one Writer: every
// increment lands, none meets SQLITE_BUSY, and concurrent writes share
// commits.
func TestWriterCommitsConcurrentWrites(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if _, err := db.Exec(`INSERT INTO kv VALUES ('n', 0)`); err != nil {
		t.Fatal(err)
	}
	w1, w2 := WriterOf(db), WriterOf(db)
	if w1 != w2 {
		t.Fatal("two writers for one db")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				err = w1.Write(ctx, "inc", func(tx *sql.Tx) error {
					_, err := tx.Exec(`UPDATE kv SET v = v + 1 WHERE k = 'n'`)
					return err
				})
			} else {
				_, err = w2.Exec(ctx, `UPDATE kv SET v = v + 1 WHERE k = 'n'`)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT v FROM kv WHERE k = 'n'`).Scan(&n); err != nil || n != 400 {
		t.Fatalf("n = %d, %v; want 400", n, err)
	}
}

// In one batch, a failing (or panicking) write rolls back its own changes
// only; the others commit.
func TestWriterIsolatesFailuresInABatch(t *testing.T) {
	db := open(t)
	w := WriterOf(db)
	boom := errors.New("boom")
	// Hold the writer busy so that the next writes queue up into one batch.
	release := holdWriter(w)
	type outcome struct {
		key string
		err error
	}
	results := make(chan outcome, 4)
	for _, k := range []string{"ok1", "bad", "panic", "ok2"} {
		go func() {
			err := w.Write(context.Background(), "insert "+k, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO kv VALUES (?, 1)`, k); err != nil {
					return err
				}
				switch k {
				case "bad":
					return boom
				case "panic":
					panic("a bug in one component")
				}
				return nil
			})
			results <- outcome{k, err}
		}()
	}
	// Let all four queue behind the held write before releasing it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		w.mu.Lock()
		n := len(w.queue)
		w.mu.Unlock()
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want 4", n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 4 {
		o := <-results
		switch o.key {
		case "bad":
			if !errors.Is(o.err, boom) {
				t.Errorf("bad: %v, want boom", o.err)
			}
		case "panic":
			if o.err == nil || !strings.Contains(o.err.Error(), "panicked") {
				t.Errorf("panic: %v, want a panicked error", o.err)
			}
		default:
			if o.err != nil {
				t.Errorf("%s: %v", o.key, o.err)
			}
		}
	}
	rows, err := db.Query(`SELECT k FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		keys = append(keys, k)
	}
	if strings.Join(keys, ",") != "ok1,ok2" {
		t.Fatalf("rows after the batch = %v, want [ok1 ok2]", keys)
	}
}

// A write whose context ends while it waits never runs.
func TestWriterDropsAbandonedWrites(t *testing.T) {
	db := open(t)
	w := WriterOf(db)
	release := holdWriter(w)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := w.Exec(ctx, `INSERT INTO kv VALUES ('late', 1)`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an abandoned write returned %v, want the context's deadline", err)
	}
	close(release)
	if _, err := w.Exec(context.Background(), `INSERT INTO kv VALUES ('next', 1)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv WHERE k = 'late'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the abandoned write ran (%d rows, %v)", n, err)
	}
}

// No commit checkpoints inline (wal_autocheckpoint is off); the Writer's
// checkpointer copies the WAL back into the database file on its own.
func TestWriterCheckpointsBesideTheCommits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db)
	var auto int
	if err := db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	if _, err := db.Exec(`CREATE TABLE blob (n INTEGER PRIMARY KEY, b BLOB)`); err != nil {
		t.Fatal(err)
	}
	fileSize := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := fileSize()
	w := WriterOf(db)
	payload := make([]byte, 4096)
	for i := range 512 { // 2 MiB through the WAL
		if _, err := w.Exec(context.Background(), `INSERT INTO blob VALUES (?, ?)`, i, payload); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for fileSize() < before+2<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes (was %d): the WAL was not checkpointed", fileSize(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// registerOnce registers cancel_caller_at(x, n) on the driver, for new
// connections: it returns x and, when x = n, calls the CancelFunc in
// callerCancel.
var (
	registerOnce sync.Once
	callerCancel atomic.Value
)

// A caller's context that ends while its statement runs must not interrupt
// the statement: SQLite would roll back the whole transaction, which holds
// the other writes of the batch. The statement runs to its end and the batch
// commits.
func TestCallerCancellationDoesNotBreakABatch(t *testing.T) {
	registerOnce.Do(func() {
		if err := baseDriver.RegisterScalarFunction("cancel_caller_at", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if args[0] == args[1] {
				callerCancel.Load().(context.CancelFunc)()
			}
			return args[0], nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	db := open(t)
	if _, err := db.Exec(`CREATE TABLE big (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	w := WriterOf(db)
	release := holdWriter(w)
	insert := func(k string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO kv VALUES (?, 1)`, k)
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	callerCancel.Store(cancel)
	const rows = 300_000
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, fn := range []func(tx *sql.Tx) error{
		insert("A"),
		func(tx *sql.Tx) error {
			if _, err := tx.Exec(`INSERT INTO kv VALUES ('B', 1)`); err != nil {
				return err
			}
			// The caller gives up while the statement runs: the statement
			// itself cancels the context at its 1,000th row (a timer could
			// fire before it starts, on a slow machine).
			_, err := tx.ExecContext(ctx, `INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?)
				SELECT cancel_caller_at(x, 1000) FROM c`, rows)
			return err
		},
		insert("C"),
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Write(context.Background(), fmt.Sprint("write ", i), fn)
		}()
		time.Sleep(20 * time.Millisecond) // queue them in order
	}
	close(release)
	wg.Wait()
	if ctx.Err() == nil {
		t.Fatal("the statement did not cancel its caller's context")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var keys string
	if err := db.QueryRow(`SELECT group_concat(k, ',') FROM (SELECT k FROM kv ORDER BY k)`).Scan(&keys); err != nil || keys != "A,B,C" {
		t.Fatalf("committed keys = %q, %v; want A,B,C", keys, err)
	}
	var big int
	if err := db.QueryRow(`SELECT count(*) FROM big`).Scan(&big); err != nil || big != rows {
		t.Fatalf("big has %d rows, %v; want the whole statement's %d", big, err, rows)
	}
}

// A write whose context has ended before its statement starts fails alone;
// its savepoint is rolled back and the rest of the batch commits.
func TestWriteWithAnEndedContextFailsAlone(t *testing.T) {
	db := open(t)
	w := WriterOf(db)
	release := holdWriter(w)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, k := range []string{"A", "B", "C"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Write(context.Background(), "write "+k, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO kv VALUES (?, 1)`, k+"1"); err != nil {
					return err
				}
				c := context.Background()
				if k == "B" {
					cancel()
					c = ctx
				}
				_, err := tx.ExecContext(c, `INSERT INTO kv VALUES (?, 2)`, k+"2")
				return err
			})
		}()
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], context.Canceled) {
		t.Fatalf("errors = %v; want A and C committed, B canceled", errs)
	}
	var keys string
	if err := db.QueryRow(`SELECT group_concat(k, ',') FROM (SELECT k FROM kv ORDER BY k)`).Scan(&keys); err != nil || keys != "A1,A2,C1,C2" {
		t.Fatalf("committed keys = %q, %v; want A1,A2,C1,C2", keys, err)
	}
}

// Under steady reads and writes the WAL is copied back but seldom started
// over; past walFramesRestart frames a RESTART checkpoint starts it over.
func TestWALStaysBoundedUnderSteadyReadsAndWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db)
	if _, err := db.Exec(`CREATE TABLE k (v BLOB)`); err != nil {
		t.Fatal(err)
	}
	w := WriterOf(db)
	w.ckpt.restartFrames.Store(500)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				var n int
				_ = db.QueryRow(`SELECT count(*) FROM (SELECT 1 FROM k LIMIT 50)`).Scan(&n)
			}
		}()
	}
	var writes atomic.Int64
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := w.Exec(context.Background(), `INSERT INTO k VALUES (randomblob(3000))`); err != nil {
					t.Error(err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	// Run until three RESTART checkpoints have finished under the steady
	// readers, not for a fixed time: a busy machine (or the race
	// detector) makes fewer writes a second, and a test that then skipped
	// would check nothing there. Each write adds a frame or two, so a
	// 500-frame limit is passed every few hundred writes.
	for deadline := time.Now().Add(120 * time.Second); w.ckpt.restarts.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	restarts := w.ckpt.restarts.Load()
	t.Logf("%d writes, %d RESTART checkpoints, WAL file %d MB", writes.Load(), restarts, fi.Size()>>20)
	if restarts == 0 {
		t.Fatalf("%d writes past a %d-frame limit and no RESTART checkpoint finished", writes.Load(), 500)
	}
	if fi.Size() > 64<<20+1<<20 {
		t.Fatalf("WAL file is %d MB; journal_size_limit is 64 MB", fi.Size()>>20)
	}
}

func TestCloseDropsTheWriter(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	WriterOf(db)
	if err := Close(db); err != nil {
		t.Fatal(err)
	}
	if _, ok := writers.Load(db); ok {
		t.Fatal("the Writer of a closed database is still held")
	}
}

// The database and its -wal and -shm files hold task tokens: only their
// owner may read them, whatever the umask, and a file left readable by an
// earlier version is tightened at the next open.
func TestStateFilesAreOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	files := []string{path, path + "-wal", path + "-shm"}
	check := func(when string) {
		t.Helper()
		for _, p := range files {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: %s is %v, want -rw-------", when, filepath.Base(p), got)
			}
		}
	}
	write := func() {
		t.Helper()
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT); INSERT OR REPLACE INTO kv VALUES ('token', 'v1secret')`); err != nil {
			t.Fatal(err)
		}
		check("after a write")
		if err := Close(db); err != nil {
			t.Fatal(err)
		}
	}
	write()

	// Files left readable by others by an earlier version (0666 under
	// umask 0): the next open tightens them, and opening again is no error.
	for _, p := range files {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) { // SQLite removes the -wal at close
			if err := os.WriteFile(p, nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write()
	write()
}

// The Writer runs every batch on one connection of its own, where its
// statements stay prepared: a TEMP table (visible on its connection only)
// made by one write is there for the next, however many connections the
// pool holds meanwhile.
func TestWriterKeepsItsConnection(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	w := WriterOf(db)
	if _, err := w.Exec(ctx, `CREATE TEMP TABLE mine (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with other idle connections, taken and given back.
	var conns []*sql.Conn
	for range 4 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	for i := range 3 {
		if _, err := w.Exec(ctx, `INSERT INTO temp.mine VALUES (?)`, i); err != nil {
			t.Fatalf("write %d ran on another connection: %v", i, err)
		}
	}
}

// Close gives the Writer's connection back before it closes the database,
// after the batch in progress has committed; the file then opens again with
// every acknowledged write in it.
func TestCloseReleasesTheWritersConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE log (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	w := WriterOf(db)
	if _, err := w.Exec(context.Background(), `INSERT INTO log VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	// The Writer holds its connection between batches. (db.Stats().InUse
	// is no measure of that: the checkpointer may hold one more for a moment.)
	if w.conn == nil {
		t.Fatal("the Writer holds no connection after a write")
	}
	if err := Close(db); err != nil {
		t.Fatal(err)
	}
	if w.conn != nil {
		t.Fatal("the Writer still holds its connection")
	}
	if _, err := w.Exec(context.Background(), `INSERT INTO log VALUES (2)`); err == nil {
		t.Fatal("a write after Close succeeded")
	}
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(t, db2)
	var n int
	if err := db2.QueryRow(`SELECT COUNT(*) FROM log`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows, %v; want 1", n, err)
	}
}

// Savepoint journals stay in memory: no temporary file is written for them.
func TestTempStoreIsMemory(t *testing.T) {
	db := open(t)
	var mode int
	if err := db.QueryRow(`PRAGMA temp_store`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("temp_store = %d, %v; want 2 (MEMORY)", mode, err)
	}
}

// On a full disk SQLite rolls back a batch's whole transaction under the
// write that needed room. The writes before it ran and are told their
// changes did not commit; the writes after it never ran, and run in the
// next batch instead of failing for the other write's cause.
func TestWritesABatchNeverReachedRunInTheNext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO kv VALUES ('a', 0), ('b', 0);
		CREATE TABLE big (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	closeDB(t, db)
	db, err = Open(path, MaxPageCount(pages))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	w := WriterOf(db)

	release := holdWriter(w)
	runs := map[string]*atomic.Int32{"before": {}, "big": {}, "after": {}}
	results := map[string]chan error{}
	for _, k := range []string{"before", "big", "after"} {
		results[k] = make(chan error, 1)
		queued := len(results)
		go func() {
			results[k] <- w.Write(context.Background(), k, func(tx *sql.Tx) error {
				runs[k].Add(1)
				if k == "big" {
					_, err := tx.Exec(`INSERT INTO big VALUES (randomblob(100000))`)
					return err
				}
				_, err := tx.Exec(`UPDATE kv SET v = v + 1 WHERE k = ?`, map[string]string{"before": "a", "after": "b"}[k])
				return err
			})
		}()
		// Queue them in this order behind the held write.
		deadline := time.Now().Add(5 * time.Second)
		for {
			w.mu.Lock()
			n := len(w.queue)
			w.mu.Unlock()
			if n == queued {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d writes queued, want %d", n, queued)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	if err := <-results["big"]; !IsStorageFailure(err) {
		t.Fatalf("big: %v, want a storage failure (full)", err)
	}
	if err := <-results["before"]; err == nil || !strings.Contains(err.Error(), "not committed") {
		t.Fatalf("before: %v, want not committed", err)
	}
	if err := <-results["after"]; err != nil {
		t.Fatalf("after: %v, want it committed in the next batch", err)
	}
	// Each ran once: "after" only in the next batch, never in the aborted one.
	for k := range runs {
		if got := runs[k].Load(); got != 1 {
			t.Errorf("%s ran %d times, want once", k, got)
		}
	}
	var a, b int
	if err := db.QueryRow(`SELECT (SELECT v FROM kv WHERE k = 'a'), (SELECT v FROM kv WHERE k = 'b')`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 0 || b != 1 {
		t.Fatalf("a = %d, b = %d; want 0 (rolled back) and 1 (committed after)", a, b)
	}
}
