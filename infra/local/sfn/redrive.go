package sfn

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/asl"
)

// Redrive statuses of an execution, as DescribeExecution names them.
const (
	RedriveStatusRedrivable    = "REDRIVABLE"
	RedriveStatusNotRedrivable = "NOT_REDRIVABLE"
)

// Step Functions' redrive limits: an execution can be redriven within 14
// days of its end, at most 1,000 times.
const (
	redriveWindow   = 14 * 24 * time.Hour
	maxRedriveCount = 1000
)

// redrivable returns an execution's redriveStatus and, when it cannot be
// redriven, the reason; nextEvent is the id its next history event would
// take.
func redrivable(status Status, stop *time.Time, count int, nextEvent int64, now time.Time) (string, string) {
	switch {
	case status == StatusRunning || status == StatusSucceeded:
		return RedriveStatusNotRedrivable, "Execution is " + string(status) + " and cannot be redriven"
	case nextEvent > asl.MaxHistoryEvents:
		// No room for a redrive's events (API reference, DescribeExecution
		// redriveStatusReason).
		return RedriveStatusNotRedrivable, "Execution history event limit exceeded."
	case count >= maxRedriveCount:
		return RedriveStatusNotRedrivable, fmt.Sprintf("Execution has been redriven the maximum number of times (%d)", maxRedriveCount)
	case stop != nil && now.Sub(*stop) > redriveWindow:
		return RedriveStatusNotRedrivable, "Execution redrivable period exceeded."
	}
	return RedriveStatusRedrivable, ""
}

// RedriveExecution restarts a FAILED, TIMED_OUT or ABORTED execution from
// the state where it stopped (re-entered with the input it had then), as
// AWS redrives an unsuccessful Standard execution: it records
// ExecutionRedriven, counts the redrive and returns its date.
func (e *Engine) RedriveExecution(ctx context.Context, arn string) (time.Time, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return time.Time{}, err
	}
	now := e.clock.Now()
	var id int64
	err := e.store.write(ctx, func(tx *sql.Tx) error {
		var (
			status      Status
			hash, smARN string
			next        int64
			count       int
			stop        sql.NullInt64
			cursor      sql.NullString
			smStatus    sql.NullString
		)
		err := tx.QueryRow(`SELECT x.id, x.status, x.def_hash, x.sm_arn, x.next_event, x.redrive_count, x.stop_ns, x.redrive_cursor, m.status
			FROM sfn_executions x LEFT JOIN sfn_state_machines m ON m.arn = x.sm_arn WHERE x.arn = ?`, arn).
			Scan(&id, &status, &hash, &smARN, &next, &count, &stop, &cursor, &smStatus)
		if errors.Is(err, sql.ErrNoRows) {
			return apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
		}
		if err != nil {
			return fmt.Errorf("read execution: %w", err)
		}
		var stopAt *time.Time
		if stop.Valid {
			t := time.Unix(0, stop.Int64)
			stopAt = &t
		}
		if rs, reason := redrivable(status, stopAt, count, next, now); rs != RedriveStatusRedrivable {
			return apiErr(CodeExecutionNotRedrivable, "%s: '%s'", reason, arn)
		}
		if smStatus.String != machineActive {
			return apiErr(CodeExecutionNotRedrivable, "State machine %s has been deleted and the execution cannot be redriven: '%s'", nameFromARN(smARN), arn)
		}
		m, err := e.machine(ctx, hash)
		if err != nil {
			return err
		}
		restart, err := restartCursor(cursor)
		if err != nil {
			return fmt.Errorf("redrive %s: %w", arn, err)
		}
		if err := redriveThreads(tx, id); err != nil {
			return fmt.Errorf("redrive %s: %w", arn, err)
		}
		deadline := asl.ExecutionDeadline(now, m.TimeoutSeconds()).UnixNano()
		details, _ := json.Marshal(map[string]any{"redriveCount": count + 1})
		if _, err := tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, ?, ?, ?, 'ExecutionRedriven', ?)`,
			id, next, next-1, now.UnixNano(), string(details)); err != nil {
			return fmt.Errorf("record redrive: %w", err)
		}
		_, err = tx.Exec(`UPDATE sfn_executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_ns = NULL,
			cursor = ?, redrive_cursor = NULL, deadline_ns = ?, wake_ns = ?, waiting = 0, next_event = ?, redrive_count = redrive_count + 1, redrive_ns = ? WHERE id = ?`,
			restart, deadline, deadline, next+1, now.UnixNano(), id)
		if err != nil {
			return fmt.Errorf("redrive execution: %w", err)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	e.enqueue(id, nil)
	e.log.InfoContext(ctx, "execution redriven", "executionArn", arn)
	return now, nil
}
