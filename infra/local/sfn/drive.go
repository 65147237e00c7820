package sfn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/sqlitedb"
)

// advance runs execution id from its checkpoint until it waits or ends;
// resolved, if set, is a task resolved for it since (see load).
func (e *Engine) advance(ctx context.Context, id int64, r *run, resolved *resolvedTask) {
	var cur *asl.Cursor
	if r == nil {
		var err error
		r, cur, err = e.load(ctx, id, resolved)
		if err != nil {
			e.log.ErrorContext(ctx, "load execution", "executionId", id, "err", err)
			e.retryAfterStorageFailure(id, err)
			return
		}
		if r == nil {
			return // closed meanwhile
		}
	} else if cur, r.next = r.next, nil; cur == nil {
		cur = r.x.StartCursor()
	}
	if err := e.drive(ctx, r, cur); err != nil && !errors.Is(err, errNotRunning) && ctx.Err() == nil {
		e.log.ErrorContext(ctx, "advance execution", "executionArn", r.arn, "err", err)
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

// drive steps the top-level thread, checkpointing before task invocations
// (but a replayable one's), at waits and at the end.
func (e *Engine) drive(ctx context.Context, r *run, cur *asl.Cursor) error {
	x := r.x
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !r.deadline.IsZero() && !e.clock.Now().Before(r.deadline) {
			return e.finish(r, cur, StatusTimedOut, nil, &asl.StateError{Name: asl.ErrTimeout})
		}
		if e.machineDeleted(r.smARN) {
			return e.finish(r, cur, StatusFailed, nil, &asl.StateError{Name: asl.ErrRuntime, Cause: "State machine " + nameFromARN(r.smARN) + " has been deleted."})
		}
		o := x.Step(ctx, cur)
		if err := x.Fault(); err != nil {
			return err // a nested thread's checkpoint failed: run again from the checkpoints
		}
		if x.HistoryFull() {
			return e.finish(r, cur, StatusFailed, nil, asl.HistoryLimitError())
		}
		switch o.Kind {
		case asl.StepNext:
			if r.BufferFull() {
				if err := e.checkpoint(r, cur, 0, false); err != nil {
					return err
				}
			}
		case asl.StepInvoke:
			if r.replayable(cur) {
				continue
			}
			if err := e.checkpoint(r, cur, 0, false); err != nil {
				return err
			}
		case asl.StepSuspend:
			wake := int64(0)
			if !o.WakeAt.IsZero() {
				wake = o.WakeAt.UnixNano()
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
		case asl.StepEnd:
			if o.Aborted() {
				if ctx.Err() != nil {
					return nil
				}
				return e.finish(r, cur, StatusTimedOut, nil, &asl.StateError{Name: asl.ErrTimeout})
			}
			if o.Err != nil {
				return e.finish(r, cur, StatusFailed, nil, o.Err)
			}
			out := o.OutputJSON
			if out == "" {
				out = asl.EncodeJSON(o.Output)
			}
			if len(out) > asl.MaxPayload {
				return e.finish(r, cur, StatusFailed, nil, &asl.StateError{Name: asl.ErrDataLimitExceeded, Cause: "The execution output exceeds the maximum number of bytes service limit."})
			}
			return e.finish(r, cur, StatusSucceeded, &out, nil)
		}
	}
}

// replayable reports whether r may invoke the task at cur without a
// checkpoint first: a request-response call (no token to persist before the
// call goes out) when no task was invoked since the last checkpoint. A crash
// during the call then runs r again from that checkpoint, which invokes this
// task once more and nothing else, as a checkpoint before the call would
// have had it; the states in between only compute, and their events are
// written with the next checkpoint. So a run of states up to and including
// one such call costs one checkpoint, not two.
func (r *run) replayable(cur *asl.Cursor) bool {
	return r.m.RequestResponse(cur.State) && !r.invoked.Load() && !r.journal.hasTasks() && !r.BufferFull()
}

// finish records the final status of r, which ended at cur.
func (e *Engine) finish(r *run, cur *asl.Cursor, status Status, output *string, se *asl.StateError) error {
	var errName, cause *string
	switch status {
	case StatusSucceeded:
		r.x.Emit(asl.EventExecutionSucceeded, asl.DataDetails("output", *output))
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
		typ := asl.EventExecutionFailed
		if status == StatusTimedOut {
			typ = asl.EventExecutionTimedOut
		}
		r.x.Emit(typ, d)
	}
	now := e.clock.Now()
	f := finishing{status: status, output: output, errName: errName, cause: cause, stopNS: now.UnixNano(), smARN: r.smARN}
	f.threads, f.tasks = e.machineRows(r.m)
	if status != StatusSucceeded && cur != nil {
		b, err := cur.Encode()
		if err != nil {
			return fmt.Errorf("encode cursor of %s: %w", r.arn, err)
		}
		f.redriveCursor = string(b)
	}
	err := e.store.finish(r.id, &r.journal, f)
	if err != nil {
		return fmt.Errorf("checkpoint final status %s of %s: %w", status, r.arn, err)
	}
	e.closeWait.closed(r.arn, func() *closedExecution { return r.closedAs(&f) })
	if e.onClose != nil {
		s := ExecutionSummary{ExecutionARN: r.arn, StateMachineARN: r.smARN, Name: r.name, Status: status, StartDate: r.start, StopDate: now}
		e.onClose(s)
	}
	return nil
}

// checkpoint persists the top-level cursor with the buffered events.
func (e *Engine) checkpoint(r *run, cur *asl.Cursor, wake int64, waiting bool) error {
	b, err := cur.Encode()
	if err != nil {
		return fmt.Errorf("encode cursor of %s: %w", r.arn, err)
	}
	stops := e.parked.stops.Load()
	cursor := string(b)
	if err := e.store.checkpoint(r.id, &r.journal, cursor, wake, waiting); err != nil {
		return fmt.Errorf("checkpoint %s at %s: %w", r.arn, cur.State, err)
	}
	if waiting {
		if row, ok := r.parkedRow(cursor, r.journal.nextEvent()); ok {
			e.parked.keep(r.id, row, stops)
		}
	}
	r.invoked.Store(false)
	return nil
}

// load reads execution id and its cursor; nil run when it is not running.
// The row is the one its last checkpoint kept when it parked it, if still
// kept (parkedRows), else read. The task its cursor awaits is read too,
// unless it is resolved (nil if none), which resolveTask committed.
func (e *Engine) load(ctx context.Context, id int64, resolved *resolvedTask) (*run, *asl.Cursor, error) {
	var err error
	row, ok := e.parked.take(id)
	if !ok {
		if row, err = e.store.loadExecution(ctx, id); err != nil {
			return nil, nil, err
		}
	}
	if Status(row.status) != StatusRunning {
		return nil, nil, nil
	}
	r := &run{e: e, id: id, arn: row.arn, smARN: row.smARN, name: row.name, hash: row.hash, roleARN: row.roleARN, start: time.Unix(0, row.startNS),
		input: row.input, redriveCount: row.redriveCount}
	if row.redriveNS.Valid {
		t := time.Unix(0, row.redriveNS.Int64)
		r.redriveDate = &t
	}
	if row.deadline.Valid {
		r.deadline = time.Unix(0, row.deadline.Int64)
	} else {
		r.deadline = asl.ExecutionDeadline(r.start, 0) // started before the one-year limit was kept
	}
	if r.m, err = e.machine(ctx, row.hash); err != nil {
		return nil, nil, err
	}
	input, err := expr.Decode([]byte(row.input))
	if err != nil {
		return nil, nil, fmt.Errorf("decode input of %s: %w", r.arn, err)
	}
	r.begin(input, row.nextEvent)
	cur := r.x.StartCursor()
	if row.cursor.Valid {
		if cur, err = asl.DecodeCursor(row.cursor.String); err != nil {
			return nil, nil, fmt.Errorf("cursor of %s: %w", r.arn, err)
		}
	}
	if token := cur.AwaitedToken(); token != "" {
		var hb int64
		var outcome *string
		if resolved != nil && resolved.token == token {
			hb, outcome = resolved.hbNS, &resolved.outcome
		} else if hb, outcome, err = e.store.taskState(ctx, token); err != nil {
			return nil, nil, fmt.Errorf("read task of %s: %w", r.arn, err)
		}
		var o *asl.TaskOutcome
		if outcome != nil {
			if o, err = decodeOutcome(*outcome); err != nil {
				return nil, nil, fmt.Errorf("decode task outcome of %s: %w", r.arn, err)
			}
		}
		cur.Resume(hb, o)
		if cur.AwaitsActivityStart() {
			s, err := e.store.activityStart(ctx, token)
			if err != nil {
				return nil, nil, fmt.Errorf("read activity task of %s: %w", r.arn, err)
			}
			cur.ResumeActivity(s)
		}
	}
	return r, cur, nil
}

// rowKinds says which per-execution rows other than its own and its history
// an execution of a machine may have.
type rowKinds struct{ threads, tasks bool }

// machineRows reports whether executions of m may have rows in sfn_threads
// (m has a Map or Parallel state: their threads are checkpointed there) and
// in sfn_tasks (a Task of m, or of a nested thread, waits on a task token,
// or runs an activity). An execution keeps its definition through a redrive,
// so one of a machine that has neither never has such rows.
func (e *Engine) machineRows(m *asl.Machine) (threads, tasks bool) {
	if v, ok := e.rows.Load(m); ok {
		k := v.(rowKinds)
		return k.threads, k.tasks
	}
	var k rowKinds
	for _, name := range m.StateNames() {
		switch {
		case m.StateType(name) == "Map" || m.StateType(name) == "Parallel":
			k.threads, k.tasks = true, true // their states are not looked into
		case m.TaskPattern(name) == "waitForTaskToken" || m.ActivityTask(name):
			k.tasks = true
		}
	}
	e.rows.Store(m, k)
	return k.threads, k.tasks
}
