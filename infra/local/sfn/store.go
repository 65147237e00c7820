package sfn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"loanflow/infra/local/sqlitedb"
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
	updated_ns INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'ACTIVE',
	logging TEXT,
	tracing INTEGER NOT NULL DEFAULT 0
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
	next_event INTEGER NOT NULL DEFAULT 1,
	redrive_count INTEGER NOT NULL DEFAULT 0,
	redrive_ns INTEGER,
	redrive_cursor TEXT
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

// columns are the columns added to the tables above since their first
// release: a state file written before them gains them on open. A new file
// has them from its CREATE TABLE (each last, in this order, as ALTER TABLE
// adds them): each ALTER TABLE re-reads the whole schema, which was most
// of the time spent creating the tables.
var columns = []struct{ table, column, decl string }{
	{"sfn_state_machines", "status", "TEXT NOT NULL DEFAULT 'ACTIVE'"},
	{"sfn_state_machines", "logging", "TEXT"},
	{"sfn_state_machines", "tracing", "INTEGER NOT NULL DEFAULT 0"},
	{"sfn_executions", "redrive_count", "INTEGER NOT NULL DEFAULT 0"},
	{"sfn_executions", "redrive_ns", "INTEGER"},
	// redrive_cursor is where a closed execution stopped (its failed
	// state, or its last checkpoint when it was stopped): a redrive starts
	// there again.
	{"sfn_executions", "redrive_cursor", "TEXT"},
}

// migrate adds the missing columns and the tables added since the first
// release. A file that had no sfn_ table before (existed false) has every
// column from its CREATE TABLEs: nothing is looked up.
func migrate(db schemaTx, existed bool) error {
	for _, c := range columns {
		if !existed {
			break
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return fmt.Errorf("read columns of %s: %w", c.table, err)
		}
		if n > 0 {
			continue
		}
		if _, err := db.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.column + ` ` + c.decl); err != nil {
			return fmt.Errorf("add column %s.%s: %w", c.table, c.column, err)
		}
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS sfn_tags (
	arn TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (arn, key)
) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("create sfn_tags: %w", err)
	}
	// encryption is last, as migrateActivities adds it to an older table.
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS sfn_activities (
	arn TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	encryption TEXT
) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("create sfn_activities: %w", err)
	}
	return migrateActivities(db, existed)
}

// Task row statuses.
const (
	taskPending   = "PENDING"
	taskCompleted = "COMPLETED"
	taskTimedOut  = "TIMED_OUT"
	taskClosed    = "CLOSED"
)

// errNotRunning means a checkpoint found its execution closed (stopped).
var errNotRunning = errors.New("execution is no longer running")

// store is the engine's persistence: it owns every SQL statement on the
// sfn_ tables. Each write method is one write transaction (store.write),
// committed with the other components' writes by the database's
// sqlitedb.Writer, and acknowledged only once committed.
type store struct {
	db    *sql.DB
	w     *sqlitedb.Writer // commits writes together with the other components on db
	clock Clock
	stop  <-chan struct{} // closed when the engine closes: it then writes nothing

	// writes counts the write transactions begun (tests and benchmarks
	// read it to price a transition).
	writes atomic.Int64

	// activityNotes are the activities given tasks by the write in
	// progress (only the Writer's goroutine touches it); activityAdded is
	// told of them once that write has committed.
	activityNotes []string
	activityAdded func(arns []string)

	// deleting holds the ARNs of the state machines being deleted
	// (DELETING): their executions fail at their next transition (drive),
	// and the end of their last one drops them (finish). Engine.Start fills
	// it before any execution runs; then only the Writer's goroutine writes
	// it, in the transactions that make a machine DELETING or create it
	// anew, so that a finish, which reads it in its own transaction, sees
	// every DELETING status committed before it, or its own transaction's.
	// A machine is added before its update and taken out again when that
	// write fails; a machine dropped at the end of its last execution stays
	// until it is created anew (it has no execution left to fail).
	deleting sync.Map // ARN -> struct{}

	// describes bounds the DescribeExecution reads running at once. The
	// executions that one group commit closes wake their WaitExecution
	// callers together; unbounded, their reads each took a connection and
	// the burst outgrew the pool's idle connections, so that every burst
	// opened (and parsed the schema on) new ones, then closed them. A few
	// reads at a time keep the CPUs as busy.
	describes chan struct{}
}

// maxDescribes is the bound on concurrent DescribeExecution reads.
const maxDescribes = 8

// openStore creates the sfn_ tables on db if needed and returns the store
// and the largest execution id so far.
//
// The tables are created and migrated in one transaction: one commit instead
// of one per statement, each of which wrote its pages to the WAL and made
// every other connection parse the schema again (most of the time a
// throwaway run of `loanflow run-definition` spent before running).
func openStore(db *sql.DB, clock Clock, stop <-chan struct{}) (*store, int64, error) {
	tx, err := db.Begin()
	if err != nil {
		return nil, 0, fmt.Errorf("create sfn tables: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	var existing int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 'sfn\_%' ESCAPE '\'`).Scan(&existing); err != nil {
		return nil, 0, fmt.Errorf("read sfn tables: %w", err)
	}
	if _, err := tx.Exec(schema); err != nil {
		return nil, 0, fmt.Errorf("create sfn tables: %w", err)
	}
	if err := migrate(tx, existing > 0); err != nil {
		return nil, 0, err
	}
	var maxID sql.NullInt64
	if err := tx.QueryRow(`SELECT MAX(id) FROM sfn_executions`).Scan(&maxID); err != nil {
		return nil, 0, fmt.Errorf("read execution ids: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("create sfn tables: %w", err)
	}
	return &store{db: db, w: sqlitedb.WriterOf(db), clock: clock, stop: stop, describes: make(chan struct{}, maxDescribes)}, maxID.Int64, nil
}

// schemaTx is what creating and migrating the tables uses of a transaction.
type schemaTx interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

// write runs fn in a write transaction, committed together with the other
// writes pending on the database (see sqlitedb.Writer). fn runs inside a
// savepoint: its failure rolls back only its own changes. A closed engine
// writes nothing.
func (s *store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case <-s.stop:
		return errors.New("engine closed")
	default:
	}
	s.writes.Add(1)
	var added []string
	err := s.w.Write(ctx, "step functions", func(tx *sql.Tx) error {
		err := fn(tx)
		added, s.activityNotes = s.activityNotes, nil
		return err
	})
	if err == nil && len(added) > 0 && s.activityAdded != nil {
		s.activityAdded(added)
	}
	return err
}

// recover prepares the executions a previous process left running and
// returns the ids of those to resume now.
func (s *store) recover(ctx context.Context) ([]int64, error) {
	// Nested threads resume from their checkpoints, waiting on their tokens
	// again; tokens of threads that never checkpointed (stores written
	// before threads were) are closed.
	if _, err := s.w.Exec(ctx, `UPDATE sfn_tasks SET status = ? WHERE status = ? AND nested = 1
		AND NOT EXISTS (SELECT 1 FROM sfn_threads th WHERE th.exec_id = sfn_tasks.exec_id)`, taskClosed, taskPending); err != nil {
		return nil, fmt.Errorf("recover nested tasks: %w", err)
	}
	// Resume what was running, and what waits on a task whose answer was
	// accepted (SendTaskSuccess/Failure commit the outcome, then resume the
	// execution in memory: a crash in between must not leave it waiting
	// until its timeout). The cursor's "k" is its task token (asl.Cursor).
	rows, err := s.db.QueryContext(ctx, `SELECT x.id FROM sfn_executions x WHERE x.status = 'RUNNING' AND (x.waiting = 0
   OR EXISTS (SELECT 1 FROM sfn_tasks t WHERE t.token = json_extract(x.cursor, '$.k') AND t.status = ?))`, taskCompleted)
	if err != nil {
		return nil, fmt.Errorf("recover executions: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("recover executions: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	return ids, nil
}

// definition returns the definition stored with hash.
func (s *store) definition(ctx context.Context, hash string) (string, error) {
	var def string
	if err := s.db.QueryRowContext(ctx, `SELECT definition FROM sfn_definitions WHERE hash = ?`, hash).Scan(&def); err != nil {
		return "", fmt.Errorf("read definition %s: %w", hash, err)
	}
	return def, nil
}

// dueExecutions returns the executions whose durable deadline (wake_ns) is
// in (after, now].
func (s *store) dueExecutions(after, now int64) ([]int64, error) {
	// The scheduler's loop serves no request: no caller's context applies.
	rows, err := s.db.QueryContext(context.Background(), `SELECT id FROM sfn_executions WHERE wake_ns IS NOT NULL AND wake_ns > ? AND wake_ns <= ?`, after, now)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	return ids, nil
}

// nextWake returns the earliest durable deadline after now (0 when none).
func (s *store) nextWake(now int64) (int64, error) {
	var next *int64
	if err := s.db.QueryRow(`SELECT MIN(wake_ns) FROM sfn_executions WHERE wake_ns > ?`, now).Scan(&next); err != nil {
		return 0, err
	}
	if next == nil {
		return 0, nil
	}
	return *next, nil
}
