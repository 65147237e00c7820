package asl

import (
	"context"
	"database/sql"
	"errors"
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
CREATE TABLE IF NOT EXISTS sfn_threads (
	exec_id INTEGER NOT NULL,
	path TEXT NOT NULL,
	status TEXT NOT NULL,
	cursor TEXT,
	output TEXT,
	error TEXT,
	cause TEXT,
	PRIMARY KEY (exec_id, path)
) WITHOUT ROWID;
`

// Task row statuses.
const (
	taskPending   = "PENDING"
	taskCompleted = "COMPLETED"
	taskTimedOut  = "TIMED_OUT"
	taskClosed    = "CLOSED"
)

// errNotRunning means a checkpoint found its execution closed (stopped).
var errNotRunning = errors.New("execution is no longer running")

// write runs fn in a write transaction, committed together with the other
// writes pending on the database (see sqlitedb.Writer). fn runs inside a
// savepoint: its failure rolls back only its own changes. A closed engine
// writes nothing.
func (e *Engine) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case <-e.stop:
		return errors.New("engine closed")
	default:
	}
	return e.w.Write(ctx, "step functions", fn)
}
