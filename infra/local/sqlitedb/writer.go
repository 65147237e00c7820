package sqlitedb

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// writers holds one Writer per *sql.DB (see WriterOf).
var writers sync.Map // *sql.DB -> *Writer

// Writer commits every write to one SQLite file: the engine's checkpoints,
// the queues', the tables' and the bus's. SQLite admits one writer at a time;
// writers of different components on their own connections would meet in
// SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries, and
// each would pay a commit of its own. The Writer queues them in Go instead
// and runs what has queued up together in one transaction (group commit),
// each write in a savepoint of its own, so one write's failure rolls back
// only its own changes. Write returns once the transaction has committed.
type Writer struct {
	db   *sql.DB
	ckpt checkpointer

	mu      sync.Mutex
	queue   []*writeReq
	running bool // a goroutine is draining queue; it exits when queue is empty

	// connMu guards conn, the connection every batch runs on (see begin),
	// held for the length of a batch so that release waits for it.
	connMu sync.Mutex
	conn   *sql.Conn
	closed bool // release: no connection is held any more
}

type writeReq struct {
	op    string
	fn    func(tx *sql.Tx) error
	state atomic.Int32 // reqQueued, reqTaken or reqAbandoned
	done  chan error
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

// maxBatch bounds one transaction, so a commit never waits on a very long batch.
const maxBatch = 512

// WriterOf returns the Writer of db, the same one for every caller.
func WriterOf(db *sql.DB) *Writer {
	if w, ok := writers.Load(db); ok {
		return w.(*Writer)
	}
	w, _ := writers.LoadOrStore(db, &Writer{db: db, ckpt: checkpointer{db: db, kicked: make(chan struct{}, 1), stop: make(chan struct{})}})
	return w.(*Writer)
}

// Write runs fn in a write transaction and returns once it has committed; an
// error from fn rolls back fn's changes and is returned as it is. op names
// the write in the errors of begin and commit. fn runs on the Writer's
// goroutine: it must not wait on another write. If ctx ends before fn has
// started, fn never runs and Write returns the context's error; once fn has
// started, Write waits for the commit.
func (w *Writer) Write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	r := &writeReq{op: op, fn: fn, done: make(chan error, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, r)
	if !w.running {
		w.running = true
		go w.drain()
	}
	w.mu.Unlock()
	select {
	case err := <-r.done:
		return classify(err)
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return classify(<-r.done)
	}
}

// Exec runs one write statement through Write.
func (w *Writer) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := w.Write(ctx, "exec", func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// drain commits batches until the queue is empty.
func (w *Writer) drain() {
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxBatch)
		if n == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		batch := make([]*writeReq, 0, n)
		for _, r := range w.queue[:n] {
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				batch = append(batch, r)
			}
		}
		w.queue = append(w.queue[:0:0], w.queue[n:]...)
		w.mu.Unlock()
		if len(batch) > 0 {
			w.commit(batch)
			// The writers this commit answered often write again at
			// once (an execution's next checkpoint, the resolver's
			// next table write): let them run and queue before the
			// next batch is taken, so that it holds them too. Every
			// batch pays a BEGIN, a COMMIT and the WAL frames of each
			// page it dirtied, and writes of one batch share the hot
			// pages (the tails of the tables and indexes they insert
			// into): on the loan benchmark this doubles the writes per
			// batch. With nothing else runnable, Gosched returns at
			// once.
			runtime.Gosched()
		}
	}
}

// commit runs batch in one transaction and answers every request.
func (w *Writer) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	w.connMu.Lock()
	defer w.connMu.Unlock()
	tx, err := w.begin()
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("%s: begin: %w", r.op, err)
		}
		return
	}
	if len(batch) == 1 {
		// No savepoint needed: fn's failure rolls back the whole transaction.
		if err := run(tx, batch[0].fn); err != nil {
			_ = tx.Rollback()
			batch[0].done <- err
			return
		}
	} else {
		for i, r := range batch {
			if _, err := tx.Exec("SAVEPOINT w"); err != nil {
				w.abort(tx, batch, i, fmt.Errorf("%s: savepoint: %w", r.op, err))
				return
			}
			errs[i] = run(tx, r.fn)
			if errs[i] != nil {
				if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
					w.abort(tx, batch, i, errs[i])
					return
				}
			}
			if _, err := tx.Exec("RELEASE w"); err != nil {
				w.abort(tx, batch, i, cmp.Or(errs[i], fmt.Errorf("%s: release savepoint: %w", r.op, err)))
				return
			}
		}
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("%s: commit: %w", r.op, err)
		}
		return
	}
	w.ckpt.kick()
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// begin starts a batch's transaction on the Writer's own connection. Its
// statements stay prepared there (stmtcache): a connection from the pool
// would be the least recently used of many, each preparing every write
// statement again, and the pool closes those past its idle limit. A
// connection that fails to begin is dropped for a new one, once. Called
// with connMu held.
func (w *Writer) begin() (*sql.Tx, error) {
	if w.closed {
		return w.db.Begin() // fails once the database is closed
	}
	var err error
	for range 2 {
		if w.conn == nil {
			if w.conn, err = w.db.Conn(context.Background()); err != nil {
				return nil, err
			}
		}
		var tx *sql.Tx
		if tx, err = w.conn.BeginTx(context.Background(), nil); err == nil {
			return tx, nil
		}
		_ = w.conn.Raw(func(any) error { return driver.ErrBadConn }) // do not pool it
		_ = w.conn.Close()
		w.conn = nil
	}
	return nil, err
}

// release gives the Writer's connection back, once the batch in progress
// has committed; later batches run on connections from the pool.
func (w *Writer) release() {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	w.closed = true
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// abort ends a batch whose transaction is gone under it at its write i.
// Callers cannot interrupt statements (cachingConn runs them to their end),
// so this is SQLite failing (an I/O error, a full disk, on which SQLite
// rolls back the whole transaction): nothing of the batch has committed.
// Write i (whose statement or savepoint failed) and those before it are
// told so and not run again: a write that ran may keep state of its own
// (the engine's pending history) that a second run would not see. The
// writes after i never ran: they go back to the head of the queue, for the
// next batch, instead of failing for another write's cause (a write that
// frees room on a full disk would otherwise fail whenever it shared a batch
// with one that needs room).
func (w *Writer) abort(tx *sql.Tx, batch []*writeReq, i int, err error) {
	_ = tx.Rollback()
	for j, r := range batch[:i+1] {
		if j == i {
			r.done <- err
			continue
		}
		r.done <- fmt.Errorf("%s: not committed: the transaction was rolled back under its batch: %w", r.op, err)
	}
	w.requeue(batch[i+1:])
}

// requeue puts writes taken for a batch but never run back at the head of
// the queue, in their order. A caller whose context ends meanwhile may
// abandon them again. Called on the draining goroutine, which takes them
// next.
func (w *Writer) requeue(rs []*writeReq) {
	if len(rs) == 0 {
		return
	}
	for _, r := range rs {
		r.state.Store(reqQueued)
	}
	w.mu.Lock()
	w.queue = append(append(make([]*writeReq, 0, len(rs)+len(w.queue)), rs...), w.queue...)
	w.mu.Unlock()
}

// run calls fn, turning a panic into an error: the Writer serves every
// component and must outlive a bug in one of them.
func run(tx *sql.Tx, fn func(tx *sql.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// Close stops the checkpoints of db's Writer, drops the Writer (which would
// otherwise keep db reachable for the life of the process) and closes db.
// Close db with it, not with db.Close: a checkpoint could still hold a
// connection, and the files, after db.Close returns.
func Close(db *sql.DB) error {
	if w, ok := writers.LoadAndDelete(db); ok {
		w.(*Writer).ckpt.close()
		w.(*Writer).release()
	}
	return db.Close()
}
