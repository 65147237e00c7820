package sfn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"loanflow/infra/local/asl"
)

// A new execution's first checkpoint is written with its insert: one write
// transaction instead of two. StartExecution steps the execution from its
// first state, before the insert, for as long as the steps only compute (a
// Pass, a Choice, a Task up to its invocation, a Wait up to its wait); the
// insert then holds the cursor where they stopped, their events and their
// task rows, as the checkpoint drive would have written next. A step that
// would run Map iterations or Parallel branches (they checkpoint by the
// execution's id, which has no row yet) or invoke a task is left to the
// worker, and so is an execution that ends in its first steps.
//
// The steps need the machine's definition and role before the insert's
// transaction reads them: they are taken from what the last start read
// (noteMachine), or read once, and the transaction checks they are still
// the machine's, else it starts the execution afresh as before.

// maxFirstSteps bounds the steps StartExecution runs (a Choice loop would
// otherwise hold the caller).
const maxFirstSteps = 64

// firstCheckpoint is what the insert of a new execution writes as its
// first checkpoint: the definition and role the steps ran with, the cursor
// they stopped at (encoded in cursor), and whether (and until when) the
// execution then waits. The events and tasks are in the run's journal.
type firstCheckpoint struct {
	hash, roleARN string
	cur           *asl.Cursor
	cursor        string
	wake          int64
	waiting       bool
	j             *journal
}

// machineRef is a state machine's definition hash and role, as a start last
// read them.
type machineRef struct{ hash, roleARN string }

// noteMachine records the definition and role a start read for smARN.
func (e *Engine) noteMachine(smARN, hash, roleARN string) {
	if v, ok := e.startRefs.Load(smARN); ok && v.(machineRef) == (machineRef{hash, roleARN}) {
		return
	}
	e.startRefs.Store(smARN, machineRef{hash, roleARN})
}

// firstSteps steps the new execution r (its id not yet given) with input in
// from its first state, as described above, and returns its first
// checkpoint; nil when no step was run.
func (e *Engine) firstSteps(ctx context.Context, r *run, in any) *firstCheckpoint {
	ref, ok := e.startRefs.Load(r.smARN)
	if !ok {
		hash, roleARN, err := e.store.machineRef(ctx, r.smARN)
		if err != nil {
			return nil // the insert's transaction tells why
		}
		ref = machineRef{hash, roleARN}
		e.noteMachine(r.smARN, hash, roleARN)
	}
	mr := ref.(machineRef)
	m, err := e.machine(ctx, mr.hash)
	if err != nil {
		return nil
	}
	r.useMachine(m, mr.hash, mr.roleARN)
	r.begin(in, 2) // event 1 is ExecutionStarted
	cur := r.x.StartCursor()
	f := &firstCheckpoint{hash: mr.hash, roleARN: mr.roleARN, cur: cur, j: &r.journal}
	// The steps run on no request's context: the execution outlives the
	// request, and a step that only computes does not block.
	steps := 0
	for steps < maxFirstSteps {
		if !e.clock.Now().Before(r.deadline) {
			break
		}
		if t := m.StateType(cur.State); t == "Map" || t == "Parallel" {
			break
		}
		o := r.x.Step(context.Background(), cur)
		if r.x.Fault() != nil || r.x.HistoryFull() || o.Kind == asl.StepEnd {
			return nil // the worker runs it from its start
		}
		steps++
		if o.Kind == asl.StepNext {
			if r.BufferFull() {
				break
			}
			continue
		}
		if o.Kind == asl.StepSuspend {
			f.waiting = true
			if !o.WakeAt.IsZero() {
				f.wake = o.WakeAt.UnixNano()
			}
			if f.wake == 0 || r.deadline.UnixNano() < f.wake {
				f.wake = r.deadline.UnixNano()
			}
		}
		break // StepInvoke: the insert is the checkpoint before the call
	}
	if steps == 0 {
		return nil
	}
	b, err := cur.Encode()
	if err != nil {
		return nil
	}
	f.cursor = string(b)
	return f
}

// machineRef reads the definition hash and role of state machine arn.
func (s *store) machineRef(ctx context.Context, arn string) (hash, roleARN string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT def_hash, role_arn FROM sfn_state_machines WHERE arn = ?`, arn).Scan(&hash, &roleARN)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", err
	}
	if err != nil {
		return "", "", fmt.Errorf("read state machine: %w", err)
	}
	return hash, roleARN, nil
}
