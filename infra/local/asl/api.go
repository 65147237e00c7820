package asl

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loanflow/infra/local/asl/expr"
)

// StateMachine describes a state machine.
type StateMachine struct {
	Arn          string
	Name         string
	Definition   string
	RoleArn      string
	Type         string
	Status       string
	CreationDate time.Time
}

// Execution describes an execution.
type Execution struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Input           string
	Output          *string
	Error           *string
	Cause           *string
	StartDate       time.Time
	StopDate        *time.Time
}

// ExecutionSummary is an execution as listed.
type ExecutionSummary struct {
	ExecutionArn    string
	StateMachineArn string
	Name            string
	Status          string
	StartDate       time.Time
	StopDate        time.Time // zero while running
}

// ListExecutionsInput filters and pages ListExecutions.
type ListExecutionsInput struct {
	StateMachineArn string
	StatusFilter    string
	MaxResults      int
	NextToken       string
}

// HistoryInput selects and pages GetExecutionHistory.
type HistoryInput struct {
	ExecutionArn         string
	ReverseOrder         bool
	MaxResults           int
	NextToken            string
	IncludeExecutionData *bool
}

func (e *Engine) smARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, name)
}

func (e *Engine) checkARN(arn, kind string) error {
	prefix := fmt.Sprintf("arn:aws:states:%s:%s:%s:", e.region, e.account, kind)
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":"+kind+":") {
		return apiErr(CodeInvalidArn, "Invalid Arn: '%s'", arn)
	}
	if !strings.HasPrefix(arn, prefix) {
		return apiErr(CodeInvalidArn, "Invalid Arn: '%s' (this engine serves region %s, account %s)", arn, e.region, e.account)
	}
	return nil
}

func definitionHash(def string) string {
	sum := sha256.Sum256([]byte(def))
	return hex.EncodeToString(sum[:])
}

// cacheDefinition validates def and keeps the parsed machine by hash.
func (e *Engine) cacheDefinition(def string) error {
	m, err := parseDefinition([]byte(def))
	if err != nil {
		return err
	}
	e.machines.Store(definitionHash(def), m)
	return nil
}

// storeDefinition validates def and stores it, returning its hash.
func (e *Engine) storeDefinition(tx *sql.Tx, def string) (string, error) {
	hash := definitionHash(def)
	if _, err := tx.Exec(`INSERT OR IGNORE INTO sfn_definitions (hash, definition) VALUES (?, ?)`, hash, def); err != nil {
		return "", fmt.Errorf("store definition: %w", err)
	}
	return hash, nil
}

// ValidateDefinition parses and validates an ASL definition without storing
// it; the error is an InvalidDefinition APIError listing every problem.
func ValidateDefinition(def []byte) error {
	_, err := parseDefinition(def)
	return err
}

// CreateStateMachine creates a STANDARD state machine and returns its ARN.
// Creating it again with the same definition and role is a no-op.
func (e *Engine) CreateStateMachine(ctx context.Context, name, definition, roleArn, typ string) (string, time.Time, error) {
	if !validName(name) {
		return "", time.Time{}, apiErr(CodeInvalidName, "Invalid Name: '%s'", name)
	}
	if typ != "" && typ != "STANDARD" {
		return "", time.Time{}, apiErr(CodeStateMachineTypeNotSupp, "only STANDARD state machines are supported by the loanflow local engine")
	}
	if err := e.cacheDefinition(definition); err != nil {
		return "", time.Time{}, err
	}
	arn := e.smARN(name)
	now := e.clock.Now()
	created := now
	err := e.write(ctx, func(tx *sql.Tx) error {
		var oldHash, oldRole string
		var createdNS int64
		err := tx.QueryRow(`SELECT def_hash, role_arn, created_ns FROM sfn_state_machines WHERE arn = ?`, arn).Scan(&oldHash, &oldRole, &createdNS)
		hash, herr := e.storeDefinition(tx, definition)
		if herr != nil {
			return herr
		}
		if err == nil {
			if oldHash != hash || oldRole != roleArn {
				return apiErr(CodeStateMachineAlreadyExists, "State Machine Already Exists: '%s'", arn)
			}
			created = time.Unix(0, createdNS)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read state machine: %w", err)
		}
		_, err = tx.Exec(`INSERT INTO sfn_state_machines (arn, name, def_hash, role_arn, type, created_ns, updated_ns) VALUES (?, ?, ?, ?, 'STANDARD', ?, ?)`,
			arn, name, hash, roleArn, now.UnixNano(), now.UnixNano())
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create state machine %s: %w", name, err)
	}
	return arn, created, nil
}

// UpdateStateMachine replaces the definition and/or role (empty = keep).
// Running executions keep the definition they started with.
func (e *Engine) UpdateStateMachine(ctx context.Context, arn, definition, roleArn string) (time.Time, error) {
	if err := e.checkARN(arn, "stateMachine"); err != nil {
		return time.Time{}, err
	}
	if definition != "" {
		if err := e.cacheDefinition(definition); err != nil {
			return time.Time{}, err
		}
	}
	now := e.clock.Now()
	err := e.write(ctx, func(tx *sql.Tx) error {
		set, args := []string{"updated_ns = ?"}, []any{now.UnixNano()}
		if definition != "" {
			hash, err := e.storeDefinition(tx, definition)
			if err != nil {
				return err
			}
			set, args = append(set, "def_hash = ?"), append(args, hash)
		}
		if roleArn != "" {
			set, args = append(set, "role_arn = ?"), append(args, roleArn)
		}
		res, err := tx.Exec(`UPDATE sfn_state_machines SET `+strings.Join(set, ", ")+` WHERE arn = ?`, append(args, arn)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("update state machine: %w", err)
	}
	return now, nil
}

// DescribeStateMachine returns the state machine with arn.
func (e *Engine) DescribeStateMachine(ctx context.Context, arn string) (*StateMachine, error) {
	if err := e.checkARN(arn, "stateMachine"); err != nil {
		return nil, err
	}
	sm := &StateMachine{Arn: arn, Status: "ACTIVE"}
	var created int64
	err := e.db.QueryRowContext(ctx, `SELECT s.name, d.definition, s.role_arn, s.type, s.created_ns FROM sfn_state_machines s
		JOIN sfn_definitions d ON d.hash = s.def_hash WHERE s.arn = ?`, arn).Scan(&sm.Name, &sm.Definition, &sm.RoleArn, &sm.Type, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("describe state machine: %w", err)
	}
	sm.CreationDate = time.Unix(0, created)
	return sm, nil
}

// ListStateMachines returns every state machine (without definitions),
// ordered by name.
func (e *Engine) ListStateMachines(ctx context.Context) ([]StateMachine, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT arn, name, type, created_ns FROM sfn_state_machines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list state machines: %w", err)
	}
	defer rows.Close()
	var out []StateMachine
	for rows.Next() {
		var sm StateMachine
		var created int64
		if err := rows.Scan(&sm.Arn, &sm.Name, &sm.Type, &created); err != nil {
			return nil, fmt.Errorf("list state machines: %w", err)
		}
		sm.CreationDate, sm.Status = time.Unix(0, created), "ACTIVE"
		out = append(out, sm)
	}
	return out, rows.Err()
}

// StartExecution starts an execution (name "" means a generated UUID) and
// returns its ARN and start date. Starting again with the same name and
// input while it runs returns the same execution; otherwise the name is
// taken (ExecutionAlreadyExists).
func (e *Engine) StartExecution(ctx context.Context, smArn, name, input string) (string, time.Time, error) {
	if err := e.checkARN(smArn, "stateMachine"); err != nil {
		return "", time.Time{}, err
	}
	if name == "" {
		name = newUUID()
	} else if !validName(name) {
		return "", time.Time{}, apiErr(CodeInvalidName, "Invalid Name: '%s'", name)
	}
	if input == "" {
		input = "{}"
	}
	if len(input) > maxPayload {
		return "", time.Time{}, apiErr(CodeInvalidExecutionInput, "Invalid Input: input exceeds the maximum size of %d bytes", maxPayload)
	}
	in, err := expr.Decode([]byte(input))
	if err != nil {
		return "", time.Time{}, apiErr(CodeInvalidExecutionInput, "Invalid Input: %v", err)
	}
	smName := nameFromARN(smArn)
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, smName, name)
	now := e.clock.Now()
	r := &run{e: e, arn: arn, name: name, smArn: smArn, smName: smName, input: in, start: now, nextID: 2}
	var existing bool
	startDate := now
	err = e.write(ctx, func(tx *sql.Tx) error {
		var hash string
		err := tx.QueryRow(`SELECT def_hash, role_arn FROM sfn_state_machines WHERE arn = ?`, smArn).Scan(&hash, &r.roleArn)
		if errors.Is(err, sql.ErrNoRows) {
			return apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", smArn)
		}
		if err != nil {
			return fmt.Errorf("read state machine: %w", err)
		}
		var oldInput, oldStatus string
		var oldStart int64
		err = tx.QueryRow(`SELECT input, status, start_ns FROM sfn_executions WHERE arn = ?`, arn).Scan(&oldInput, &oldStatus, &oldStart)
		if err == nil {
			if oldStatus == "RUNNING" && oldInput == input {
				existing, startDate = true, time.Unix(0, oldStart)
				return nil
			}
			return apiErr(CodeExecutionAlreadyExists, "Execution Already Exists: '%s'", arn)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read execution: %w", err)
		}
		if r.m, err = e.machine(ctx, hash); err != nil {
			return err
		}
		r.deadline = executionDeadline(now, r.m.TimeoutSeconds)
		deadline := r.deadline.UnixNano()
		r.id = e.nextID.Add(1)
		if _, err := tx.Exec(`INSERT INTO sfn_executions (id, arn, sm_arn, name, def_hash, role_arn, status, input, start_ns, deadline_ns, wake_ns, next_event)
			VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, 2)`, r.id, arn, smArn, name, hash, r.roleArn, input, now.UnixNano(), deadline, deadline); err != nil {
			return fmt.Errorf("insert execution: %w", err)
		}
		d := dataDetails("input", encodeJSON(in))
		d["roleArn"] = r.roleArn
		b, _ := json.Marshal(d)
		_, err = tx.Exec(`INSERT INTO sfn_history (exec_id, id, prev, ts_ns, type, details) VALUES (?, 1, 0, ?, 'ExecutionStarted', ?)`, r.id, now.UnixNano(), string(b))
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("start execution %s: %w", name, err)
	}
	if !existing {
		e.enqueue(r.id, r)
		e.log.InfoContext(ctx, "execution started", "execution_arn", arn)
	}
	return arn, startDate, nil
}

// DescribeExecution returns the execution with arn.
func (e *Engine) DescribeExecution(ctx context.Context, arn string) (*Execution, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return nil, err
	}
	x := &Execution{ExecutionArn: arn}
	var start int64
	var stop sql.NullInt64
	err := e.db.QueryRowContext(ctx, `SELECT sm_arn, name, status, input, output, error, cause, start_ns, stop_ns FROM sfn_executions WHERE arn = ?`, arn).
		Scan(&x.StateMachineArn, &x.Name, &x.Status, &x.Input, &x.Output, &x.Error, &x.Cause, &start, &stop)
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
	return x, nil
}

var executionStatuses = map[string]bool{"RUNNING": true, "SUCCEEDED": true, "FAILED": true, "TIMED_OUT": true, "ABORTED": true}

// ListExecutions lists a state machine's executions, newest first.
func (e *Engine) ListExecutions(ctx context.Context, in ListExecutionsInput) ([]ExecutionSummary, string, error) {
	if err := e.checkARN(in.StateMachineArn, "stateMachine"); err != nil {
		return nil, "", err
	}
	if in.StatusFilter != "" && !executionStatuses[in.StatusFilter] {
		return nil, "", apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint", in.StatusFilter)
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var exists int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_state_machines WHERE arn = ?`, in.StateMachineArn).Scan(&exists); err != nil {
		return nil, "", fmt.Errorf("list executions: %w", err)
	}
	if exists == 0 {
		return nil, "", apiErr(CodeStateMachineDoesNotExist, "State Machine Does Not Exist: '%s'", in.StateMachineArn)
	}
	before := int64(1) << 62
	if in.NextToken != "" {
		n, err := strconv.ParseInt(in.NextToken, 10, 64)
		if err != nil {
			return nil, "", apiErr("InvalidToken", "Invalid nextToken")
		}
		before = n
	}
	q := `SELECT id, arn, name, status, start_ns, stop_ns FROM sfn_executions WHERE sm_arn = ? AND id < ?`
	args := []any{in.StateMachineArn, before}
	if in.StatusFilter != "" {
		q += ` AND status = ?`
		args = append(args, in.StatusFilter)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := e.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []ExecutionSummary
	var ids []int64
	for rows.Next() {
		var s ExecutionSummary
		var id, start int64
		var stop sql.NullInt64
		if err := rows.Scan(&id, &s.ExecutionArn, &s.Name, &s.Status, &start, &stop); err != nil {
			return nil, "", fmt.Errorf("list executions: %w", err)
		}
		s.StateMachineArn, s.StartDate = in.StateMachineArn, time.Unix(0, start)
		if stop.Valid {
			s.StopDate = time.Unix(0, stop.Int64)
		}
		out, ids = append(out, s), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list executions: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(ids[limit-1], 10)
	}
	return out, next, nil
}

// GetExecutionHistory returns a page of an execution's history events.
func (e *Engine) GetExecutionHistory(ctx context.Context, in HistoryInput) ([]HistoryEvent, string, error) {
	if err := e.checkARN(in.ExecutionArn, "execution"); err != nil {
		return nil, "", err
	}
	var id int64
	err := e.db.QueryRowContext(ctx, `SELECT id FROM sfn_executions WHERE arn = ?`, in.ExecutionArn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", in.ExecutionArn)
	}
	if err != nil {
		return nil, "", fmt.Errorf("get execution history: %w", err)
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	from := int64(0)
	if in.ReverseOrder {
		from = 1 << 62
	}
	if in.NextToken != "" {
		n, err := strconv.ParseInt(in.NextToken, 10, 64)
		if err != nil {
			return nil, "", apiErr("InvalidToken", "Invalid nextToken")
		}
		from = n
	}
	events, err := e.readHistory(ctx, id, from, limit+1, in.ReverseOrder)
	if err != nil {
		return nil, "", fmt.Errorf("get execution history: %w", err)
	}
	out := make([]HistoryEvent, 0, len(events))
	for i := range events {
		ev, err := events[i].historyEvent()
		if err != nil {
			return nil, "", fmt.Errorf("get execution history: %w", err)
		}
		if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
			ev.Details = stripData(ev.Details)
		}
		out = append(out, ev)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, nil
}

// StopExecution aborts a running execution and returns its stop date.
func (e *Engine) StopExecution(ctx context.Context, arn, errName, cause string) (time.Time, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return time.Time{}, err
	}
	now := e.clock.Now()
	stopDate := now
	var id int64
	err := e.write(ctx, func(tx *sql.Tx) error {
		var status string
		var next int64
		var stop sql.NullInt64
		err := tx.QueryRow(`SELECT id, status, next_event, stop_ns FROM sfn_executions WHERE arn = ?`, arn).Scan(&id, &status, &next, &stop)
		if errors.Is(err, sql.ErrNoRows) {
			return apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
		}
		if err != nil {
			return fmt.Errorf("read execution: %w", err)
		}
		if status != "RUNNING" {
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
		if _, err := tx.Exec(`UPDATE sfn_executions SET status = 'ABORTED', error = ?, cause = ?, stop_ns = ?, cursor = NULL, wake_ns = NULL, waiting = 0, next_event = ? WHERE id = ?`,
			nullStr(errName), nullStr(cause), now.UnixNano(), next+1, id); err != nil {
			return fmt.Errorf("abort execution: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM sfn_threads WHERE exec_id = ?`, id); err != nil {
			return fmt.Errorf("delete threads: %w", err)
		}
		_, err = tx.Exec(`UPDATE sfn_tasks SET status = ? WHERE exec_id = ? AND status = ?`, taskClosed, id, taskPending)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("stop execution: %w", err)
	}
	e.cancelRun(id)
	e.closeWait.closed(arn)
	return stopDate, nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Stats counts executions by status and the task tokens still awaited.
type Stats struct {
	Executions   map[string]int
	PendingTasks int
}

// Stats reports counts for the local stack's console and tests.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Executions: map[string]int{}}
	rows, err := e.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM sfn_executions GROUP BY status`)
	if err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return s, fmt.Errorf("stats: %w", err)
		}
		s.Executions[st] = n
	}
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_tasks WHERE status = ?`, taskPending).Scan(&s.PendingTasks); err != nil {
		return s, fmt.Errorf("stats: %w", err)
	}
	return s, rows.Err()
}
