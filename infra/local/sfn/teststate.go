package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/ids"
)

// testStateLimit is how long TestState may run: "The TestState API can run
// for up to five minutes. If the execution of a state exceeds this duration,
// it fails with the States.Timeout error." (API_TestState). Tests shorten it.
var testStateLimit = 5 * time.Minute

// testStateName is the name a single-state definition's state takes, as
// AWS names it in its validation errors ("/States/StateName/...").
const testStateName = "StateName"

// TestStateInput is a TestState request (API_TestState).
type TestStateInput struct {
	Definition      string
	RoleARN         string
	Input           string
	InspectionLevel string // INFO (default), DEBUG, TRACE
	RevealSecrets   bool
	Variables       string
	StateName       string
	Context         string
	Mock            *TestStateMock
	Config          *TestStateConfig
}

// TestStateMock is a TestState request's mock (MockInput).
type TestStateMock struct {
	Result              *string
	ErrorOutput         *TestStateMockError
	FieldValidationMode string
}

// TestStateMockError is a mocked error (MockErrorOutput).
type TestStateMockError struct{ Error, Cause string }

// TestStateConfig is a TestState request's stateConfiguration.
type TestStateConfig struct {
	RetrierRetryCount        *int
	ErrorCausedByState       string
	MapIterationFailureCount *int
	MapItemReaderData        *string
}

// TestStateOutput is TestState's answer (TestStateOutput). Inspection holds
// the inspectionData fields (DEBUG and TRACE only): JSON strings, numbers,
// and errorDetails as a map.
type TestStateOutput struct {
	Output     *string
	Error      *string
	Cause      *string
	Inspection map[string]any
	NextState  string
	Status     string
}

// TestState statuses (TestExecutionStatus).
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// TestState runs one state through the interpreter, as API_TestState does:
// the state's input and output processing, its task (invoked through the
// engine's integrations, or mocked), its Retry and Catch (a retry is not
// made: the state is RETRIABLE), and the state it would go to next.
func (e *Engine) TestState(ctx context.Context, in TestStateInput) (*TestStateOutput, error) {
	req, err := e.prepareTest(in)
	if err != nil {
		return nil, err
	}
	host := &testHost{e: e, mock: req.mock}
	x := asl.NewExecution(host, req.m, req.info, 2)
	cur, err := x.TestCursor(req.state, req.input, req.vars, req.retried)
	if err != nil {
		return nil, fmt.Errorf("test state: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, testStateLimit)
	defer cancel()
	out := &TestStateOutput{}
	for out.Status == "" {
		o := x.Step(ctx, cur)
		switch o.Kind {
		case asl.StepInvoke:
			if ctx.Err() != nil {
				out.fail(&asl.StateError{Name: asl.ErrTimeout})
			}
		case asl.StepNext:
			out.Status = TestSucceeded
			if _, caught := host.stage(asl.StageCatchIndex); caught {
				out.Status = TestCaughtError
				out.handled(host)
			}
			out.NextState = cur.State
			out.setOutput(cur.Input)
		case asl.StepEnd:
			if o.Err != nil && ctx.Err() != nil {
				// A task still running at the limit.
				out.fail(&asl.StateError{Name: asl.ErrTimeout, Cause: "TestState ran for more than five minutes."})
				break
			}
			if o.Err != nil {
				out.fail(o.Err)
				break
			}
			out.Status = TestSucceeded
			out.setOutput(o.Output)
		case asl.StepSuspend:
			switch {
			case cur.Retrying():
				out.Status = TestRetriable
				out.handled(host)
			case cur.AwaitedToken() != "":
				// Only a mocked waitForTaskToken or activity task gets
				// here: its mock is the answer to its token.
				cur.Resume(0, req.mock.outcome())
			default:
				if !e.sleepUntil(ctx, o.WakeAt) {
					out.fail(&asl.StateError{Name: asl.ErrTimeout, Cause: "TestState ran for more than five minutes."})
				}
			}
		}
	}
	if req.level != "INFO" {
		out.Inspection = inspection(req, host, cur, out)
	}
	return out, nil
}

// sleepUntil waits on the engine's clock until t; false when ctx ended first.
func (e *Engine) sleepUntil(ctx context.Context, t time.Time) bool {
	d := t.Sub(e.clock.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := e.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return true
	case <-ctx.Done():
		return false
	}
}

func (o *TestStateOutput) fail(se *asl.StateError) {
	o.Status = TestFailed
	o.setError(se)
}

func (o *TestStateOutput) setError(se *asl.StateError) {
	name, cause := se.Name, se.Cause
	o.Error = &name
	if cause != "" {
		o.Cause = &cause
	}
}

// handled reports the error that Retry or Catch handled.
func (o *TestStateOutput) handled(h *testHost) {
	if v, ok := h.stage(asl.StageError); ok {
		if se, ok := v.(*asl.StateError); ok {
			o.setError(se)
		}
	}
}

func (o *TestStateOutput) setOutput(v any) {
	s := asl.EncodeJSON(v)
	o.Output = &s
}

// outcome is the mock as the answer to a waitForTaskToken task's token.
func (m *testMock) outcome() *asl.TaskOutcome {
	if m.err != nil {
		return &asl.TaskOutcome{Error: m.err.Name, Cause: m.err.Cause}
	}
	return &asl.TaskOutcome{Success: true, Output: m.result}
}

// inspection builds inspectionData from what the host saw: the stages AWS
// reports for the state's type and query language.
func inspection(req *testRequest, h *testHost, cur *asl.Cursor, out *TestStateOutput) map[string]any {
	data := map[string]any{"input": asl.EncodeJSON(req.input)}
	typ := req.m.StateType(req.state)
	keep := map[string]bool{}
	switch {
	case req.m.JSONata(req.state):
		// No JSONPath stages; a Task's result, a Map's limits.
		keep = map[string]bool{asl.StageAfterArguments: true}
		switch typ {
		case "Task":
			keep[asl.StageResult] = true
		case "Map":
			keep[asl.StageMaxConcurrency], keep[asl.StageToleratedFailureCount], keep[asl.StageToleratedFailurePercentage] = true, true, true
		}
	case typ == "Choice" || typ == "Wait" || typ == "Succeed":
		keep = map[string]bool{asl.StageAfterInputPath: true}
	case typ == "Fail":
		data[asl.StageAfterInputPath] = data["input"]
	case typ == "Pass":
		keep = map[string]bool{asl.StageAfterResultSelector: true, asl.StageAfterResultPath: true, asl.StageResult: true}
		if _, ok := h.stage(asl.StageResult); !ok {
			// A Pass state with a Result field reports neither of these.
			keep[asl.StageAfterInputPath], keep[asl.StageAfterParameters] = true, true
		}
	case typ == "Parallel":
		keep = map[string]bool{asl.StageAfterResultSelector: true, asl.StageAfterResultPath: true}
	case typ == "Map":
		keep = map[string]bool{asl.StageAfterInputPath: true, asl.StageAfterItemsPath: true, asl.StageMaxConcurrency: true,
			asl.StageToleratedFailureCount: true, asl.StageToleratedFailurePercentage: true,
			asl.StageAfterResultSelector: true, asl.StageAfterResultPath: true}
	default: // Task
		keep = map[string]bool{asl.StageAfterInputPath: true, asl.StageAfterParameters: true, asl.StageResult: true,
			asl.StageAfterResultSelector: true, asl.StageAfterResultPath: true}
	}
	h.mu.Lock()
	for stage, v := range h.stages {
		if !keep[stage] {
			continue
		}
		switch stage {
		case asl.StageMaxConcurrency, asl.StageToleratedFailureCount, asl.StageToleratedFailurePercentage:
			data[stage] = v
		default:
			data[stage] = asl.EncodeJSON(v)
		}
	}
	details := map[string]any{}
	if v, ok := h.stages[asl.StageRetryIndex]; ok {
		details["retryIndex"] = v
	}
	if v, ok := h.stages[asl.StageRetryBackoff]; ok && out.Status == TestRetriable {
		details["retryBackoffIntervalSeconds"] = v
	}
	if v, ok := h.stages[asl.StageCatchIndex]; ok && out.Status == TestCaughtError {
		details["catchIndex"] = v
	}
	h.mu.Unlock()
	if len(details) > 0 {
		data["errorDetails"] = details
	}
	if len(cur.Vars) > 0 {
		data["variables"] = asl.EncodeJSON(cur.Vars)
	}
	return data
}

// testRequest is a validated TestState request.
type testRequest struct {
	m       *asl.Machine
	state   string
	input   any
	vars    map[string]any
	retried int
	level   string
	mock    *testMock
	info    asl.ExecutionInfo
}

// prepareTest validates a TestState request, with AWS's error codes and
// wording, and decodes it.
func (e *Engine) prepareTest(in TestStateInput) (*testRequest, error) {
	if in.Definition == "" {
		return nil, apiErr(CodeValidationException, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	req := &testRequest{level: in.InspectionLevel}
	switch in.InspectionLevel {
	case "":
		req.level = "INFO"
	case "INFO", "DEBUG", "TRACE":
	default:
		return nil, apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]", in.InspectionLevel)
	}
	if in.Mock != nil {
		switch in.Mock.FieldValidationMode {
		case "", "STRICT", "PRESENT", "NONE":
		default:
			return nil, apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]", in.Mock.FieldValidationMode)
		}
	}
	if in.RoleARN != "" {
		if err := checkRoleARN(in.RoleARN); err != nil {
			return nil, err
		}
	}
	m, state, err := testMachine(in.Definition, in.StateName)
	if err != nil {
		return nil, err
	}
	req.m, req.state = m, state
	if err := e.checkTestState(in, req); err != nil {
		return nil, err
	}
	if req.input, err = decodeTestInput(in.Input); err != nil {
		return nil, err
	}
	if in.Variables != "" {
		v, err := expr.Decode([]byte(in.Variables))
		obj, isObj := v.(map[string]any)
		if err != nil || !isObj {
			return nil, apiErr(CodeValidationException, "Invalid variables: the variables must be a JSON object")
		}
		req.vars = obj
	}
	if in.Config != nil && in.Config.RetrierRetryCount != nil {
		req.retried = *in.Config.RetrierRetryCount
	}
	req.info = e.testInfo(in, req.input)
	return req, nil
}

// checkTestState applies TestState's rules on the state's type, the role
// and the mock (API_TestState, TestStateInput and MockInput in the API
// reference).
func (e *Engine) checkTestState(in TestStateInput, req *testRequest) error {
	typ := req.m.StateType(req.state)
	mock := in.Mock
	if mock == nil {
		switch {
		case typ == "Map" || typ == "Parallel":
			return apiErr(CodeInvalidDefinition, "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")
		case typ == "Task" && req.m.ActivityTask(req.state):
			// API_TestState: "TestState only supports the following when a
			// mock is specified: Activity tasks, .sync or .waitForTaskToken
			// service integration patterns, Parallel, or Map states."
			return apiErr(CodeValidationException, "TestState only supports Activity tasks when a mock is specified")
		case typ == "Task" && req.m.TaskPattern(req.state) != "":
			return apiErr(CodeValidationException, "TestState only supports the .%s service integration pattern when a mock is specified", req.m.TaskPattern(req.state))
		case typ == "Task" && in.RoleARN == "":
			return apiErr(CodeValidationException, "RoleArn must be specified when testing a Task state")
		case in.Context != "":
			return apiErr(CodeValidationException, "TestState does not support Context when a mock is not specified.")
		case in.Config != nil && in.Config.MapIterationFailureCount != nil:
			return apiErr(CodeValidationException, "TestState does not support MapIterationFailureCount when a mock is not specified.")
		}
		return nil
	}
	if typ != "Task" && typ != "Map" && typ != "Parallel" {
		return apiErr(CodeValidationException, "State type '%s' is not supported when a mock is specified", typ)
	}
	if in.RevealSecrets {
		return apiErr(CodeValidationException, "TestState does not support RevealSecrets when a mock is specified.")
	}
	if mock.Result != nil && mock.ErrorOutput != nil {
		return apiErr(CodeValidationException, "A test mock should have only one of the following fields: [result, errorOutput].")
	}
	req.mock = &testMock{}
	if in.Context != "" {
		p := req.m.TaskPattern(req.state)
		ctxObj, err := parseTestContext(in.Context, typ == "Task" && (p == "sync" || p == "waitForTaskToken"))
		if err != nil {
			return err
		}
		req.mock.context = ctxObj
	}
	if mock.ErrorOutput != nil {
		req.mock.err = &asl.StateError{Name: mock.ErrorOutput.Error, Cause: mock.ErrorOutput.Cause}
	}
	if mock.Result != nil {
		v, err := expr.Decode([]byte(*mock.Result))
		if err != nil {
			return apiErr(CodeValidationException, "Mocked result must be valid JSON")
		}
		req.mock.result = v
		items, isArray := v.([]any)
		switch {
		case (typ == "Map" || typ == "Parallel") && !isArray:
			return apiErr(CodeValidationException, "Mocked result must be an array.")
		case typ == "Parallel" && len(items) != req.m.Branches(req.state):
			return apiErr(CodeValidationException, "Mocked result must contain the same number of items as number of Parallel branches.")
		}
		if typ == "Task" {
			if err := checkMockResult(req.m.TaskIntegration(req.state), mock.FieldValidationMode, v); err != nil {
				return err
			}
		}
		if c := in.Config; c != nil && c.MapIterationFailureCount != nil && *c.MapIterationFailureCount > len(items) {
			return apiErr(CodeValidationException, "Map iteration failure count must be less than or equal to the number of Map iterations")
		}
	}
	if c := in.Config; c != nil && c.MapIterationFailureCount != nil {
		req.mock.failures = *c.MapIterationFailureCount
	}
	return nil
}

// testMachine parses the definition under test: a whole state machine
// holding stateName, or (without stateName) one state, which runs in a
// machine where every state it may go to is a placeholder.
func testMachine(definition, stateName string) (*asl.Machine, string, error) {
	if stateName != "" {
		m, err := asl.Parse([]byte(definition))
		if err != nil {
			return nil, "", err
		}
		if m.StateType(stateName) == "" {
			return nil, "", apiErr(CodeValidationException, "State not found in definition")
		}
		return m, stateName, nil
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(definition), &st); err != nil {
		return nil, "", apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %s'", jsonProblem(err))
	}
	states := map[string]any{testStateName: st}
	for _, next := range transitions(st) {
		if _, ok := states[next]; !ok {
			states[next] = map[string]any{"Type": "Succeed"}
		}
	}
	wrapped, err := json.Marshal(map[string]any{"StartAt": testStateName, "States": states})
	if err != nil {
		return nil, "", fmt.Errorf("test state: %w", err)
	}
	m, err := asl.Parse(wrapped)
	if err != nil {
		return nil, "", singleStateError(string(wrapped), err)
	}
	return m, testStateName, nil
}

// singleStateError reports the problems of a single state's definition,
// without those of the machine it was wrapped in (no terminal state, a
// StartAt), as InvalidDefinition.
func singleStateError(wrapped string, err error) error {
	var parts []string
	for _, d := range ValidateDefinition(wrapped) {
		if d.Code == "MISSING_TERMINAL_STATE" || d.Location == "/StartAt" {
			continue
		}
		parts = append(parts, d.Code+": "+d.Message+" at "+d.Location)
	}
	if len(parts) == 0 {
		return err
	}
	return apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: '%s'", strings.Join(parts, ", "))
}

// transitions lists the states a state may go to: Next, Default, its
// Choices' and Catchers' Next.
func transitions(st map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(st["Next"])
	add(st["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := st[key].([]any)
		for _, item := range list {
			if obj, ok := item.(map[string]any); ok {
				add(obj["Next"])
			}
		}
	}
	return out
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at offset %d", se.Error(), se.Offset)
	}
	return err.Error()
}

func decodeTestInput(input string) (any, error) {
	if input == "" {
		input = "{}"
	}
	if len(input) > asl.MaxPayload {
		return nil, apiErr(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: 'input exceeds the maximum size of %d bytes'", asl.MaxPayload)
	}
	v, err := expr.Decode([]byte(input))
	if err != nil {
		return nil, apiErr(CodeInvalidExecutionInput, "Invalid State Machine Execution Input: '%v'", err)
	}
	return v, nil
}

// testInfo is the execution a TestState run belongs to, which its context
// object tells of unless the request gives one: an express execution of a
// state machine that exists only for the test.
func (e *Engine) testInfo(in TestStateInput, input any) asl.ExecutionInfo {
	id := ids.UUID()
	smName := "TestStateMachine-" + id
	return asl.ExecutionInfo{
		ARN:              fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:%s", e.region, e.account, smName, id, ids.UUID()),
		Name:             id,
		StateMachineARN:  fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, smName),
		StateMachineName: smName,
		RoleARN:          in.RoleARN,
		Region:           e.region,
		Input:            input,
		Start:            e.clock.Now(),
	}
}

// checkRoleARN refuses a roleArn that is no ARN, as the other operations
// refuse a malformed ARN.
func checkRoleARN(arn string) error {
	if !strings.HasPrefix(arn, "arn:") {
		return apiErr(CodeInvalidARN, "Invalid Arn: 'Invalid ARN prefix: %s'", arn)
	}
	return nil
}
