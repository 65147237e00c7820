package sfn

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The API's side of the store: state machines, starting, describing,
// listing and stopping executions, counts.

// storeDefinition stores def under hash (once).
func storeDefinition(tx *sql.Tx, def, hash string) error {
	if _, err := tx.Exec(`INSERT OR IGNORE INTO sfn_definitions (hash, definition) VALUES (?, ?)`, hash, def); err != nil {
		return fmt.Errorf("store definition: %w", err)
	}
	return nil
}

// machineConfig is what a state machine holds besides its definition and
// role: logging (JSON, "" for the default), tracing and, at creation, tags.
type machineConfig struct {
	logging string
	tracing bool
	tags    map[string]string
}

// createStateMachine inserts the state machine arn, or finds it with the
// same definition and role, and returns its creation date.
func (s *store) createStateMachine(ctx context.Context, arn, name, def, hash, roleARN string, cfg machineConfig, now time.Time) (time.Time, error) {
	created := now
	err := s.write(ctx, func(tx *sql.Tx) error {
		var oldHash, oldRole, status string
		var createdNS int64
		err := tx.QueryRow(`SELECT def_hash, role_arn, created_ns, status FROM sfn_state_machines WHERE arn = ?`, arn).Scan(&oldHash, &oldRole, &createdNS, &status)
		if herr := storeDefinition(tx, def, hash); herr != nil {
			return herr
		}
		if err == nil {
			if status == machineDeleting {
				return apiErr(CodeStateMachineDeleting, "State Machine is being deleted: '%s'", arn)
			}
			if oldHash != hash || oldRole != roleARN {
				return apiErr(CodeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", arn)
			}
			created = time.Unix(0, createdNS)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read state machine: %w", err)
		}
		if _, err = tx.Exec(`INSERT INTO sfn_state_machines (arn, name, def_hash, role_arn, type, created_ns, updated_ns, logging, tracing) VALUES (?, ?, ?, ?, 'STANDARD', ?, ?, ?, ?)`,
			arn, name, hash, roleARN, now.UnixNano(), now.UnixNano(), nullStr(cfg.logging), cfg.tracing); err != nil {
			return fmt.Errorf("insert state machine: %w", err)
		}
		// No machine of that ARN was left (DELETING or not), whether or
		// not this insert commits.
		s.deleting.Delete(arn)
		return putTags(tx, arn, cfg.tags)
	})
	return created, err
}

// machineUpdate is what UpdateStateMachine changes; empty or nil means keep.
type machineUpdate struct {
	def, hash, roleARN, logging string
	tracing                     *bool
}

// updateStateMachine applies u to state machine arn.
func (s *store) updateStateMachine(ctx context.Context, arn string, u machineUpdate, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		set, args := []string{"updated_ns = ?"}, []any{now.UnixNano()}
		if u.def != "" {
			if err := storeDefinition(tx, u.def, u.hash); err != nil {
				return err
			}
			set, args = append(set, "def_hash = ?"), append(args, u.hash)
		}
		if u.roleARN != "" {
			set, args = append(set, "role_arn = ?"), append(args, u.roleARN)
		}
		if u.logging != "" {
			set, args = append(set, "logging = ?"), append(args, u.logging)
		}
		if u.tracing != nil {
			set, args = append(set, "tracing = ?"), append(args, *u.tracing)
		}
		res, err := tx.Exec(`UPDATE sfn_state_machines SET `+strings.Join(set, ", ")+` WHERE arn = ? AND status = 'ACTIVE'`, append(args, arn)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
		}
		return nil
	})
}

// describeStateMachine reads state machine arn with its definition.
func (s *store) describeStateMachine(ctx context.Context, arn string) (*StateMachine, error) {
	sm := &StateMachine{ARN: arn}
	var created, updated int64
	var logging sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT s.name, d.definition, s.role_arn, s.type, s.created_ns, s.updated_ns, s.status, s.logging, s.tracing FROM sfn_state_machines s
		JOIN sfn_definitions d ON d.hash = s.def_hash WHERE s.arn = ?`, arn).Scan(&sm.Name, &sm.Definition, &sm.RoleARN, &sm.Type, &created, &updated, &sm.Status, &logging, &sm.TracingEnabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("describe state machine: %w", err)
	}
	sm.CreationDate, sm.UpdateDate = time.Unix(0, created), time.Unix(0, updated)
	if sm.Logging, err = decodeLogging(logging.String); err != nil {
		return nil, fmt.Errorf("describe state machine %s: %w", arn, err)
	}
	return sm, nil
}

// listStateMachines reads up to n state machines (n < 0: all), without
// definitions, ordered by name, from the first name after after.
func (s *store) listStateMachines(ctx context.Context, after string, n int) ([]StateMachine, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT arn, name, type, created_ns, status FROM sfn_state_machines WHERE name > ? ORDER BY name LIMIT ?`, after, n)
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	defer rows.Close()
	var out []StateMachine
	for rows.Next() {
		var sm StateMachine
		var created int64
		if err := rows.Scan(&sm.ARN, &sm.Name, &sm.Type, &created, &sm.Status); err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		sm.CreationDate = time.Unix(0, created)
		out = append(out, sm)
	}
	return out, rows.Err()
}

// newExecution is an execution StartExecution inserts.
type newExecution struct {
	arn, smARN, name, input string
	start                   time.Time
}

// startExecution inserts x with its ExecutionStarted event, or finds it
// running with the same input (existing, with its start date). prepare runs
// inside the transaction before the insert, with the state machine's
// definition hash and role: it returns the new execution's id, deadline
// (Unix ns) and ExecutionStarted details, unused when the name is taken.
func (s *store) startExecution(ctx context.Context, x newExecution, prepare func(hash, roleARN string) (id, deadline int64, started string, first *firstCheckpoint, err error)) (existing bool, startDate time.Time, err error) {
	startDate = x.start
	err = s.write(ctx, func(tx *sql.Tx) error {
		var hash, roleARN, smStatus string
		err := tx.QueryRow(`SELECT def_hash, role_arn, status FROM sfn_state_machines WHERE arn = ?`, x.smARN).Scan(&hash, &roleARN, &smStatus)
		if errors.Is(err, sql.ErrNoRows) {
			return apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", x.smARN)
		}
		if err != nil {
			return fmt.Errorf("read state machine: %w", err)
		}
		if smStatus == machineDeleting {
			return apiErr(CodeStateMachineDeleting, "State Machine is being deleted: '%s'", x.smARN)
		}
		id, deadline, started, first, err := prepare(hash, roleARN)
		if err != nil {
			return err
		}
		// The first checkpoint, if any, is written with the row.
		var cursor any
		wake, waiting, next := deadline, 0, int64(2)
		if first != nil {
			cursor, wake, next = first.cursor, first.wake, first.j.nextEvent()
			if first.waiting {
				waiting = 1
			}
		}
		// The insert finds an execution of the same name itself (its ARN
		// is unique), which is rare: no query before it.
		res, err := tx.Exec(`INSERT INTO sfn_executions (id, arn, sm_arn, name, def_hash, role_arn, status, input, start_ns, deadline_ns, wake_ns, waiting, cursor, next_event)
			VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING`, id, x.arn, x.smARN, x.name, hash, roleARN, x.input, x.start.UnixNano(), deadline, nullInt(wake), waiting, cursor, next)
		if err != nil {
			return fmt.Errorf("insert execution: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert execution: %w", err)
		} else if n == 0 {
			var oldInput string
			var oldStatus Status
			var oldStart int64
			if err := tx.QueryRow(`SELECT input, status, start_ns FROM sfn_executions WHERE arn = ?`, x.arn).Scan(&oldInput, &oldStatus, &oldStart); err != nil {
				return fmt.Errorf("read execution: %w", err)
			}
			if oldStatus == StatusRunning && oldInput == x.input {
				existing, startDate = true, time.Unix(0, oldStart)
				return nil
			}
			return apiErr(CodeExecutionAlreadyExists, "Execution Already Exists: '%s'", x.arn)
		}
		if _, err = tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, 1, 0, ?, 'ExecutionStarted', ?)`, id, x.start.UnixNano(), started); err != nil {
			return fmt.Errorf("insert event 1: %w", err)
		}
		if first != nil {
			_, err = s.flushEvents(tx, id, first.j)
		}
		return err
	})
	return existing, startDate, err
}

// describeExecution reads execution arn.
func (s *store) describeExecution(ctx context.Context, arn string) (*Execution, error) {
	select {
	case s.describes <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("describe execution: %w", ctx.Err())
	}
	defer func() { <-s.describes }()
	x := &Execution{ExecutionARN: arn}
	var start int64
	var stop, redrive sql.NullInt64
	var next int64
	err := s.db.QueryRowContext(ctx, `SELECT sm_arn, name, status, input, output, error, cause, start_ns, stop_ns, redrive_count, redrive_ns, next_event FROM sfn_executions WHERE arn = ?`, arn).
		Scan(&x.StateMachineARN, &x.Name, &x.Status, &x.Input, &x.Output, &x.Error, &x.Cause, &start, &stop, &x.RedriveCount, &redrive, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("describe execution: %w", err)
	}
	x.StartDate = time.Unix(0, start)
	if stop.Valid {
		t := time.Unix(0, stop.Int64)
		x.StopDate = &t
	}
	if redrive.Valid {
		t := time.Unix(0, redrive.Int64)
		x.RedriveDate = &t
	}
	x.RedriveStatus, x.RedriveStatusReason = redrivable(x.Status, x.StopDate, x.RedriveCount, next, s.clock.Now())
	return x, nil
}

// requireStateMachine returns StateMachineDoesNotExist unless state machine
// arn exists.
func (s *store) requireStateMachine(ctx context.Context, arn string) error {
	var exists int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_state_machines WHERE arn = ?`, arn).Scan(&exists); err != nil {
		return fmt.Errorf("list executions: %w", err)
	}
	if exists == 0 {
		return apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	return nil
}

// listExecutions reads up to n executions of state machine smArn with ids
// below before (and status, unless ""), newest first, with their ids.
func (s *store) listExecutions(ctx context.Context, smARN string, status Status, redriveFilter string, before int64, n int) ([]ExecutionSummary, []int64, error) {
	q := `SELECT id, arn, name, status, start_ns, stop_ns, redrive_count, redrive_ns FROM sfn_executions WHERE sm_arn = ? AND id < ?`
	args := []any{smARN, before}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, string(status))
	}
	q += redriveCondition(redriveFilter)
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, n)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []ExecutionSummary
	var ids []int64
	for rows.Next() {
		var x ExecutionSummary
		var id, start int64
		var stop, redrive sql.NullInt64
		if err := rows.Scan(&id, &x.ExecutionARN, &x.Name, &x.Status, &start, &stop, &x.RedriveCount, &redrive); err != nil {
			return nil, nil, fmt.Errorf("list executions: %w", err)
		}
		x.StateMachineARN, x.StartDate = smARN, time.Unix(0, start)
		if stop.Valid {
			x.StopDate = time.Unix(0, stop.Int64)
		}
		if redrive.Valid {
			x.RedriveDate = time.Unix(0, redrive.Int64)
		}
		out, ids = append(out, x), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list executions: %w", err)
	}
	return out, ids, nil
}

// executionID returns the id of execution arn.
func (s *store) executionID(ctx context.Context, arn string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM sfn_executions WHERE arn = ?`, arn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return 0, fmt.Errorf("get execution history: %w", err)
	}
	return id, nil
}

// stopExecution aborts execution arn if it runs, recording ExecutionAborted
// and closing its threads and tasks, and returns its id and stop date.
func (s *store) stopExecution(ctx context.Context, arn, errName, cause string, now time.Time) (int64, time.Time, error) {
	stopDate := now
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var status Status
		var next int64
		var stop sql.NullInt64
		err := tx.QueryRow(`SELECT id, status, next_event, stop_ns FROM sfn_executions WHERE arn = ?`, arn).Scan(&id, &status, &next, &stop)
		if errors.Is(err, sql.ErrNoRows) {
			return apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
		}
		if err != nil {
			return fmt.Errorf("read execution: %w", err)
		}
		if status != StatusRunning {
			if stop.Valid {
				stopDate = time.Unix(0, stop.Int64)
			}
			return nil
		}
		d := map[string]any{}
		if errName != "" {
			d["error"] = errName
		}
		if cause != "" {
			d["cause"] = cause
		}
		b, _ := json.Marshal(d)
		if _, err := tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, ?, ?, ?, 'ExecutionAborted', ?)`, id, next, next-1, now.UnixNano(), string(b)); err != nil {
			return fmt.Errorf("record abort: %w", err)
		}
		if _, err := tx.Exec(`UPDATE sfn_executions SET status = 'ABORTED', error = ?, cause = ?, stop_ns = ?, redrive_cursor = cursor, cursor = NULL, wake_ns = NULL, waiting = 0, next_event = ? WHERE id = ?`,
			nullStr(errName), nullStr(cause), now.UnixNano(), next+1, id); err != nil {
			return fmt.Errorf("abort execution: %w", err)
		}
		if err := dropDeletedMachine(tx, id); err != nil {
			return err
		}
		// Its threads stay for a redrive (redrive_threads.go).
		_, err = tx.Exec(`UPDATE sfn_tasks SET status = ? WHERE exec_id = ? AND status = ?`, taskClosed, id, taskPending)
		return err
	})
	return id, stopDate, err
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// stats counts executions by status and the pending tasks.
func (s *store) stats(ctx context.Context) (Stats, error) {
	st := Stats{Executions: map[Status]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM sfn_executions GROUP BY status`)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status Status
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return st, fmt.Errorf("stats: %w", err)
		}
		st.Executions[status] = n
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_tasks WHERE status = ?`, taskPending).Scan(&st.PendingTasks); err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	return st, rows.Err()
}

// openTaskTokens returns the tokens that SendTaskSuccess could still
// resolve at the store's now: the conditions of pendingTask, for all tasks.
func (s *store) openTaskTokens(ctx context.Context) (map[string]bool, error) {
	now := s.clock.Now().UnixNano()
	rows, err := s.db.QueryContext(ctx, `SELECT t.token FROM sfn_tasks t JOIN sfn_executions x ON x.id = t.exec_id
		WHERE t.status = ? AND x.status = ? AND (t.timeout_ns IS NULL OR t.timeout_ns > ?) AND (t.hb_ns IS NULL OR t.hb_ns > ?)`,
		taskPending, StatusRunning, now, now)
	if err != nil {
		return nil, fmt.Errorf("open tasks: %w", err)
	}
	defer rows.Close()
	open := map[string]bool{}
	for rows.Next() {
		var token string
		if err := rows.Scan(&token); err != nil {
			return nil, fmt.Errorf("open tasks: %w", err)
		}
		open[token] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open tasks: %w", err)
	}
	return open, nil
}
