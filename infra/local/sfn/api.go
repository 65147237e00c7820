package sfn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/ids"
)

// StateMachine describes a state machine.
type StateMachine struct {
	ARN          string
	Name         string
	Definition   string
	RoleARN      string
	Type         string
	Status       string
	CreationDate time.Time
	// UpdateDate is when the definition or role last changed (the
	// creation date until then).
	UpdateDate time.Time
	// Logging is its logging configuration (level OFF by default).
	Logging LoggingConfiguration
	// TracingEnabled says whether X-Ray tracing is on (off by default).
	TracingEnabled bool
}

// Execution describes an execution.
type Execution struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          Status
	Input           string
	Output          *string
	Error           *string
	Cause           *string
	StartDate       time.Time
	StopDate        *time.Time
	// RedriveCount is how many times it was redriven; RedriveDate is the
	// last redrive (nil if never).
	RedriveCount int
	RedriveDate  *time.Time
	// RedriveStatus is REDRIVABLE or NOT_REDRIVABLE, RedriveStatusReason
	// why not.
	RedriveStatus       string
	RedriveStatusReason string
}

// ExecutionSummary is an execution as listed.
type ExecutionSummary struct {
	ExecutionARN    string
	StateMachineARN string
	Name            string
	Status          Status
	StartDate       time.Time
	StopDate        time.Time // zero while running
	// RedriveCount is how many times the execution was redriven;
	// RedriveDate, when it last was (zero if never).
	RedriveCount int
	RedriveDate  time.Time
}

// ListExecutionsInput filters and pages ListExecutions.
type ListExecutionsInput struct {
	StateMachineARN string
	StatusFilter    Status // "" for every status
	// RedriveFilter is REDRIVEN, NOT_REDRIVEN or "" for both.
	RedriveFilter string
	MaxResults    int
	NextToken     string
}

// HistoryInput selects and pages GetExecutionHistory.
type HistoryInput struct {
	ExecutionARN         string `json:"ExecutionArn"`
	ReverseOrder         bool
	MaxResults           int
	NextToken            string
	IncludeExecutionData *bool
}

func (e *Engine) smARN(name string) string {
	return fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, name)
}

func (e *Engine) checkARN(arn, kind string) error {
	// Our prefix "arn:aws:states:<region>:<account>:<kind>:", matched
	// without building it: this runs on every read.
	ours := hasPrefixes(arn, "arn:aws:states:", e.region, ":", e.account, ":", kind, ":")
	if ours {
		return nil
	}
	if !strings.HasPrefix(arn, "arn:") {
		return apiErr(CodeInvalidARN, "Invalid Arn: 'Invalid ARN prefix: %s'", arn)
	}
	if !strings.Contains(arn, ":"+kind+":") {
		return apiErr(CodeInvalidARN, "Invalid Arn: '%s'", arn)
	}
	if prefix := fmt.Sprintf("arn:aws:states:%s:%s:%s:", e.region, e.account, kind); !strings.HasPrefix(arn, prefix) {
		return apiErr(CodeInvalidARN, "Invalid Arn: '%s' (this engine serves region %s, account %s)", arn, e.region, e.account)
	}
	return nil
}

// hasPrefixes reports whether s starts with the concatenation of parts.
func hasPrefixes(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.HasPrefix(s, p) {
			return false
		}
		s = s[len(p):]
	}
	return true
}

func definitionHash(def string) string {
	sum := sha256.Sum256([]byte(def))
	return hex.EncodeToString(sum[:])
}

// cacheDefinition validates def and keeps the parsed machine by hash.
func (e *Engine) cacheDefinition(def string) error {
	if err := requiredFields(def); err != nil {
		return err
	}
	m, err := asl.Parse([]byte(def))
	if err != nil {
		return err
	}
	e.machines.Store(definitionHash(def), m)
	return nil
}

// CreateStateMachine creates a STANDARD state machine and returns its ARN.
// Creating it again with the same definition and role is a no-op.
func (e *Engine) CreateStateMachine(ctx context.Context, name, definition, roleARN, typ string) (string, time.Time, error) {
	return e.CreateStateMachineWith(ctx, CreateStateMachineInput{Name: name, Definition: definition, RoleARN: roleARN, Type: typ})
}

// UpdateStateMachine replaces the definition and/or role (empty = keep).
// Running executions keep the definition they started with.
func (e *Engine) UpdateStateMachine(ctx context.Context, arn, definition, roleARN string) (time.Time, error) {
	return e.UpdateStateMachineWith(ctx, UpdateStateMachineInput{StateMachineARN: arn, Definition: definition, RoleARN: roleARN})
}

// DescribeStateMachine returns the state machine with arn.
func (e *Engine) DescribeStateMachine(ctx context.Context, arn string) (*StateMachine, error) {
	if err := e.checkARN(arn, "stateMachine"); err != nil {
		return nil, err
	}
	return e.store.describeStateMachine(ctx, arn)
}

// ListStateMachines returns every state machine (without definitions),
// ordered by name.
func (e *Engine) ListStateMachines(ctx context.Context) ([]StateMachine, error) {
	return e.store.listStateMachines(ctx, "", -1)
}

// StartExecution starts an execution (name "" means a generated UUID) and
// returns its ARN and start date. Starting again with the same name and
// input while it runs returns the same execution; otherwise the name is
// taken (ExecutionAlreadyExists).
func (e *Engine) StartExecution(ctx context.Context, smARN, name, input string) (string, time.Time, error) {
	if err := checkMaxLen(name, "name", maxNameLen); err != nil {
		return "", time.Time{}, err
	}
	if err := e.checkARN(smARN, "stateMachine"); err != nil {
		return "", time.Time{}, err
	}
	if name == "" {
		name = ids.UUID()
	} else if err := checkName(name); err != nil {
		return "", time.Time{}, err
	}
	if input == "" {
		input = "{}"
	}
	if len(input) > asl.MaxPayload {
		return "", time.Time{}, apiErr(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: 'input exceeds the maximum size of %d bytes'", asl.MaxPayload)
	}
	in, err := expr.Decode([]byte(input))
	if err != nil {
		return "", time.Time{}, apiErr(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	smName := nameFromARN(smARN)
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", e.region, e.account, smName, name)
	now := e.clock.Now()
	r := &run{e: e, arn: arn, name: name, smARN: smARN, start: now, input: input}
	// The first states are stepped before the insert, which then holds
	// their checkpoint too (see firstSteps); pre is nil when they cannot be.
	pre := e.firstSteps(ctx, r, in)
	// ExecutionStarted's details, encoded before the transaction (which
	// runs on the Writer's goroutine, shared by every write) with the role
	// the steps ran with; in it when they did not run with the machine's.
	startedDetails := func(roleARN string) string {
		d := asl.DataDetails("input", asl.EncodeJSON(in))
		d["roleArn"] = roleARN
		b, _ := json.Marshal(d)
		return string(b)
	}
	var started string
	if pre != nil {
		started = startedDetails(pre.roleARN)
	}
	var first *firstCheckpoint
	// A StopExecution that commits after the insert may find no run to
	// cancel: the run in memory is then dropped (enqueueStarted).
	stops := e.parked.stops.Load()
	existing, startDate, err := e.store.startExecution(ctx, newExecution{arn: arn, smARN: smARN, name: name, input: input, start: now},
		func(hash, roleARN string) (int64, int64, string, *firstCheckpoint, error) {
			// Runs inside the insert's transaction, before the insert
			// finds whether the name is free (an id is then skipped).
			e.noteMachine(smARN, hash, roleARN)
			if pre != nil && pre.hash == hash && pre.roleARN == roleARN {
				first = pre
			} else {
				// Stepped with a definition or role the machine no
				// longer has: start afresh.
				r = &run{e: e, arn: arn, name: name, smARN: smARN, start: now, input: input}
				m, err := e.machine(ctx, hash)
				if err != nil {
					return 0, 0, "", nil, err
				}
				r.useMachine(m, hash, roleARN)
			}
			r.id = e.nextID.Add(1)
			if first == nil {
				started = startedDetails(roleARN)
			}
			return r.id, r.deadline.UnixNano(), started, first, nil
		})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("start execution %s: %w", name, err)
	}
	if !existing {
		switch {
		case first == nil:
			r.begin(in, 2) // event 1 is ExecutionStarted
			e.enqueueStarted(r.id, r, stops)
		case first.waiting:
			// Checkpointed where it waits, as drive would have.
			if first.wake != 0 {
				e.notifyWake(r.id, first.wake)
			}
		default:
			r.next = first.cur
			e.enqueueStarted(r.id, r, stops)
		}
		e.log.InfoContext(ctx, "execution started", "executionArn", arn)
	}
	return arn, startDate, nil
}

// DescribeExecution returns the execution with arn.
func (e *Engine) DescribeExecution(ctx context.Context, arn string) (*Execution, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return nil, err
	}
	return e.store.describeExecution(ctx, arn)
}

// ListExecutions lists a state machine's executions, newest first.
func (e *Engine) ListExecutions(ctx context.Context, in ListExecutionsInput) ([]ExecutionSummary, string, error) {
	// The model's constraints are checked before the ARN, as AWS does.
	if err := checkStatusFilter(in.StatusFilter); err != nil {
		return nil, "", err
	}
	if err := checkRedriveFilter(in.RedriveFilter); err != nil {
		return nil, "", err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, "", err
	}
	if err := checkPageToken(in.NextToken, maxExecutionsPageToken); err != nil {
		return nil, "", err
	}
	if err := e.checkARN(in.StateMachineARN, "stateMachine"); err != nil {
		return nil, "", err
	}
	if err := e.store.requireStateMachine(ctx, in.StateMachineARN); err != nil {
		return nil, "", err
	}
	list := executionsList(in.StateMachineARN)
	before, err := pageID(in.NextToken, list, 1<<62)
	if err != nil {
		return nil, "", err
	}
	out, ids, err := e.store.listExecutions(ctx, in.StateMachineARN, in.StatusFilter, in.RedriveFilter, before, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = idToken(list, ids[limit-1])
	}
	return out, next, nil
}

// GetExecutionHistory returns a page of an execution's history events.
func (e *Engine) GetExecutionHistory(ctx context.Context, in HistoryInput) ([]HistoryEvent, string, error) {
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, "", err
	}
	if err := checkPageToken(in.NextToken, maxPageToken); err != nil {
		return nil, "", err
	}
	if err := e.checkARN(in.ExecutionARN, "execution"); err != nil {
		return nil, "", err
	}
	id, err := e.store.executionID(ctx, in.ExecutionARN)
	if err != nil {
		return nil, "", err
	}
	from := int64(0)
	if in.ReverseOrder {
		from = 1 << 62
	}
	list := historyList(in.ExecutionARN)
	if from, err = pageID(in.NextToken, list, from); err != nil {
		return nil, "", err
	}
	events, err := e.store.readHistory(ctx, id, from, limit+1, in.ReverseOrder)
	if err != nil {
		return nil, "", fmt.Errorf("get execution history: %w", err)
	}
	out := make([]HistoryEvent, 0, len(events))
	for i := range events {
		ev, err := historyEvent(&events[i])
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
		next = idToken(list, out[limit-1].ID)
	}
	return out, next, nil
}

// StopExecution aborts a running execution and returns its stop date.
func (e *Engine) StopExecution(ctx context.Context, arn, errName, cause string) (time.Time, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return time.Time{}, err
	}
	if err := checkErrorAndCause(errName, cause); err != nil {
		return time.Time{}, err
	}
	// Counted before the write too: a row kept before it, taken while the
	// stop writes, is read again (it would still say RUNNING).
	e.parked.stopping()
	id, stopDate, err := e.store.stopExecution(ctx, arn, errName, cause, e.clock.Now())
	e.parked.stopping()
	if err != nil {
		return time.Time{}, fmt.Errorf("stop execution: %w", err)
	}
	e.cancelRun(id)
	e.closeWait.closed(arn, nil)
	return stopDate, nil
}

// Stats counts executions by status and the task tokens still awaited.
type Stats struct {
	Executions   map[Status]int
	PendingTasks int
}

// Stats reports counts for the local stack's console and tests.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	return e.store.stats(ctx)
}

// OpenTaskTokens returns the task tokens that can still be answered now:
// their task waits, its execution runs, and neither its TimeoutSeconds nor
// its HeartbeatSeconds has passed. A token not among them would get
// TaskTimedOut or TaskDoesNotExist from SendTaskSuccess.
func (e *Engine) OpenTaskTokens(ctx context.Context) (map[string]bool, error) {
	return e.store.openTaskTokens(ctx)
}
