package asl

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"loanflow/infra/local/asl/expr"
)

// Map iterations and Parallel branches that can block (they run tasks, wait
// or retry) are checkpointed like the top-level thread: each has a row in
// sfn_threads, keyed by its path, holding its cursor while it runs and its
// output or error once it has ended. After a crash the Map or Parallel state
// resumes (its own cursor was checkpointed when it started) and runs only
// what had not ended, each from its last checkpoint, so a task that finished
// inside an iteration is not run again. Threads that only compute are not
// checkpointed: running them again is invisible.
//
// A thread's path is its parent thread's path ("" at the top level), then
// "/<id of the state's entered event>.<retry count>:<index>": unique within
// the execution, and the same after a restart.

// Thread row statuses.
const (
	threadRunning   = "RUNNING"
	threadSucceeded = "SUCCEEDED"
	threadFailed    = "FAILED"
)

// threadRecord is what a checkpoint says of a thread.
type threadRecord struct {
	status string  // "" when the thread never checkpointed
	cur    *cursor // threadRunning: where to resume
	output any     // threadSucceeded
	err    *stateError
}

// threadPrefix is the path prefix of the threads a Map or Parallel state
// with cursor cur starts in frame f.
func (f *frame) threadPrefix(cur *cursor) string {
	return f.path + "/" + strconv.FormatInt(cur.Entered, 10) + "." + strconv.Itoa(cur.RetryCount) + ":"
}

// save checkpoints cur, the cursor of f's thread, with the buffered events
// and task rows. On failure it records the fault on the run (the driver
// then returns it, and the execution is run again from its checkpoints) and
// returns false.
func (f *frame) save(cur *cursor) bool {
	r := f.r
	var err error
	if f.top {
		err = r.e.checkpoint(r, cur, 0, false)
	} else {
		err = r.e.saveThread(r, f.path, threadRunning, cur, nil, nil)
	}
	if err != nil {
		r.setFault(err)
		return false
	}
	return true
}

// endThread records that thread path ended with output or se.
func (f *frame) endThread(path string, output any, se *stateError) bool {
	r := f.r
	status := threadSucceeded
	if se != nil {
		status = threadFailed
	}
	if err := r.e.saveThread(r, path, status, nil, output, se); err != nil {
		r.setFault(err)
		return false
	}
	return true
}

// saveThread writes the row of thread path with the buffered events.
func (e *Engine) saveThread(r *run, path, status string, cur *cursor, output any, se *stateError) error {
	var curText, outText, errName, cause any
	if cur != nil {
		b, err := marshalCursor(cur)
		if err != nil {
			return fmt.Errorf("encode cursor of %s thread %s: %w", r.arn, path, err)
		}
		curText = string(b)
	}
	if status == threadSucceeded {
		outText = encodeJSON(output)
	}
	if se != nil {
		errName, cause = se.Name, se.Cause
	}
	err := e.write(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sfn_threads (exec_id, path, status, cursor, output, error, cause) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (exec_id, path) DO UPDATE SET status = excluded.status, cursor = excluded.cursor, output = excluded.output, error = excluded.error, cause = excluded.cause`,
			r.id, path, status, curText, outText, errName, cause); err != nil {
			return fmt.Errorf("write thread: %w", err)
		}
		return e.flushNested(tx, r)
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s thread %s: %w", r.arn, path, err)
	}
	return nil
}

// loadThreads returns the checkpointed threads under prefix, by index.
func (e *Engine) loadThreads(r *run, prefix string) (map[int]threadRecord, error) {
	rows, err := e.db.Query(`SELECT path, status, cursor, output, error, cause FROM sfn_threads WHERE exec_id = ? AND path > ? AND path < ?`,
		r.id, prefix, prefix+"~")
	if err != nil {
		return nil, fmt.Errorf("read threads of %s: %w", r.arn, err)
	}
	defer rows.Close()
	out := map[int]threadRecord{}
	for rows.Next() {
		var path, status string
		var curText, output, errName, cause sql.NullString
		if err := rows.Scan(&path, &status, &curText, &output, &errName, &cause); err != nil {
			return nil, fmt.Errorf("read threads of %s: %w", r.arn, err)
		}
		i, err := strconv.Atoi(strings.TrimPrefix(path, prefix))
		if err != nil {
			continue // a thread nested deeper
		}
		rec := threadRecord{status: status}
		switch status {
		case threadRunning:
			if rec.cur, err = decodeCursor(curText.String); err != nil {
				return nil, fmt.Errorf("thread %s of %s: %w", path, r.arn, err)
			}
		case threadSucceeded:
			if rec.output, err = expr.Decode([]byte(output.String)); err != nil {
				return nil, fmt.Errorf("output of thread %s of %s: %w", path, r.arn, err)
			}
		case threadFailed:
			rec.err = &stateError{Name: errName.String, Cause: cause.String}
		}
		out[i] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read threads of %s: %w", r.arn, err)
	}
	return out, nil
}

// decodeCursor decodes a checkpointed cursor, numbers kept exact.
func decodeCursor(text string) (*cursor, error) {
	cur := &cursor{}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	if err := dec.Decode(cur); err != nil {
		return nil, fmt.Errorf("decode cursor: %w", err)
	}
	return cur, nil
}

// completedOutcome returns the outcome SendTaskSuccess/Failure committed for
// token, or nil while there is none.
func (e *Engine) completedOutcome(ctx context.Context, token string) (*taskOutcome, error) {
	var status string
	var outcome sql.NullString
	err := e.db.QueryRowContext(ctx, `SELECT status, outcome FROM sfn_tasks WHERE token = ?`, token).Scan(&status, &outcome)
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
