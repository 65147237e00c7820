package asl

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/sqlitedb"
)

// maxEventsInMemory and maxEventBytesInMemory bound the events a running
// execution buffers before an intermediate checkpoint.
const (
	maxEventsInMemory     = 512
	maxEventBytesInMemory = 4 << 20
)

// advance runs execution id from its checkpoint until it waits or ends.
func (e *Engine) advance(ctx context.Context, id int64, r *run) {
	var cur *cursor
	if r == nil {
		var err error
		r, cur, err = e.load(ctx, id)
		if err != nil {
			e.log.Error("load execution", "execution_id", id, "error", err.Error())
			e.retryAfterStorageFailure(id, err)
			return
		}
		if r == nil {
			return // closed meanwhile
		}
	} else {
		cur = &cursor{State: r.m.StartAt, Input: r.input}
	}
	r.ctx = ctx
	if err := e.drive(r, cur); err != nil && !errors.Is(err, errNotRunning) && ctx.Err() == nil {
		e.log.Error("advance execution", "execution_arn", r.arn, "error", err.Error())
		e.retryAfterStorageFailure(id, err)
		return
	}
	e.storageRetries.Delete(id)
}

// retryAfterStorageFailure runs execution id again from its last checkpoint
// once the state file can be written again, when err is a storage failure
// (a full disk, an I/O error): what its worker did since that checkpoint
// was not committed, as after a crash, and is done again. The delay doubles
// from 50 ms to 2 s, in real time (the cause is outside any test clock);
// the execution stays RUNNING meanwhile and API callers get a 503.
func (e *Engine) retryAfterStorageFailure(id int64, err error) {
	if !sqlitedb.IsStorageFailure(err) || e.closed.Load() {
		return
	}
	d := 50 * time.Millisecond
	if v, ok := e.storageRetries.Load(id); ok {
		d = min(2*v.(time.Duration), 2*time.Second)
	}
	e.storageRetries.Store(id, d)
	time.AfterFunc(d, func() {
		if !e.closed.Load() {
			e.enqueue(id, nil)
		}
	})
}

// drive steps the top-level thread, checkpointing before task invocations,
// at waits and at the end.
func (e *Engine) drive(r *run, cur *cursor) error {
	top := &frame{r: r, m: r.m, top: true, prev: r.nextID - 1}
	for {
		if r.ctx.Err() != nil {
			return nil
		}
		if !r.deadline.IsZero() && !e.clock.Now().Before(r.deadline) {
			return e.finish(r, "TIMED_OUT", nil, &stateError{Name: ErrTimeout})
		}
		o := top.step(r.ctx, cur)
		if err := r.faultErr(); err != nil {
			return err // a nested thread's checkpoint failed: run again from the checkpoints
		}
		if r.historyFull() {
			return e.finish(r, "FAILED", nil, historyLimitError())
		}
		switch o.kind {
		case stepNext:
			if r.bufferFull() {
				if err := e.checkpoint(r, cur, 0, false); err != nil {
					return err
				}
			}
		case stepInvoke:
			if err := e.checkpoint(r, cur, 0, false); err != nil {
				return err
			}
		case stepSuspend:
			wake := int64(0)
			if !o.wakeAt.IsZero() {
				wake = o.wakeAt.UnixNano()
			}
			if !r.deadline.IsZero() && (wake == 0 || r.deadline.UnixNano() < wake) {
				wake = r.deadline.UnixNano()
			}
			if err := e.checkpoint(r, cur, wake, true); err != nil {
				return err
			}
			if wake != 0 {
				e.notifyWake(r.id, wake)
			}
			return nil
		case stepEnd:
			if o.err != nil && o.err.Name == abortedName {
				if r.ctx.Err() != nil {
					return nil
				}
				return e.finish(r, "TIMED_OUT", nil, &stateError{Name: ErrTimeout})
			}
			if o.err != nil {
				return e.finish(r, "FAILED", nil, o.err)
			}
			out := o.outputJSON
			if out == "" {
				out = encodeJSON(o.output)
			}
			if len(out) > maxPayload {
				return e.finish(r, "FAILED", nil, &stateError{Name: ErrDataLimitExceeded, Cause: "The execution output exceeds the maximum number of bytes service limit."})
			}
			return e.finish(r, "SUCCEEDED", &out, nil)
		}
	}
}

// finish records the final status of r.
func (e *Engine) finish(r *run, status string, output *string, se *stateError) error {
	f := &frame{r: r, prev: r.nextID - 1}
	var errName, cause *string
	switch status {
	case "SUCCEEDED":
		f.emit("ExecutionSucceeded", dataDetails("output", *output))
	default:
		d := map[string]any{}
		if se.Name != "" {
			d["error"] = se.Name
			errName = &se.Name
		}
		if se.Cause != "" {
			d["cause"] = se.Cause
			cause = &se.Cause
		}
		typ := "ExecutionFailed"
		if status == "TIMED_OUT" {
			typ = "ExecutionTimedOut"
		}
		f.emit(typ, d)
	}
	now := e.clock.Now()
	err := e.write(context.Background(), func(tx *sql.Tx) error {
		if err := updateRunning(tx, r, `status = ?, output = ?, error = ?, cause = ?, stop_ns = ?, cursor = NULL, wake_ns = NULL, waiting = 0, next_event = ?`,
			status, output, errName, cause, now.UnixNano(), r.nextID); err != nil {
			return err
		}
		if err := e.flush(tx, r); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM sfn_threads WHERE exec_id = ?`, r.id); err != nil {
			return fmt.Errorf("delete threads: %w", err)
		}
		ts := taskClosed
		if status == "TIMED_OUT" {
			ts = taskTimedOut
		}
		_, err := tx.Exec(`UPDATE sfn_tasks SET status = ? WHERE exec_id = ? AND status = ?`, ts, r.id, taskPending)
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint final status %s of %s: %w", status, r.arn, err)
	}
	e.closeWait.closed(r.arn)
	if e.onClose != nil {
		s := ExecutionSummary{ExecutionArn: r.arn, StateMachineArn: r.smArn, Name: r.name, Status: status, StartDate: r.start, StopDate: now}
		e.onClose(s)
	}
	return nil
}

// updateRunning updates the execution row if it is still RUNNING.
func updateRunning(tx *sql.Tx, r *run, set string, args ...any) error {
	res, err := tx.Exec(`UPDATE sfn_executions SET `+set+` WHERE id = ? AND status = 'RUNNING'`, append(args, r.id)...)
	if err != nil {
		return fmt.Errorf("update execution: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotRunning
	}
	return nil
}

// flush writes the buffered events and task rows of r inside tx. The
// top-level checkpoints set next_event themselves; a nested thread's
// checkpoint writes with flushNested.
func (e *Engine) flush(tx *sql.Tx, r *run) error {
	_, err := e.flushEvents(tx, r)
	return err
}

// flushNested is flush for a checkpoint that does not hold the top-level
// cursor (a nested thread's, or buffered history alone): it also checks
// that the execution still runs, and moves next_event past the events
// written, so that ids are never reused after a restart.
func (e *Engine) flushNested(tx *sql.Tx, r *run) error {
	next, err := e.flushEvents(tx, r)
	if err != nil {
		return err
	}
	return updateRunning(tx, r, `next_event = MAX(next_event, ?)`, next)
}

// flushEvents writes the buffered events and task rows and returns the id
// that follows the last event written.
func (e *Engine) flushEvents(tx *sql.Tx, r *run) (int64, error) {
	r.mu.Lock()
	events, tasks, next := r.events, r.tasks, r.nextID
	r.events, r.tasks = historyBuf{}, nil
	r.mu.Unlock()
	if err := writeEvents(tx, r.id, events); err != nil {
		return 0, err
	}
	now := e.clock.Now().UnixNano()
	for _, t := range tasks {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO sfn_tasks (token, exec_id, state, nested, status, timeout_ns, hb_ns, hb_seconds, created_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.token, r.id, t.state, t.nested, taskPending, nullInt(t.timeoutAt), nullInt(t.hbAt), t.hbSeconds, now); err != nil {
			return 0, fmt.Errorf("insert task: %w", err)
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
			if ev.details != nil {
				details = string(ev.details)
			}
			if _, err := tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, ?, ?, ?, ?, ?)`,
				execID, ev.id, ev.prev, ev.ts, ev.typ, details); err != nil {
				return fmt.Errorf("insert event %d: %w", ev.id, err)
			}
			continue
		}
		if _, err := tx.Exec(`INSERT INTO sfn_history_chunks (exec_id, first_id, last_id, data) VALUES (?, ?, ?, ?)`, execID, p.first, p.last, p.data); err != nil {
			return fmt.Errorf("insert events %d-%d: %w", p.first, p.last, err)
		}
	}
	return nil
}

// bufferFull reports whether r's buffered events should be written now.
func (r *run) bufferFull() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events.n >= maxEventsInMemory || r.events.bytes >= maxEventBytesInMemory
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// checkpoint persists the top-level cursor with the buffered events.
func (e *Engine) checkpoint(r *run, cur *cursor, wake int64, waiting bool) error {
	b, err := marshalCursor(cur)
	if err != nil {
		return fmt.Errorf("encode cursor of %s: %w", r.arn, err)
	}
	w := 0
	if waiting {
		w = 1
	}
	err = e.write(context.Background(), func(tx *sql.Tx) error {
		if err := updateRunning(tx, r, `cursor = ?, wake_ns = ?, waiting = ?, next_event = ?`, string(b), nullInt(wake), w, r.nextID); err != nil {
			return err
		}
		return e.flush(tx, r)
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s at %s: %w", r.arn, cur.State, err)
	}
	return nil
}

// marshalCursor encodes cur for a checkpoint, reusing its input's JSON when
// known (load decodes either form to the same value).
func marshalCursor(cur *cursor) ([]byte, error) {
	if cur.inputJSON == "" {
		return json.Marshal(cur)
	}
	type plain cursor // without the shadowed Input
	return json.Marshal(struct {
		*plain
		Input json.RawMessage `json:"i"`
	}{(*plain)(cur), json.RawMessage(cur.inputJSON)})
}

// persistEvents writes the events buffered by threads that are not
// checkpointed (they only compute), bounding the memory they hold.
func (e *Engine) persistEvents(r *run) bool {
	err := e.write(context.Background(), func(tx *sql.Tx) error { return e.flushNested(tx, r) })
	if err != nil {
		r.setFault(fmt.Errorf("write history of %s: %w", r.arn, err))
		return false
	}
	return true
}

// load reads execution id and its cursor; nil run when it is not running.
func (e *Engine) load(ctx context.Context, id int64) (*run, *cursor, error) {
	var (
		r                   = &run{e: e, id: id}
		status, hash, input string
		curText             sql.NullString
		startNS             int64
		deadline            sql.NullInt64
	)
	err := e.db.QueryRowContext(ctx, `SELECT x.arn, x.sm_arn, x.name, x.def_hash, x.role_arn, x.status, x.input, x.start_ns, x.deadline_ns, x.cursor, x.next_event
		FROM sfn_executions x WHERE x.id = ?`, id).Scan(&r.arn, &r.smArn, &r.name, &hash, &r.roleArn, &status, &input, &startNS, &deadline, &curText, &r.nextID)
	if err != nil {
		return nil, nil, fmt.Errorf("read execution %d: %w", id, err)
	}
	if status != "RUNNING" {
		return nil, nil, nil
	}
	r.smName = nameFromARN(r.smArn)
	r.start = time.Unix(0, startNS)
	if deadline.Valid {
		r.deadline = time.Unix(0, deadline.Int64)
	} else {
		r.deadline = executionDeadline(r.start, 0) // started before the one-year limit was kept
	}
	if r.m, err = e.machine(ctx, hash); err != nil {
		return nil, nil, err
	}
	if r.input, err = expr.Decode([]byte(input)); err != nil {
		return nil, nil, fmt.Errorf("decode input of %s: %w", r.arn, err)
	}
	cur := &cursor{State: r.m.StartAt, Input: r.input}
	if curText.Valid {
		if cur, err = decodeCursor(curText.String); err != nil {
			return nil, nil, fmt.Errorf("cursor of %s: %w", r.arn, err)
		}
	}
	if cur.Phase == phaseToken && cur.Token != "" {
		var st string
		var outcome sql.NullString
		var hb sql.NullInt64
		err := e.db.QueryRowContext(ctx, `SELECT status, outcome, hb_ns FROM sfn_tasks WHERE token = ?`, cur.Token).Scan(&st, &outcome, &hb)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("read task of %s: %w", r.arn, err)
		}
		if hb.Valid {
			cur.HBAt = hb.Int64
		}
		if st == taskCompleted && outcome.Valid {
			o, err := decodeOutcome(outcome.String)
			if err != nil {
				return nil, nil, fmt.Errorf("decode task outcome of %s: %w", r.arn, err)
			}
			cur.outcome = o
		}
	}
	return r, cur, nil
}

// machine returns the parsed definition with the given hash.
func (e *Engine) machine(ctx context.Context, hash string) (*machine, error) {
	if m, ok := e.machines.Load(hash); ok {
		return m.(*machine), nil
	}
	var def string
	if err := e.db.QueryRowContext(ctx, `SELECT definition FROM sfn_definitions WHERE hash = ?`, hash).Scan(&def); err != nil {
		return nil, fmt.Errorf("read definition %s: %w", hash, err)
	}
	m, err := parseDefinition([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("parse stored definition %s: %w", hash, err)
	}
	e.machines.Store(hash, m)
	return m, nil
}

type storedOutcome struct {
	Success bool            `json:"success"`
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"error,omitempty"`
	Cause   string          `json:"cause,omitempty"`
}

func decodeOutcome(s string) (*taskOutcome, error) {
	var so storedOutcome
	if err := json.Unmarshal([]byte(s), &so); err != nil {
		return nil, err
	}
	o := &taskOutcome{Success: so.Success, Error: so.Error, Cause: so.Cause}
	if so.Success {
		v, err := expr.Decode(so.Output)
		if err != nil {
			return nil, err
		}
		o.Output = v
	}
	return o, nil
}

// watchToken registers a nested thread's interest in a token; false if it
// was registered already.
func (e *Engine) watchToken(token string) bool {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if _, ok := e.waiters[token]; ok {
		return false
	}
	e.waiters[token] = make(chan taskSignal, 4)
	return true
}

func (e *Engine) unwatchToken(token string) {
	e.wmu.Lock()
	delete(e.waiters, token)
	e.wmu.Unlock()
}

// block makes a nested thread wait (holding its goroutine) until wakeAt, a
// token signal, or the execution's end; false means aborted.
func (e *Engine) block(ctx context.Context, r *run, cur *cursor, wakeAt time.Time) bool {
	var sig chan taskSignal
	if cur.Phase == phaseToken {
		e.wmu.Lock()
		sig = e.waiters[cur.Token]
		e.wmu.Unlock()
	}
	deadline := wakeAt
	if !r.deadline.IsZero() && (deadline.IsZero() || r.deadline.Before(deadline)) {
		deadline = r.deadline
	}
	var timerC <-chan time.Time
	if !deadline.IsZero() {
		t := e.clock.NewTimer(deadline.Sub(e.clock.Now()))
		defer t.Stop()
		timerC = t.C()
	}
	select {
	case <-ctx.Done():
		return false
	case <-e.stop:
		return false
	case <-timerC:
		if !r.deadline.IsZero() && !e.clock.Now().Before(r.deadline) {
			return false
		}
	case s := <-sig:
		if s.outcome != nil {
			cur.outcome = s.outcome
			e.unwatchToken(cur.Token)
		}
		if s.hbAt != 0 {
			cur.HBAt = s.hbAt
		}
	}
	return true
}
