package asl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"loanflow/infra/local/asl/expr"
)

// StepKind says what a step of a thread needs next.
type StepKind int

// What a step needs next.
const (
	// StepNext: the thread moved to its next state; step again.
	StepNext StepKind = iota
	// StepEnd: the thread finished, with Output or Err.
	StepEnd
	// StepSuspend: the thread waits until WakeAt (if set) or for an answer
	// to its task token; the runtime checkpoints it and steps it again
	// then.
	StepSuspend
	// StepInvoke: a task is scheduled (and its token, if any, recorded);
	// the runtime checkpoints, then steps again to invoke it.
	StepInvoke
)

// Outcome is the result of a step.
type Outcome struct {
	Kind       StepKind
	Output     any
	OutputJSON string // Output encoded, when known
	Err        *StateError
	WakeAt     time.Time
}

// Aborted reports whether the step ended because the execution was
// interrupted while a Map iteration or Parallel branch ran (stopped, timed
// out, at the history cap, or a checkpoint failed): the runtime, not the
// definition, decides how the execution ends.
func (o Outcome) Aborted() bool { return o.Err != nil && o.Err.Name == abortedName }

// step advances the thread by one state (or one phase of a state).
func (f *frame) step(ctx context.Context, cur *Cursor) Outcome {
	st, ok := f.m.states[cur.State]
	if !ok {
		return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrRuntime, Cause: fmt.Sprintf("state %q does not exist", cur.State)}}
	}
	now := f.x.host.Now()
	if cur.Phase == phaseEnter {
		ref := int64(0)
		if cur.inputJSON != "" {
			ref = f.prev // the previous state's exited event, whose output this is
		} else {
			cur.inputJSON, cur.inputIndex = encodeIndexed(cur.Input)
		}
		if len(cur.inputJSON) > MaxPayload {
			// An input no state produced as an output: a Catch's ResultPath
			// or a Map iteration's ItemSelector made it.
			return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' received an input with a size exceeding the maximum number of bytes service limit.", st.Name)}}
		}
		cur.Entered = f.emitData(enteredType(st), "input", st.Name, cur.inputJSON, ref, nil)
		cur.EnteredAt = now.UnixNano()
		cur.Retries, cur.RetryCount, cur.Token, cur.Args, cur.Started = nil, 0, "", nil, false
		cur.Phase = phaseRun
	}
	if cur.Phase == phaseRetry {
		if now.UnixNano() < cur.WakeAt {
			return Outcome{Kind: StepSuspend, WakeAt: time.Unix(0, cur.WakeAt)}
		}
		cur.Phase, cur.WakeAt = phaseRun, 0
	}
	ev := f.env(st, cur)
	ev.insp = f.inspector()
	switch st.Type {
	case "Pass":
		return f.pass(st, cur, ev)
	case "Task":
		return f.task(ctx, st, cur, ev)
	case "Choice":
		return f.choice(st, cur, ev)
	case "Wait":
		return f.waitState(st, cur, ev, now)
	case "Succeed":
		eff, err := st.io.input(ev, cur.Input)
		if err == nil {
			eff, err = st.io.output(ev, eff, eff)
		}
		if err != nil {
			return f.fail(st, cur, err)
		}
		return f.exit(st, cur, eff, nil)
	case "Fail":
		return f.failState(st, cur, ev)
	case "Parallel":
		return f.parallel(ctx, st, cur, ev)
	case "Map":
		return f.mapState(ctx, st, cur, ev)
	}
	return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrRuntime, Cause: "unknown state type " + st.Type}}
}

func mergeDetails(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// exitResult is exit for an output computed from the raw input and result
// by the state's ResultPath and OutputPath.
func (f *frame) exitResult(st *state, cur *Cursor, output any, set map[string]any, result any) Outcome {
	if st.resultKey != "" && cur.inputIndex != nil {
		if js, idx, sp, ok := spliceMember(cur.inputJSON, cur.inputIndex, st.resultKey, result); ok {
			return f.leave(st, cur, output, set, js, idx, cur.Entered, sp)
		}
	}
	return f.exit(st, cur, output, set)
}

// exit leaves st with output, applying the variables set, and moves the
// cursor to the next state (or ends the thread).
func (f *frame) exit(st *state, cur *Cursor, output any, set map[string]any) Outcome {
	if cur.inputJSON != "" && sameObject(output, cur.Input) {
		return f.leave(st, cur, output, set, cur.inputJSON, cur.inputIndex, cur.Entered, nil)
	}
	js, idx := encodeIndexed(output)
	return f.leave(st, cur, output, set, js, idx, 0, nil)
}

// leave is exit with the output already encoded (out, with its spans idx);
// ref and sp relate it to an earlier event's data (see event).
func (f *frame) leave(st *state, cur *Cursor, output any, set map[string]any, out string, idx []member, ref int64, sp *Splice) Outcome {
	if len(out) > MaxPayload {
		return Outcome{Kind: StepEnd, Err: dataLimit(st)}
	}
	f.emitData(exitedType(st), "output", st.Name, out, ref, sp)
	cur.Vars = mergeVars(cur.Vars, set)
	if st.End || st.Type == "Succeed" {
		return Outcome{Kind: StepEnd, Output: output, OutputJSON: out}
	}
	next := st.Next
	if st.Type == "Choice" {
		next = cur.chosen
	}
	*cur = Cursor{State: next, Input: output, Vars: cur.Vars, inputJSON: out, inputIndex: idx}
	return Outcome{Kind: StepNext}
}

// stateErr turns an evaluation error into the ASL error, prefixing the
// causes that AWS prefixes with the state context.
func stateErr(st *state, cur *Cursor, err error) *StateError {
	var se *StateError
	if errors.As(err, &se) {
		return se
	}
	var ee *expr.Error
	if errors.As(err, &ee) {
		return &StateError{Name: ee.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.Name, cur.Entered, ee.Cause)}
	}
	return &StateError{Name: ErrRuntime, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %v", st.Name, cur.Entered, err)}
}

// fail ends the thread with err, without Retry/Catch.
func (f *frame) fail(st *state, cur *Cursor, err error) Outcome {
	return Outcome{Kind: StepEnd, Err: stateErr(st, cur, err)}
}

func (f *frame) pass(st *state, cur *Cursor, ev *evalEnv) Outcome {
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.fail(st, cur, err)
	}
	res, ok, err := st.io.arguments(ev, eff)
	if err != nil {
		return f.fail(st, cur, err)
	}
	if !ok && st.hasResult {
		if st.resultSize > MaxPayload {
			return Outcome{Kind: StepEnd, Err: dataLimit(st)}
		}
		res = st.result
		ev.inspect(StageResult, res)
	}
	ev.inspect(StageAfterResultSelector, res)
	set, err := st.io.assign(ev, res)
	if err != nil {
		return f.fail(st, cur, err)
	}
	out, err := st.io.output(ev, cur.Input, res)
	if err != nil {
		return f.fail(st, cur, err)
	}
	return f.exitResult(st, cur, out, set, res)
}

func dataLimit(st *state) *StateError {
	return &StateError{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf("The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.Name)}
}

func (f *frame) choice(st *state, cur *Cursor, ev *evalEnv) Outcome {
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.fail(st, cur, err)
	}
	sc := ev.scope(eff)
	var set map[string]any
	next := ""
	for _, ch := range st.choices {
		ok, err := ch.rule.Eval(sc)
		if err != nil {
			return f.fail(st, cur, err)
		}
		if ok {
			next = ch.Next
			if ch.assign != nil {
				if set, err = ch.assign.eval(ev, eff); err != nil {
					return f.fail(st, cur, err)
				}
			}
			if ch.output != nil {
				out, err := ch.output.eval(ev, states{input: eff})
				if err != nil {
					return f.fail(st, cur, err)
				}
				cur.chosen = next
				return f.exit(st, cur, out, set)
			}
			break
		}
	}
	if next == "" {
		if st.dflt == "" {
			return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrNoChoiceMatched, Cause: fmt.Sprintf("No Matches! (state '%s')", st.Name)}}
		}
		next = st.dflt
		if set, err = st.io.assign(ev, eff); err != nil {
			return f.fail(st, cur, err)
		}
	}
	out, err := st.io.output(ev, eff, eff)
	if err != nil {
		return f.fail(st, cur, err)
	}
	cur.chosen = next
	return f.exit(st, cur, out, set)
}

func (f *frame) failState(st *state, cur *Cursor, ev *evalEnv) Outcome {
	name, cause := st.errName, st.cause
	sc := ev.scope(cur.Input)
	if st.errPath != nil {
		v, err := st.errPath.get(sc)
		if err != nil {
			return f.fail(st, cur, err)
		}
		name, _ = v.(string)
	}
	if st.causePath != nil {
		v, err := st.causePath.get(sc)
		if err != nil {
			return f.fail(st, cur, err)
		}
		cause, _ = v.(string)
	}
	return Outcome{Kind: StepEnd, Err: &StateError{Name: name, Cause: cause}}
}

func (f *frame) waitState(st *state, cur *Cursor, ev *evalEnv, now time.Time) Outcome {
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.fail(st, cur, err)
	}
	if cur.Phase == phaseRun {
		until, err := waitUntil(st.wait, ev.scope(eff), time.Unix(0, cur.EnteredAt), st.jsonata)
		if err != nil {
			return f.fail(st, cur, err)
		}
		cur.Phase, cur.WakeAt = phaseWait, until.UnixNano()
	}
	if now.UnixNano() < cur.WakeAt {
		return Outcome{Kind: StepSuspend, WakeAt: time.Unix(0, cur.WakeAt)}
	}
	cur.WakeAt = 0
	set, err := st.io.assign(ev, eff)
	if err != nil {
		return f.fail(st, cur, err)
	}
	out, err := st.io.output(ev, eff, eff)
	if err != nil {
		return f.fail(st, cur, err)
	}
	return f.exit(st, cur, out, set)
}

func waitUntil(w *waitSpec, sc expr.Scope, entered time.Time, jsonataMode bool) (time.Time, error) {
	switch {
	case w.hasSeconds:
		return waitFor(entered, w.seconds), nil
	case w.hasTimestamp:
		return clampWake(entered, w.timestamp), nil
	case w.secondsPath != nil:
		v, err := w.secondsPath.get(sc)
		if err != nil {
			return time.Time{}, err
		}
		n, ok := v.(jsonNumber)
		i, ierr := n.Int64()
		if jsonataMode && (!ok || ierr != nil || i < 0) {
			return time.Time{}, &expr.Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf("The Seconds field must be a non-negative integer, but was: %s", encodeJSONPlain(v))}
		}
		if !ok || ierr != nil {
			return time.Time{}, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The SecondsPath parameter cannot be parsed as a long value: %s == %s", w.secondsPath, encodeJSONPlain(v))}
		}
		if i < 0 {
			return time.Time{}, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The SecondsPath parameter references a negative value: %s == %d", w.secondsPath, i)}
		}
		return waitFor(entered, i), nil
	default:
		v, err := w.timestampPath.get(sc)
		if err != nil {
			return time.Time{}, err
		}
		s, _ := v.(string)
		t, perr := parseTimestamp(s)
		if perr != nil && jsonataMode {
			return time.Time{}, &expr.Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", encodeJSONPlain(v))}
		}
		if perr != nil {
			return time.Time{}, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", w.timestampPath, encodeJSONPlain(v))}
		}
		return clampWake(entered, t), nil
	}
}

// encodeJSONPlain renders strings without quotes, other values as JSON.
func encodeJSONPlain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return EncodeJSON(v)
}

// errorMatches reports whether a Retry/Catch ErrorEquals list matches name.
func errorMatches(list []string, name string) bool {
	for _, e := range list {
		switch e {
		case name:
			return true
		case ErrAll:
			return name != ErrDataLimitExceeded && name != ErrRuntime
		case ErrTaskFailed:
			if name != ErrTimeout && name != ErrRuntime && name != ErrDataLimitExceeded && !strings.HasPrefix(name, "States.") || name == ErrHeartbeatTimeout || name == ErrTaskFailed {
				return true
			}
		}
	}
	return false
}

// handleError applies Retry then Catch to a failure of st.
func (f *frame) handleError(st *state, cur *Cursor, ev *evalEnv, se *StateError) Outcome {
	ev.inspect(StageError, se)
	for i, r := range st.Retry {
		if !errorMatches(r.ErrorEquals, se.Name) {
			continue
		}
		if len(cur.Retries) < len(st.Retry) {
			cur.Retries = append(cur.Retries, make([]int, len(st.Retry)-len(cur.Retries))...)
		}
		ev.inspect(StageRetryIndex, i)
		n := cur.Retries[i]
		if n >= r.MaxAttempts {
			break
		}
		cur.Retries[i]++
		cur.RetryCount++
		delay := retryDelay(r, n)
		ev.inspect(StageRetryBackoff, int64(delay/time.Second))
		cur.Phase = phaseRetry
		cur.WakeAt = f.x.host.Now().Add(delay).UnixNano()
		cur.Token, cur.Args, cur.TimeoutAt, cur.HBAt, cur.outcome, cur.Started = "", nil, 0, 0, nil, false
		return Outcome{Kind: StepSuspend, WakeAt: time.Unix(0, cur.WakeAt)}
	}
	for i, c := range st.Catch {
		if !errorMatches(c.ErrorEquals, se.Name) {
			continue
		}
		ev.inspect(StageCatchIndex, i)
		errOut := map[string]any{"Error": se.Name, "Cause": se.Cause}
		set, err := c.io.assign(ev, errOut)
		if err != nil {
			return f.fail(st, cur, err)
		}
		out, err := c.io.output(ev, cur.Input, errOut)
		if err != nil {
			return f.fail(st, cur, err)
		}
		vars := mergeVars(cur.Vars, set)
		*cur = Cursor{State: c.Next, Input: out, Vars: vars}
		return Outcome{Kind: StepNext}
	}
	return Outcome{Kind: StepEnd, Err: se}
}

// retryDelay is the wait before retry number n+1 (n from 0).
func retryDelay(r *retrier, n int) time.Duration {
	d := float64(r.Interval) * math.Pow(r.BackoffRate, float64(n))
	if r.MaxDelay > 0 && d > float64(r.MaxDelay) {
		d = float64(r.MaxDelay)
	}
	if d > float64(366*24*time.Hour) {
		d = float64(366 * 24 * time.Hour)
	}
	if r.FullJitter {
		d = rand.Float64() * d
	}
	return time.Duration(d)
}
