package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/asl/expr"
)

// Invoker performs Task states' service calls: the task integrations. The
// local stack implements it and hands it to the runtime, whose Host.Invoke
// calls it; the interpreter ships none.
type Invoker interface {
	Invoke(ctx context.Context, call TaskCall) (any, error)
}

// TaskCall is one Task invocation. For the waitForTaskToken pattern the
// result of Invoke is ignored and the task completes on SendTaskSuccess or
// SendTaskFailure with TaskToken. A replay after a crash carries the same
// TaskToken, so receivers can deduplicate on it.
type TaskCall struct {
	Resource        string
	Service, Action string
	Pattern         string // "", "waitForTaskToken" or "sync"
	Parameters      any
	TaskToken       string
	ExecutionARN    string
	StateMachineARN string
	StateName       string
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, call TaskCall) (any, error)

// Invoke calls fn.
func (fn InvokerFunc) Invoke(ctx context.Context, call TaskCall) (any, error) { return fn(ctx, call) }

func (f *frame) taskDetails(st *state) map[string]any {
	res := st.task.Action
	if st.task.Pattern != "" {
		res += "." + st.task.Pattern
	}
	if st.task.Resource != "" && st.task.Service == "lambda" && st.task.Action == "invoke" && !isStatesARN(st.task.Resource) {
		res = st.task.Resource
	}
	return map[string]any{"resourceType": st.task.Service, "resource": res}
}

func isStatesARN(s string) bool { return len(s) > 15 && s[:15] == "arn:aws:states:" }

func (f *frame) task(ctx context.Context, st *state, cur *Cursor, ev *evalEnv) Outcome {
	now := f.x.host.Now()
	switch cur.Phase {
	case phaseRun:
		eff, err := st.io.input(ev, cur.Input)
		if err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
		timeout, err := seconds(st.timeoutSeconds, st.timeoutPath, ev.scope(eff), "TimeoutSecondsPath")
		if err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
		hb, err := seconds(st.heartbeatSeconds, st.heartbeatPath, ev.scope(eff), "HeartbeatSecondsPath")
		if err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
		cur.Token = f.x.host.NewTaskToken()
		if _, given := f.givenContext(); !given {
			// A context object TestState was given is the whole of $$.
			ev.ctxObj["Task"] = map[string]any{"Token": cur.Token}
		}
		args, _, err := st.io.arguments(ev, eff)
		if err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
		cur.Args = args
		if st.task.Service == serviceActivity {
			return f.scheduleActivity(ctx, st, cur, timeout, hb, now)
		}
		d := f.taskDetails(st)
		d["region"] = f.x.info.Region
		d["parameters"] = EncodeJSON(args)
		if timeout > 0 {
			d["timeoutInSeconds"] = timeout
			cur.TimeoutAt = now.Add(time.Duration(timeout) * time.Second).UnixNano()
		}
		if hb > 0 {
			d["heartbeatInSeconds"] = hb
			cur.HBAt = now.Add(time.Duration(hb) * time.Second).UnixNano()
			cur.HBSeconds = hb
		}
		f.emit("TaskScheduled", d)
		cur.Phase = phaseInvoke
		if st.task.Pattern == patternToken {
			f.x.host.AddTask(PendingTask{Token: cur.Token, State: st.Name, Nested: !f.top, TimeoutAt: cur.TimeoutAt, HeartbeatAt: cur.HBAt, HeartbeatSeconds: hb})
		}
		return Outcome{Kind: StepInvoke}
	case phaseInvoke:
		f.emit("TaskStarted", f.taskDetails(st))
		ictx := ctx
		// A synchronous call is bounded by the task's timeout, as a duration
		// on the host's clock: the context's timer is the only time the
		// interpreter does not take from its Host (a fake clock cannot
		// interrupt a call in flight).
		if cur.TimeoutAt > 0 && st.task.Pattern != patternToken {
			var cancel context.CancelFunc
			ictx, cancel = context.WithTimeout(ctx, time.Duration(cur.TimeoutAt-now.UnixNano()))
			defer cancel()
		}
		res, err := f.x.host.Invoke(ictx, TaskCall{
			Resource: st.task.Resource, Service: st.task.Service, Action: st.task.Action, Pattern: st.task.Pattern,
			Parameters: cur.Args, TaskToken: cur.Token, ExecutionARN: f.x.info.ARN, StateMachineARN: f.x.info.StateMachineARN, StateName: st.Name,
		})
		if err != nil {
			if ctx.Err() != nil {
				return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrRuntime, Cause: "execution stopped"}}
			}
			if ictx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				return f.taskFailed(st, cur, ev, "TaskTimedOut", &StateError{Name: ErrTimeout})
			}
			se := &StateError{Name: ErrTaskFailed, Cause: err.Error()}
			var te *TaskError
			if errors.As(err, &te) {
				se = &StateError{Name: te.Name, Cause: te.Cause}
			}
			return f.taskFailed(st, cur, ev, "TaskFailed", se)
		}
		if st.task.Pattern == patternToken {
			d := f.taskDetails(st)
			mergeDetails(d, DataDetails("output", EncodeJSON(res)))
			f.emit("TaskSubmitted", d)
			cur.Phase = phaseToken
			return f.tokenWait(st, cur, ev, now)
		}
		return f.taskSucceeded(st, cur, ev, res)
	case phaseToken:
		return f.tokenWait(st, cur, ev, now)
	case phaseActivity:
		return f.activityWait(st, cur, ev, now)
	}
	return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrRuntime, Cause: "bad task phase " + cur.Phase}}
}

// tokenWait completes a waitForTaskToken task from its delivered outcome or
// its deadlines, or suspends.
func (f *frame) tokenWait(st *state, cur *Cursor, ev *evalEnv, now time.Time) Outcome {
	if o := cur.outcome; o != nil {
		cur.outcome = nil
		if o.Success {
			return f.taskSucceeded(st, cur, ev, o.Output)
		}
		return f.taskFailed(st, cur, ev, "TaskFailed", &StateError{Name: o.Error, Cause: o.Cause})
	}
	passed, wake := cur.taskDeadline(now)
	if passed != "" {
		return f.taskFailed(st, cur, ev, "TaskTimedOut", &StateError{Name: passed})
	}
	return Outcome{Kind: StepSuspend, WakeAt: wake}
}

// taskDeadline is the error of the task deadline that has passed at now
// (the timeout before the heartbeat's), or else "" and the earliest
// deadline still to come (zero: none).
func (cur *Cursor) taskDeadline(now time.Time) (string, time.Time) {
	n := now.UnixNano()
	if cur.TimeoutAt > 0 && n >= cur.TimeoutAt {
		return ErrTimeout, time.Time{}
	}
	if cur.HBAt > 0 && n >= cur.HBAt {
		return ErrHeartbeatTimeout, time.Time{}
	}
	var wake time.Time
	for _, t := range []int64{cur.TimeoutAt, cur.HBAt} {
		if t > 0 && (wake.IsZero() || t < wake.UnixNano()) {
			wake = time.Unix(0, t)
		}
	}
	return "", wake
}

func (f *frame) taskFailed(st *state, cur *Cursor, ev *evalEnv, event string, se *StateError) Outcome {
	d := f.taskDetails(st)
	d["error"] = se.Name
	if se.Cause != "" {
		d["cause"] = se.Cause
	}
	f.emit(event, d)
	return f.handleError(st, cur, ev, se)
}

func (f *frame) taskSucceeded(st *state, cur *Cursor, ev *evalEnv, res any) Outcome {
	out := EncodeJSON(res)
	if len(out) > MaxPayload {
		return f.taskFailed(st, cur, ev, "TaskFailed", dataLimit(st))
	}
	d := f.taskDetails(st)
	mergeDetails(d, DataDetails("output", out))
	f.emit("TaskSucceeded", d)
	return f.complete(st, cur, ev, res)
}

// complete finishes a Task, Parallel or Map with its raw result:
// ResultSelector, Assign, ResultPath, OutputPath.
func (f *frame) complete(st *state, cur *Cursor, ev *evalEnv, res any) Outcome {
	ev.inspect(StageResult, res)
	sel, err := st.io.selectResult(ev, res)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	set, err := st.io.assign(ev, sel)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	out, err := st.io.output(ev, cur.Input, sel)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	return f.exitResult(st, cur, out, set, sel)
}

// seconds resolves TimeoutSeconds/HeartbeatSeconds or their Path forms.
func seconds(fixed int64, ref valueRef, sc expr.Scope, field string) (int64, error) {
	if ref == nil {
		return fixed, nil
	}
	v, err := ref.get(sc)
	if err != nil {
		return 0, err
	}
	n, ok := v.(json.Number)
	i, ierr := n.Int64()
	if !ok || ierr != nil || i <= 0 {
		return 0, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The %s field refers to value %s which is not a valid positive integer: %s", field, EncodeJSON(v), ref)}
	}
	return i, nil
}
