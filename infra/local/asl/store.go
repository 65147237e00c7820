package asl

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const schema = `
CREATE TABLE IF NOT EXISTS sfn_definitions (
	hash TEXT PRIMARY KEY,
	definition TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sfn_state_machines (
	arn TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	def_hash TEXT NOT NULL,
	role_arn TEXT NOT NULL,
	type TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sfn_executions (
	id INTEGER PRIMARY KEY,
	arn TEXT NOT NULL UNIQUE,
	sm_arn TEXT NOT NULL,
	name TEXT NOT NULL,
	def_hash TEXT NOT NULL,
	role_arn TEXT NOT NULL,
	status TEXT NOT NULL,
	input TEXT NOT NULL,
	output TEXT,
	error TEXT,
	cause TEXT,
	start_ns INTEGER NOT NULL,
	stop_ns INTEGER,
	deadline_ns INTEGER,
	wake_ns INTEGER,
	waiting INTEGER NOT NULL DEFAULT 0,
	cursor TEXT,
	next_event INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS sfn_executions_wake ON sfn_executions(wake_ns, id) WHERE wake_ns IS NOT NULL;
CREATE INDEX IF NOT EXISTS sfn_executions_sm ON sfn_executions(sm_arn, id);
CREATE INDEX IF NOT EXISTS sfn_executions_runnable ON sfn_executions(status, waiting);
CREATE TABLE IF NOT EXISTS sfn_history (
	exec_id INTEGER NOT NULL,
	id INTEGER NOT NULL,
	prev INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	type TEXT NOT NULL,
	details TEXT,
	PRIMARY KEY (exec_id, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sfn_history_chunks (
	exec_id INTEGER NOT NULL,
	first_id INTEGER NOT NULL,
	last_id INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (exec_id, first_id)
);
CREATE TABLE IF NOT EXISTS sfn_tasks (
	token TEXT PRIMARY KEY,
	exec_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	nested INTEGER NOT NULL,
	status TEXT NOT NULL,
	timeout_ns INTEGER,
	hb_ns INTEGER,
	hb_seconds INTEGER,
	outcome TEXT,
	created_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sfn_tasks_exec ON sfn_tasks(exec_id, status);
`

// Task row statuses.
const (
	taskPending   = "PENDING"
	taskCompleted = "COMPLETED"
	taskTimedOut  = "TIMED_OUT"
	taskClosed    = "CLOSED"
)

// writeReq is one unit of work for the group-commit writer.
type writeReq struct {
	fn   func(tx *sql.Tx) error
	done chan error
}

// errNotRunning means a checkpoint found its execution closed (stopped).
var errNotRunning = errors.New("execution is no longer running")

// write runs fn in a transaction shared with other concurrent writes (group
// commit). fn runs inside a savepoint: its failure rolls back only its own
// changes.
func (e *Engine) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	req := writeReq{fn: fn, done: make(chan error, 1)}
	select {
	case e.writes <- req:
	case <-e.stop:
		return errors.New("engine closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-e.writerDone:
		// The writer answers every request it took before it exits.
		select {
		case err := <-req.done:
			return err
		default:
			return errors.New("engine closed")
		}
	}
}

// writer is the single goroutine that commits batched writes.
func (e *Engine) writer() {
	defer e.wg.Done()
	defer close(e.writerDone)
	const maxBatch = 512
	batch := make([]writeReq, 0, maxBatch)
	for {
		var first writeReq
		select {
		case first = <-e.writes:
		case <-e.stop:
			return
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-e.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		e.commitBatch(batch)
	}
}

func (e *Engine) commitBatch(batch []writeReq) {
	errs := make([]error, len(batch))
	// The writer waits for the gate without a deadline: its requests have
	// their own, and a batch once taken is always answered.
	_ = e.gate.Lock(context.Background())
	defer e.gate.Unlock()
	tx, err := e.db.Begin()
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("begin batch: %w", err)
		}
		return
	}
	for i, r := range batch {
		if len(batch) == 1 {
			errs[i] = r.fn(tx)
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			errs[i] = fmt.Errorf("savepoint: %w", err)
			continue
		}
		errs[i] = r.fn(tx)
		if errs[i] != nil {
			_, _ = tx.Exec("ROLLBACK TO w")
		}
		_, _ = tx.Exec("RELEASE w")
	}
	if len(batch) == 1 && errs[0] != nil {
		_ = tx.Rollback()
		batch[0].done <- errs[0]
		return
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("commit batch: %w", err)
		}
		return
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}
