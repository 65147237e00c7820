package sfn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"loanflow/infra/local/asl"
)

// The write path of a running execution: checkpoints of its top-level
// cursor and of its nested threads, each with the history events and tasks
// the run buffered since the last one, and its final status. Each method is
// one write transaction.

// checkpoint persists the top-level cursor (encoded) with what j buffered;
// wake is the durable deadline (Unix ns, 0 for none) and waiting says the
// execution waits (for it, or for a task's answer).
func (s *store) checkpoint(execID int64, j *journal, cursor string, wake int64, waiting bool) error {
	w := 0
	if waiting {
		w = 1
	}
	// Not the worker's context: a checkpoint records what happened; a stopped execution's row refuses it.
	return s.write(context.Background(), func(tx *sql.Tx) error {
		if err := updateRunning(tx, execID, j.redrives, `cursor = ?, wake_ns = ?, waiting = ?, next_event = ?`, cursor, nullInt(wake), w, j.nextEvent()); err != nil {
			return err
		}
		_, err := s.flushEvents(tx, execID, j)
		return err
	})
}

// finishing is an execution's final status as finish writes it.
type finishing struct {
	status         Status
	output         *string
	errName, cause *string
	stopNS         int64
	redriveCursor  string // where a redrive starts again ("" for none)

	smARN string // the execution's state machine
	// threads and tasks say whether the execution may have rows in
	// sfn_threads and sfn_tasks (see machineRows); finish touches neither
	// table when it cannot.
	threads, tasks bool
}

// finish records the final status of execution execID with the end event
// and whatever else j buffered, and closes its threads and tasks.
func (s *store) finish(execID int64, j *journal, f finishing) error {
	// Not the worker's context: the end of an execution is recorded whatever became of the worker.
	return s.write(context.Background(), func(tx *sql.Tx) error {
		// A succeeded execution cannot be redriven: it keeps no cursor,
		// which would only make its row (and this write) larger.
		if err := updateRunning(tx, execID, j.redrives, `status = ?, output = ?, error = ?, cause = ?, stop_ns = ?,
			redrive_cursor = CASE WHEN ? THEN NULL ELSE COALESCE(?, cursor) END, cursor = NULL, wake_ns = NULL, waiting = 0, next_event = ?`,
			string(f.status), f.output, f.errName, f.cause, f.stopNS, f.status == StatusSucceeded, nullStr(f.redriveCursor), j.nextEvent()); err != nil {
			return err
		}
		// Only a DELETING machine is dropped: s.deleting has every one
		// whose status committed before this transaction (or in it).
		if _, ok := s.deleting.Load(f.smARN); ok {
			if err := dropDeletedMachine(tx, execID); err != nil {
				return err
			}
		}
		if _, err := s.flushEvents(tx, execID, j); err != nil {
			return err
		}
		// An unsuccessful execution keeps its threads for a redrive (redrive_threads.go).
		if f.status == StatusSucceeded && f.threads {
			if _, err := tx.Exec(`DELETE FROM sfn_threads WHERE exec_id = ?`, execID); err != nil {
				return fmt.Errorf("delete threads: %w", err)
			}
		}
		if !f.tasks {
			return nil
		}
		ts := taskClosed
		if f.status == StatusTimedOut {
			ts = taskTimedOut
		}
		_, err := tx.Exec(`UPDATE sfn_tasks SET status = ? WHERE exec_id = ? AND status = ?`, ts, execID, taskPending)
		return err
	})
}

// threadRow is a nested thread's row in sfn_threads, encoded; a nil
// field is NULL.
type threadRow struct {
	path, status      string
	cursor, output    any // string or nil
	errName, errCause any // string or nil
}

// storedThread is a thread's row as read back (NULL read as "").
type storedThread struct {
	path, status                      string
	cursor, output, errName, errCause string
}

// saveThread writes the row of a nested thread with what j buffered.
func (s *store) saveThread(execID int64, j *journal, t threadRow) error {
	// Not the worker's context: as checkpoint, a thread's checkpoint records what happened.
	return s.write(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sfn_threads (exec_id, path, status, cursor, output, error, cause) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (exec_id, path) DO UPDATE SET status = excluded.status, cursor = excluded.cursor, output = excluded.output, error = excluded.error, cause = excluded.cause`,
			execID, t.path, t.status, t.cursor, t.output, t.errName, t.errCause); err != nil {
			return fmt.Errorf("write thread: %w", err)
		}
		return s.flushNested(tx, execID, j)
	})
}

// flushNestedWrite writes what j buffered without a cursor (threads that
// only compute), in a write transaction of its own.
func (s *store) flushNestedWrite(execID int64, j *journal) error {
	// Not the worker's context: as checkpoint, history that happened is written.
	return s.write(context.Background(), func(tx *sql.Tx) error { return s.flushNested(tx, execID, j) })
}

// flushNested writes what j buffered for a checkpoint that does not hold
// the top-level cursor (a nested thread's, or buffered history alone): it
// also checks that the execution still runs, and moves next_event past the
// events written, so that ids are never reused after a restart. The
// top-level checkpoints set next_event themselves.
func (s *store) flushNested(tx *sql.Tx, execID int64, j *journal) error {
	next, err := s.flushEvents(tx, execID, j)
	if err != nil {
		return err
	}
	return updateRunning(tx, execID, j.redrives, `next_event = MAX(next_event, ?)`, next)
}

// flushEvents writes the buffered events and task rows and returns the id
// that follows the last event written.
func (s *store) flushEvents(tx *sql.Tx, execID int64, j *journal) (int64, error) {
	events, tasks, next := j.take()
	if err := writeEvents(tx, execID, events); err != nil {
		return 0, err
	}
	now := s.clock.Now().UnixNano()
	for _, t := range tasks {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO sfn_tasks (token, exec_id, state, nested, status, timeout_ns, hb_ns, hb_seconds, created_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Token, execID, t.State, t.Nested, taskPending, nullInt(t.TimeoutAt), nullInt(t.HeartbeatAt), t.HeartbeatSeconds, now); err != nil {
			return 0, fmt.Errorf("insert task: %w", err)
		}
		if t.Activity != "" {
			if err := s.addActivityTask(tx, t); err != nil {
				return 0, err
			}
		}
	}
	return next, nil
}

// writeEvents stores buffered events: execution events in their own
// sfn_history rows, runs of the others as chunks in sfn_history_chunks.
func writeEvents(tx *sql.Tx, execID int64, events historyBuf) error {
	for _, p := range events.parts {
		if ev := p.row; ev != nil {
			var details any
			if ev.Details != nil {
				details = string(ev.Details)
			}
			if _, err := tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, ?, ?, ?, ?, ?)`,
				execID, ev.ID, ev.Prev, ev.Time, ev.Type, details); err != nil {
				return fmt.Errorf("insert event %d: %w", ev.ID, err)
			}
			continue
		}
		if _, err := tx.Exec(`INSERT INTO sfn_history_chunks (exec_id, first_id, last_id, data) VALUES (?, ?, ?, ?)`, execID, p.first, p.last, p.data); err != nil {
			return fmt.Errorf("insert events %d-%d: %w", p.first, p.last, err)
		}
	}
	return nil
}

// updateRunning updates the execution row if it is still RUNNING in the
// same redrive as the run that writes (redrives): a run that an abort and
// a redrive overtook (its worker was still invoking, or had not yet taken
// it from the queue) must not write over the redriven one's history.
func updateRunning(tx *sql.Tx, execID int64, redrives int, set string, args ...any) error {
	res, err := tx.Exec(`UPDATE sfn_executions SET `+set+` WHERE id = ? AND status = 'RUNNING' AND redrive_count = ?`, append(args, execID, redrives)...)
	if err != nil {
		return fmt.Errorf("update execution: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotRunning
	}
	return nil
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// execRow is an execution's row as a worker loads it.
type execRow struct {
	arn, smARN, name, hash, roleARN, status, input string
	startNS                                        int64
	deadline                                       sql.NullInt64
	cursor                                         sql.NullString
	nextEvent                                      int64
	redriveCount                                   int
	redriveNS                                      sql.NullInt64
}

// loadExecution reads execution id.
func (s *store) loadExecution(ctx context.Context, id int64) (*execRow, error) {
	var x execRow
	err := s.db.QueryRowContext(ctx, `SELECT x.arn, x.sm_arn, x.name, x.def_hash, x.role_arn, x.status, x.input, x.start_ns, x.deadline_ns, x.cursor, x.next_event, x.redrive_count, x.redrive_ns
		FROM sfn_executions x WHERE x.id = ?`, id).Scan(&x.arn, &x.smARN, &x.name, &x.hash, &x.roleARN, &x.status, &x.input, &x.startNS, &x.deadline, &x.cursor, &x.nextEvent, &x.redriveCount, &x.redriveNS)
	if err != nil {
		return nil, fmt.Errorf("read execution %d: %w", id, err)
	}
	return &x, nil
}

// taskState reads the task of token as a resumed execution needs it: its
// heartbeat deadline (0 if none) and the outcome committed for it (nil if
// none). A task that does not exist has neither.
func (s *store) taskState(ctx context.Context, token string) (int64, *string, error) {
	var st string
	var outcome sql.NullString
	var hb sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT status, outcome, hb_ns FROM sfn_tasks WHERE token = ?`, token).Scan(&st, &outcome, &hb)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	if st == taskCompleted && outcome.Valid {
		return hb.Int64, &outcome.String, nil
	}
	return hb.Int64, nil, nil
}

// completedOutcome returns the outcome SendTaskSuccess/Failure committed for
// token, or nil while there is none.
func (s *store) completedOutcome(ctx context.Context, token string) (*asl.TaskOutcome, error) {
	var status string
	var outcome sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT status, outcome FROM sfn_tasks WHERE token = ?`, token).Scan(&status, &outcome)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read task: %w", err)
	}
	if status != taskCompleted || !outcome.Valid {
		return nil, nil
	}
	return decodeOutcome(outcome.String)
}

// loadThreads returns the rows of execution execID's threads under prefix,
// by index.
func (s *store) loadThreads(execID int64, prefix string) (map[int]storedThread, error) {
	// Read without the worker's context, as the checkpoints it reads are
	// written without it.
	rows, err := s.db.Query(`SELECT path, status, cursor, output, error, cause FROM sfn_threads WHERE exec_id = ? AND path > ? AND path < ?`,
		execID, prefix, prefix+"~")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]storedThread{}
	for rows.Next() {
		var path, status string
		var curText, output, errName, cause sql.NullString
		if err := rows.Scan(&path, &status, &curText, &output, &errName, &cause); err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(strings.TrimPrefix(path, prefix))
		if err != nil {
			continue // a thread nested deeper
		}
		out[i] = storedThread{path: path, status: status, cursor: curText.String, output: output.String, errName: errName.String, errCause: cause.String}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// pendingTaskRow is a task that can still be answered.
type pendingTaskRow struct {
	execID    int64
	nested    bool
	hbSeconds int64
	hbNS      int64 // the heartbeat deadline (0 if none); resolveTask reads it
}

// pendingTask returns the task for token if it can still be resolved at
// now (Unix ns), or TaskDoesNotExist / TaskTimedOut.
func (s *store) pendingTask(tx *sql.Tx, token string, now int64) (*pendingTaskRow, error) {
	var (
		t           pendingTaskRow
		status      string
		timeout, hb sql.NullInt64
		hbSeconds   sql.NullInt64
		execStatus  Status
	)
	err := tx.QueryRow(`SELECT t.exec_id, t.nested, t.status, t.timeout_ns, t.hb_ns, t.hb_seconds, x.status
		FROM sfn_tasks t JOIN sfn_executions x ON x.id = t.exec_id WHERE t.token = ?`, token).
		Scan(&t.execID, &t.nested, &status, &timeout, &hb, &hbSeconds, &execStatus)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeTaskDoesNotExist, "Task does not exist")
	}
	if err != nil {
		return nil, fmt.Errorf("read task: %w", err)
	}
	t.hbSeconds = hbSeconds.Int64
	expired := timeout.Valid && now >= timeout.Int64 || hb.Valid && now >= hb.Int64
	switch {
	case status == taskTimedOut || execStatus == StatusTimedOut || status != taskCompleted && expired:
		return nil, apiErr(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	case status == taskCompleted:
		return nil, apiErr(CodeTaskDoesNotExist, "Task does not exist anymore")
	case status != taskPending || execStatus != StatusRunning:
		// The execution was stopped (or failed elsewhere) while the task
		// waited: AWS answers as for a task that timed out.
		return nil, apiErr(CodeTaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return &t, nil
}

// resolveTask commits stored as the outcome of the task waiting on token.
func (s *store) resolveTask(ctx context.Context, token, stored string) (*pendingTaskRow, error) {
	var t *pendingTaskRow
	err := s.write(ctx, func(tx *sql.Tx) error {
		// One statement completes a task that can still be resolved (the
		// conditions of pendingTask); pendingTask then tells why another
		// cannot.
		now := s.clock.Now().UnixNano()
		var row pendingTaskRow
		var hbSeconds, hb sql.NullInt64
		err := tx.QueryRow(`UPDATE sfn_tasks SET status = ?, outcome = ? WHERE token = ? AND status = ?
			AND (timeout_ns IS NULL OR timeout_ns > ?) AND (hb_ns IS NULL OR hb_ns > ?)
			AND EXISTS (SELECT 1 FROM sfn_executions x WHERE x.id = sfn_tasks.exec_id AND x.status = ?)
			RETURNING exec_id, nested, hb_seconds, hb_ns`, taskCompleted, stored, token, taskPending, now, now, StatusRunning).
			Scan(&row.execID, &row.nested, &hbSeconds, &hb)
		if err == nil {
			row.hbSeconds, row.hbNS = hbSeconds.Int64, hb.Int64
			t = &row
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("complete task: %w", err)
		}
		if _, err := s.pendingTask(tx, token, now); err != nil {
			return err
		}
		return fmt.Errorf("complete task: task %s neither completed nor refused", tokenLogID(token))
	})
	return t, err
}

// heartbeatTask restarts the heartbeat deadline of the task waiting on
// token and returns it (0 when the task has no HeartbeatSeconds).
func (s *store) heartbeatTask(ctx context.Context, token string) (*pendingTaskRow, int64, error) {
	var t *pendingTaskRow
	var hbAt int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = s.pendingTask(tx, token, s.clock.Now().UnixNano()); err != nil {
			return err
		}
		if t.hbSeconds > 0 {
			hbAt = s.clock.Now().UnixNano() + t.hbSeconds*1e9
			if _, err := tx.Exec(`UPDATE sfn_tasks SET hb_ns = ? WHERE token = ?`, hbAt, token); err != nil {
				return fmt.Errorf("update heartbeat: %w", err)
			}
		}
		return nil
	})
	return t, hbAt, err
}
