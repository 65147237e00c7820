package asl

import (
	"fmt"
	"time"
)

// Step Functions' quotas for Standard workflows, as the developer guide
// states them ("Step Functions service quotas"; "Avoid reaching the history
// quota"). They bound what a runaway definition can cost: a loop ends at the
// history cap, data that doubles ends at the payload cap, a wait ends at the
// execution's one-year limit.
const (
	// MaxPayload is the limit for execution and state inputs, outputs, task
	// results and task outcomes, in bytes.
	MaxPayload = 256 * 1024

	// MaxHistoryEvents is the hard cap on an execution's history. Event
	// MaxHistoryEvents may only be the execution's end; any other event at
	// that id fails the execution instead (see frame.record).
	MaxHistoryEvents = 25_000

	// maxExecutionDuration is how long a Standard execution may run; past
	// it, the execution times out with States.Timeout whatever its
	// TimeoutSeconds.
	maxExecutionDuration = 365 * 24 * time.Hour

	// maxWaitSeconds is the largest Seconds a Wait state's definition may
	// hold (the ASL reference: "an integer value from 0 up to 99999999").
	maxWaitSeconds = 99_999_999
)

// historyLimitCause is AWS's cause when an execution reaches the cap.
var historyLimitCause = fmt.Sprintf("The execution reached the maximum number of history events (%d).", MaxHistoryEvents)

// HistoryLimitError is the failure of an execution that reached the
// history cap (Execution.HistoryFull).
func HistoryLimitError() *StateError {
	return &StateError{Name: ErrRuntime, Cause: historyLimitCause}
}

// ExecutionDeadline is when an execution started at start times out: its
// definition's TimeoutSeconds, and never later than the one-year limit.
// AWS ends an execution that runs for *more than* the limit, so a task
// timeout of exactly a year still fires first.
func ExecutionDeadline(start time.Time, timeoutSeconds int64) time.Time {
	limit := start.Add(maxExecutionDuration + time.Second)
	if timeoutSeconds > 0 {
		if d := start.Add(time.Duration(timeoutSeconds) * time.Second); d.Before(limit) {
			return d
		}
	}
	return limit
}

// clampWake bounds the end of a wait to what a time.Time's UnixNano can
// hold without overflow: a wait longer than the execution may live ends at
// the execution's deadline anyway (the driver wakes at the earlier of the
// two), so any instant past entered plus twice that limit is as good as
// "never" and is stored as that bound.
func clampWake(entered, until time.Time) time.Time {
	if limit := entered.Add(2 * maxExecutionDuration); until.After(limit) {
		return limit
	}
	if until.Before(entered) {
		return entered // a timestamp in the past: no wait
	}
	return until
}

// waitFor is entered plus n seconds, without overflowing time.Duration.
func waitFor(entered time.Time, n int64) time.Time {
	if n > int64(2*maxExecutionDuration/time.Second) {
		return clampWake(entered, entered.Add(3*maxExecutionDuration))
	}
	return entered.Add(time.Duration(n) * time.Second)
}
