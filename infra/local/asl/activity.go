package asl

import (
	"context"
	"fmt"
	"time"
)

// Activity tasks: a Task whose Resource is an activity ARN is scheduled for
// the workers that poll that activity (GetActivityTask), and completes with
// their SendTaskSuccess or SendTaskFailure on the token they were given. Its
// history is ActivityScheduled, ActivityStarted (when a worker takes it),
// then ActivitySucceeded, ActivityFailed or ActivityTimedOut.

// scheduleActivity checks that the activity exists, records
// ActivityScheduled and hands the task to the runtime (Host.AddTask), to be
// persisted before the thread waits on it.
func (f *frame) scheduleActivity(ctx context.Context, st *state, cur *Cursor, timeout, hb int64, now time.Time) Outcome {
	arn := st.task.Resource
	exists := false
	if ah, ok := f.x.host.(ActivityHost); ok {
		var err error
		if exists, err = ah.ActivityExists(ctx, arn); err != nil {
			f.x.setFault(fmt.Errorf("read activity %s: %w", arn, err))
			return Outcome{Kind: StepEnd, Err: aborted()}
		}
	}
	if !exists {
		// AWS accepts the definition and fails the execution when the state
		// runs, with States.Runtime and no ActivityScheduleFailed event, which
		// no Retry or Catch handles (LocalStack's AWS-validated snapshot
		// tests/aws/services/stepfunctions/v2/activities/test_activities.snapshot.json,
		// test_activity_task_on_deleted).
		return Outcome{Kind: StepEnd, Err: &StateError{Name: ErrRuntime, Cause: fmt.Sprintf(
			"An error occurred while executing the state '%s' (entered at the event id #%d). The activity %s does not exist.", st.Name, cur.Entered, arn)}}
	}
	in := EncodeJSON(cur.Args)
	d := DataDetails("input", in)
	d["resource"] = arn
	if timeout > 0 {
		d["timeoutInSeconds"] = timeout
		cur.TimeoutAt = now.Add(time.Duration(timeout) * time.Second).UnixNano()
	}
	if hb > 0 {
		d["heartbeatInSeconds"] = hb
		cur.HBSeconds = hb // the heartbeat deadline starts when a worker takes the task
	}
	f.emit("ActivityScheduled", d)
	f.x.host.AddTask(PendingTask{Token: cur.Token, State: st.Name, Nested: !f.top, TimeoutAt: cur.TimeoutAt, HeartbeatSeconds: hb, Activity: arn, Input: in})
	cur.Phase = phaseActivity
	return Outcome{Kind: StepInvoke}
}

// activityWait records a worker's taking of the task, completes the task
// from its delivered outcome or its deadlines, or suspends.
func (f *frame) activityWait(st *state, cur *Cursor, ev *evalEnv, now time.Time) Outcome {
	if s := cur.start; s != nil {
		cur.start = nil
		if !cur.Started {
			cur.Started = true
			d := map[string]any{}
			if s.Worker != "" {
				d["workerName"] = s.Worker
			}
			f.emit("ActivityStarted", d)
			if s.HeartbeatAt != 0 {
				cur.HBAt = s.HeartbeatAt
			} else if cur.HBSeconds > 0 {
				cur.HBAt = now.Add(time.Duration(cur.HBSeconds) * time.Second).UnixNano()
			}
		}
	}
	if o := cur.outcome; o != nil {
		cur.outcome = nil
		if !o.Success {
			return f.activityEnded(st, cur, ev, "ActivityFailed", &StateError{Name: o.Error, Cause: o.Cause})
		}
		out := EncodeJSON(o.Output)
		if len(out) > MaxPayload {
			return f.activityEnded(st, cur, ev, "ActivityFailed", dataLimit(st))
		}
		f.emit("ActivitySucceeded", DataDetails("output", out))
		return f.complete(st, cur, ev, o.Output)
	}
	passed, wake := cur.taskDeadline(now)
	if passed != "" {
		return f.activityEnded(st, cur, ev, "ActivityTimedOut", &StateError{Name: passed})
	}
	return Outcome{Kind: StepSuspend, WakeAt: wake}
}

// activityEnded records the failed or timed-out end of an activity task
// (event) and applies the state's Retry and Catch.
func (f *frame) activityEnded(st *state, cur *Cursor, ev *evalEnv, event string, se *StateError) Outcome {
	d := map[string]any{"error": se.Name}
	if se.Cause != "" {
		d["cause"] = se.Cause
	}
	f.emit(event, d)
	return f.handleError(st, cur, ev, se)
}
