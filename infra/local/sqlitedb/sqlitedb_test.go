package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL); CREATE TABLE log (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
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
	defer tx.Rollback()
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

// Writers of different components on one db go through one gate: none sees
// SQLITE_BUSY and every increment lands.
func TestGateSerialisesWriters(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	if _, err := db.Exec(`INSERT INTO kv VALUES ('n', 0)`); err != nil {
		t.Fatal(err)
	}
	g1, g2 := WriteGate(db), WriteGate(db)
	if g1 != g2 {
		t.Fatal("two gates for one db")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				err = g1.Write(ctx, db, func(tx *sql.Tx) error {
					_, err := tx.Exec(`UPDATE kv SET v = v + 1 WHERE k = 'n'`)
					return err
				}, "inc")
			} else {
				_, err = g2.Exec(ctx, db, `UPDATE kv SET v = v + 1 WHERE k = 'n'`)
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

func TestGateRollsBackAndHonoursContext(t *testing.T) {
	db := open(t)
	g := WriteGate(db)
	boom := errors.New("boom")
	err := g.Write(context.Background(), db, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO kv VALUES ('x', 1)`); err != nil {
			return err
		}
		return boom
	}, "insert")
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want boom", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rows after a rolled-back write", n)
	}
	if err := g.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := g.Exec(ctx, db, `INSERT INTO kv VALUES ('y', 1)`); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a write behind a held gate returned %v, want the context's deadline", err)
	}
	g.Unlock()
}
