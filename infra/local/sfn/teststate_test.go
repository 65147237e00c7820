package sfn

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

func testState(t *testing.T, e *Engine, in TestStateInput) *TestStateOutput {
	t.Helper()
	out, err := e.TestState(context.Background(), in)
	if err != nil {
		t.Fatalf("TestState: %v", err)
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// jsonEqual compares two JSON texts as values.
func jsonEqual(t *testing.T, field, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", field, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", field, got, want)
	}
}

func TestTestStatePassDataFlow(t *testing.T) {
	e := newTestEngine(t, Options{})
	out := testState(t, e, TestStateInput{
		Definition:      `{"Type":"Pass","InputPath":"$.initialData","Parameters":{"staticValue":"some value","inputValue.$":"$.fieldFromInput"},"ResultPath":"$.modifiedData","Next":"Following"}`,
		Input:           `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234}}`,
		InspectionLevel: "DEBUG",
	})
	if out.Status != TestSucceeded || out.NextState != "Following" {
		t.Fatalf("status %s next %q, want SUCCEEDED Following", out.Status, out.NextState)
	}
	want := `{"initialData":{"fieldFromInput":"value from input","otherField":"other"},"unrelatedData":{"someOtherField":1234},"modifiedData":{"staticValue":"some value","inputValue":"value from input"}}`
	jsonEqual(t, "output", str(out.Output), want)
	id := out.Inspection
	jsonEqual(t, "afterInputPath", id["afterInputPath"].(string), `{"fieldFromInput":"value from input","otherField":"other"}`)
	jsonEqual(t, "afterParameters", id["afterParameters"].(string), `{"staticValue":"some value","inputValue":"value from input"}`)
	jsonEqual(t, "afterResultSelector", id["afterResultSelector"].(string), `{"staticValue":"some value","inputValue":"value from input"}`)
	jsonEqual(t, "afterResultPath", id["afterResultPath"].(string), want)
	if _, ok := id["result"]; ok {
		t.Errorf("a Pass without Result reports result: %v", id)
	}
	info := testState(t, e, TestStateInput{Definition: `{"Type":"Pass","End":true}`, Input: `{"a":1}`})
	if info.Inspection != nil || info.Status != TestSucceeded || info.NextState != "" {
		t.Errorf("INFO: %+v, want no inspectionData, SUCCEEDED, no next state", info)
	}
}

func TestTestStatePassResult(t *testing.T) {
	e := newTestEngine(t, Options{})
	out := testState(t, e, TestStateInput{Definition: `{"Type":"Pass","Result":{"resultKey":"result value"},"End":true}`, InspectionLevel: "TRACE"})
	jsonEqual(t, "output", str(out.Output), `{"resultKey":"result value"}`)
	keys := map[string]bool{}
	for k := range out.Inspection {
		keys[k] = true
	}
	want := map[string]bool{"input": true, "result": true, "afterResultSelector": true, "afterResultPath": true}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("inspectionData fields %v, want %v", keys, want)
	}
}

func TestTestStateChoiceAndFail(t *testing.T) {
	e := newTestEngine(t, Options{})
	choice := `{"Type":"Choice","Choices":[{"Variable":"$.value","NumericGreaterThanEquals":20,"Next":"ValueInTwenties"}],"Default":"Other"}`
	out := testState(t, e, TestStateInput{Definition: choice, Input: `{"value":22}`})
	if out.Status != TestSucceeded || out.NextState != "ValueInTwenties" {
		t.Errorf("choice: %s %q", out.Status, out.NextState)
	}
	out = testState(t, e, TestStateInput{Definition: choice, Input: `{"value":2}`})
	if out.NextState != "Other" {
		t.Errorf("choice default: next %q", out.NextState)
	}
	fail := testState(t, e, TestStateInput{Definition: `{"Type":"Fail","Error":"SomeFailure","Cause":"because"}`, InspectionLevel: "DEBUG"})
	if fail.Status != TestFailed || str(fail.Error) != "SomeFailure" || str(fail.Cause) != "because" || fail.Output != nil {
		t.Errorf("fail: %+v", fail)
	}
}

func TestTestStateTaskInvokesIntegration(t *testing.T) {
	inv := &fakeInvoker{answer: func(call asl.TaskCall, _ int) (any, error) {
		return map[string]any{"Payload": call.Parameters}, nil
	}}
	e := newTestEngine(t, Options{Invoker: inv})
	def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.r","End":true}`
	if _, err := e.TestState(context.Background(), TestStateInput{Definition: def}); ErrorCode(err) != CodeValidationException || err.Error() != "ValidationException: RoleArn must be specified when testing a Task state" {
		t.Fatalf("no role: %v", err)
	}
	out := testState(t, e, TestStateInput{Definition: def, RoleARN: testRole, Input: `{"x":1}`, InspectionLevel: "DEBUG"})
	if out.Status != TestSucceeded {
		t.Fatalf("status %s: %s %s", out.Status, str(out.Error), str(out.Cause))
	}
	jsonEqual(t, "output", str(out.Output), `{"x":1,"r":{"p":{"FunctionName":"f","Payload":{"x":1}}}}`)
	jsonEqual(t, "result", out.Inspection["result"].(string), `{"Payload":{"FunctionName":"f","Payload":{"x":1}}}`)
	if len(inv.calls) != 1 || inv.calls[0].Service != "lambda" {
		t.Errorf("calls %+v, want one lambda call", inv.calls)
	}
}

func TestTestStateRetriableAndCaught(t *testing.T) {
	e := newTestEngine(t, Options{})
	def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
		"Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["MockException"],"IntervalSeconds":2,"BackoffRate":2,"MaxAttempts":3}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle","ResultPath":"$.err"}],"End":true}`
	mock := &TestStateMock{ErrorOutput: &TestStateMockError{Error: "MockException", Cause: "mocked"}}
	retried := 2
	out := testState(t, e, TestStateInput{Definition: def, Mock: mock, InspectionLevel: "DEBUG", Config: &TestStateConfig{RetrierRetryCount: &retried}})
	if out.Status != TestRetriable || str(out.Error) != "MockException" || str(out.Cause) != "mocked" || out.NextState != "" {
		t.Fatalf("retriable: %+v", out)
	}
	if d := out.Inspection["errorDetails"].(map[string]any); d["retryIndex"] != 1 || d["retryBackoffIntervalSeconds"] != int64(8) {
		t.Errorf("errorDetails %v, want retryIndex 1, backoff 2*2^2 = 8", d)
	}
	retried = 3
	out = testState(t, e, TestStateInput{Definition: def, Mock: mock, Input: `{"a":1}`, InspectionLevel: "DEBUG", Config: &TestStateConfig{RetrierRetryCount: &retried}})
	if out.Status != TestCaughtError || out.NextState != "Handle" || str(out.Error) != "MockException" {
		t.Fatalf("caught: %+v", out)
	}
	jsonEqual(t, "output", str(out.Output), `{"a":1,"err":{"Error":"MockException","Cause":"mocked"}}`)
	if d := out.Inspection["errorDetails"].(map[string]any); d["catchIndex"] != 0 || d["retryIndex"] != 1 {
		t.Errorf("errorDetails %v, want catchIndex 0 and the spent retrier 1", d)
	}
}

func TestTestStateMockedWaitForTaskToken(t *testing.T) {
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	def := `{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"Next":"After"}`
	if _, err := e.TestState(context.Background(), TestStateInput{Definition: def, RoleARN: testRole}); ErrorCode(err) != CodeValidationException {
		t.Fatalf("waitForTaskToken without a mock: %v, want ValidationException", err)
	}
	result := `{"valuation":100}`
	out := testState(t, e, TestStateInput{Definition: def, Mock: &TestStateMock{Result: &result}})
	if out.Status != TestSucceeded || out.NextState != "After" {
		t.Fatalf("%+v", out)
	}
	jsonEqual(t, "output", str(out.Output), result)
	if len(inv.calls) != 0 {
		t.Errorf("a mocked task called its service: %+v", inv.calls)
	}
}

func TestTestStateJSONataVariables(t *testing.T) {
	e := newTestEngine(t, Options{})
	out := testState(t, e, TestStateInput{
		Definition:      `{"Type":"Pass","QueryLanguage":"JSONata","Assign":{"doubled":"{% $states.input.n * 2 %}"},"Output":"{% $states.input.n + $base %}","End":true}`,
		Input:           `{"n":3}`,
		Variables:       `{"base":10}`,
		InspectionLevel: "DEBUG",
	})
	if out.Status != TestSucceeded {
		t.Fatalf("%+v %s", out, str(out.Cause))
	}
	jsonEqual(t, "output", str(out.Output), `13`)
	jsonEqual(t, "variables", out.Inspection["variables"].(string), `{"base":10,"doubled":6}`)
	if _, ok := out.Inspection["afterInputPath"]; ok {
		t.Errorf("JSONata state reports afterInputPath: %v", out.Inspection)
	}
}

func TestTestStateMockedMapAndParallel(t *testing.T) {
	e := newTestEngine(t, Options{})
	par := `{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"ResultPath":"$.r","End":true}`
	if _, err := e.TestState(context.Background(), TestStateInput{Definition: par}); ErrorCode(err) != CodeInvalidDefinition {
		t.Fatalf("Parallel without a mock: %v", err)
	}
	one := `[1]`
	if _, err := e.TestState(context.Background(), TestStateInput{Definition: par, Mock: &TestStateMock{Result: &one}}); ErrorCode(err) != CodeValidationException {
		t.Fatalf("one result for two branches: %v", err)
	}
	two := `[{"b":1},{"b":2}]`
	out := testState(t, e, TestStateInput{Definition: par, Input: `{"in":true}`, Mock: &TestStateMock{Result: &two}})
	jsonEqual(t, "parallel output", str(out.Output), `{"in":true,"r":[{"b":1},{"b":2}]}`)

	mp := `{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
		"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"TooMany"}],"End":true}`
	res := `[1,2,3]`
	fails := 2
	out = testState(t, e, TestStateInput{Definition: mp, Input: `{"items":[1,2,3]}`, Mock: &TestStateMock{Result: &res}, InspectionLevel: "DEBUG", Config: &TestStateConfig{MapIterationFailureCount: &fails}})
	if out.Status != TestCaughtError || out.NextState != "TooMany" || str(out.Error) != asl.ErrExceedToleratedFailure {
		t.Fatalf("map beyond its tolerance: %+v", out)
	}
	if out.Inspection["toleratedFailureCount"] != 1 || out.Inspection["maxConcurrency"] != 0 {
		t.Errorf("map inspection %v", out.Inspection)
	}
	fails = 1
	out = testState(t, e, TestStateInput{Definition: mp, Input: `{"items":[1,2,3]}`, Mock: &TestStateMock{Result: &res}, Config: &TestStateConfig{MapIterationFailureCount: &fails}})
	if out.Status != TestSucceeded {
		t.Fatalf("map within its tolerance: %+v", out)
	}
	jsonEqual(t, "map output", str(out.Output), res)
}

func TestTestStateWait(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.SetAutoAdvance(true)
	e := newTestEngine(t, Options{Clock: clock})
	start := clock.Now()
	out := testState(t, e, TestStateInput{Definition: `{"Type":"Wait","Seconds":30,"Next":"N"}`, Input: `{"a":1}`})
	if out.Status != TestSucceeded || out.NextState != "N" {
		t.Fatalf("%+v", out)
	}
	if got := clock.Now().Sub(start); got < 30*time.Second {
		t.Errorf("the Wait state waited %v, want 30s", got)
	}
}

func TestTestStateValidation(t *testing.T) {
	e := newTestEngine(t, Options{})
	res := `{}`
	bad := `{not json`
	for _, c := range []struct {
		name string
		in   TestStateInput
		code string
		msg  string
	}{
		{"no definition", TestStateInput{}, CodeValidationException, "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"},
		{"bad level", TestStateInput{Definition: `{"Type":"Pass","End":true}`, InspectionLevel: "ALL"}, CodeValidationException,
			"1 validation error detected: Value 'ALL' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"},
		{"bad type", TestStateInput{Definition: `{"Type":"Nope","End":true}`}, CodeInvalidDefinition, ""},
		{"mock on Pass", TestStateInput{Definition: `{"Type":"Pass","End":true}`, Mock: &TestStateMock{Result: &res}}, CodeValidationException, "State type 'Pass' is not supported when a mock is specified"},
		{"both mocks", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`, Mock: &TestStateMock{Result: &res, ErrorOutput: &TestStateMockError{Error: "E"}}}, CodeValidationException,
			"A test mock should have only one of the following fields: [result, errorOutput]."},
		{"mock not JSON", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`, Mock: &TestStateMock{Result: &bad}}, CodeValidationException, "Mocked result must be valid JSON"},
		{"secrets with mock", TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`, RevealSecrets: true, Mock: &TestStateMock{Result: &res}}, CodeValidationException,
			"TestState does not support RevealSecrets when a mock is specified."},
		{"missing state", TestStateInput{Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, StateName: "B"}, CodeValidationException, "State not found in definition"},
		{"bad input", TestStateInput{Definition: `{"Type":"Pass","End":true}`, Input: `{`}, CodeInvalidExecutionInput, ""},
		{"bad role", TestStateInput{Definition: `{"Type":"Pass","End":true}`, RoleARN: "role"}, CodeInvalidARN, ""},
	} {
		_, err := e.TestState(context.Background(), c.in)
		if ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
			continue
		}
		if c.msg != "" && err.Error() != c.code+": "+c.msg {
			t.Errorf("%s: %q, want %q", c.name, err.Error(), c.msg)
		}
	}
}

func TestTestStateStateNameInMachine(t *testing.T) {
	e := newTestEngine(t, Options{})
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":"b","Next":"C"},"C":{"Type":"Succeed"}}}`
	out := testState(t, e, TestStateInput{Definition: def, StateName: "B"})
	if out.Status != TestSucceeded || out.NextState != "C" || str(out.Output) != `"b"` {
		t.Errorf("%+v", out)
	}
}

func TestTestStateMockResultIsCheckedAgainstTheAPIShape(t *testing.T) {
	e := newTestEngine(t, Options{})
	lambda := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}`
	events := `{"Type":"Task","Resource":"arn:aws:states:::events:putEvents","Parameters":{"Entries":[]},"End":true}`
	for _, c := range []struct {
		name, def, result, mode, want string
	}{
		{"lambda StatusCode as a string", lambda, `{"StatusCode":"200"}`, "", "Mock result schema validation error: Field 'StatusCode' must be a number"},
		{"events Entries not an array", events, `{"Entries":"x"}`, "STRICT", "Mock result schema validation error: Field 'Entries' must be an array"},
		{"events nested EventId", events, `{"Entries":[{"EventId":"ok"},{"EventId":["no"]}]}`, "PRESENT", "Mock result schema validation error: Field 'EventId' must be a string"},
		{"lambda result not an object", lambda, `[1]`, "", "Mocked result must be a JSON object."},
		{"fields outside the API pass", events, `{"random":"json"}`, "", ""},
		{"NONE checks nothing", lambda, `{"StatusCode":"200"}`, "NONE", ""},
	} {
		res := c.result
		_, err := e.TestState(context.Background(), TestStateInput{Definition: c.def, Mock: &TestStateMock{Result: &res, FieldValidationMode: c.mode}})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want success", c.name, err)
		case c.want != "" && (ErrorCode(err) != CodeValidationException || err.Error() != CodeValidationException+": "+c.want):
			t.Errorf("%s: %v, want ValidationException %q", c.name, err, c.want)
		}
	}
}

// A single state's definition errors are its own: none about the machine
// TestState runs it in.
func TestTestStateDefinitionErrorsAreTheState(t *testing.T) {
	e := newTestEngine(t, Options{})
	_, err := e.TestState(context.Background(), TestStateInput{Definition: `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke"}`, RoleARN: testRole})
	want := "InvalidDefinition: Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: A Task state must have 'Next' or 'End': true at /States/StateName'"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// A request's context is the whole context object of the state under test.
func TestTestStateGivenContextObject(t *testing.T) {
	e := newTestEngine(t, Options{})
	res := `{"ok":true}`
	def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","ctx.$":"$$"},"End":true}`
	for _, c := range []struct{ context, want string }{
		{`{"Execution":{"Name":"given","Input":{"a":1}},"State":{"RetryCount":0}}`, `{"Execution":{"Name":"given","Input":{"a":1}},"State":{"RetryCount":0}}`},
		{`{}`, `{}`},
	} {
		out := testState(t, e, TestStateInput{Definition: def, Context: c.context, Mock: &TestStateMock{Result: &res}, InspectionLevel: "DEBUG"})
		jsonEqual(t, "afterParameters", out.Inspection["afterParameters"].(string), `{"FunctionName":"f","ctx":`+c.want+`}`)
	}
	token := `{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","MessageBody":{"TaskToken.$":"$$.Task.Token"}},"End":true}`
	out := testState(t, e, TestStateInput{Definition: token, Context: `{"Task":{"Token":"abcd123"}}`, Mock: &TestStateMock{Result: &res}, InspectionLevel: "DEBUG"})
	jsonEqual(t, "afterParameters", out.Inspection["afterParameters"].(string), `{"QueueUrl":"q","MessageBody":{"TaskToken":"abcd123"}}`)

	for _, c := range []struct{ def, context, want string }{
		{def, `{"Execution":{"Id":1}}`, "Invalid Context object provided: Execution.Id must be a string"},
		{def, `{"Map":{}}`, "Invalid Context object provided: 'Map' field is not supported when mocking a Context object"},
		{def, `{"Execution":{"pokemon":"squirtle"}}`, "Invalid Context object provided: Field 'pokemon' is not allowed"},
		{def, `{"Pokedex":{}}`, "Invalid Context object provided: Field 'Pokedex' is not allowed"},
		{def, `{"Task":{"Token":"abcd123"}}`, "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"},
	} {
		_, err := e.TestState(context.Background(), TestStateInput{Definition: c.def, Context: c.context, Mock: &TestStateMock{Result: &res}})
		if err == nil || err.Error() != "ValidationException: "+c.want {
			t.Errorf("context %s: %v, want %q", c.context, err, c.want)
		}
	}
}

// A JSONata Map's inspectionData shows its limits, not its result (LocalStack
// test_map_state_failure_count[DEBUG-BASE_MAP_STATE_CATCH], recorded
// against AWS).
func TestTestStateJSONataMapInspection(t *testing.T) {
	e := newTestEngine(t, Options{})
	def := `{"Type":"Map","QueryLanguage":"JSONata","Items":"{% $states.input.Values %}","ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}`
	res := `[1,1,1]`
	out := testState(t, e, TestStateInput{Definition: def, Input: `{"Values":["a","b","c"]}`, InspectionLevel: "DEBUG", Mock: &TestStateMock{Result: &res}})
	want := map[string]any{"input": `{"Values":["a","b","c"]}`, "maxConcurrency": 0, "toleratedFailureCount": 1}
	if !reflect.DeepEqual(out.Inspection, want) {
		t.Errorf("inspectionData %v, want %v", out.Inspection, want)
	}
}

// A state still running at TestState's limit fails States.Timeout
// (API_TestState: "If the execution of a state exceeds this duration, it
// fails with the States.Timeout error").
func TestTestStateLimit(t *testing.T) {
	defer func(d time.Duration) { testStateLimit = d }(testStateLimit)
	testStateLimit = 50 * time.Millisecond
	inv := &fakeInvoker{answer: func(asl.TaskCall, int) (any, error) {
		time.Sleep(200 * time.Millisecond)
		return nil, context.Canceled
	}}
	e := newTestEngine(t, Options{Invoker: inv})
	for _, def := range []string{`{"Type":"Wait","Seconds":60,"End":true}`,
		`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"End":true}`} {
		out := testState(t, e, TestStateInput{Definition: def, RoleARN: testRole})
		if out.Status != TestFailed || str(out.Error) != asl.ErrTimeout {
			t.Errorf("%s: %s %s %s, want FAILED States.Timeout", def, out.Status, str(out.Error), str(out.Cause))
		}
	}
}

// API_TestState: "TestState only supports the following when a mock is
// specified: Activity tasks, ...". Unmocked, an activity task is refused;
// mocked, the mock answers its token as a worker would, success or failure.
func TestTestStateActivityTaskNeedsAMock(t *testing.T) {
	e := newTestEngine(t, Options{})
	act := newActivity(t, e, "valuer")
	def := `{"Type":"Task","Resource":"` + act + `","ResultPath":"$.valuation","End":true}`
	_, err := e.TestState(context.Background(), TestStateInput{Definition: def, RoleARN: testRole, Input: `{"loan":1}`})
	if ErrorCode(err) != CodeValidationException || !strings.Contains(err.Error(), "Activity tasks when a mock is specified") {
		t.Fatalf("unmocked activity task: %v", err)
	}
	result := `{"value":250000}`
	out := testState(t, e, TestStateInput{Definition: def, RoleARN: testRole, Input: `{"loan":1}`, Mock: &TestStateMock{Result: &result}})
	if out.Status != TestSucceeded || str(out.Output) != `{"loan":1,"valuation":{"value":250000}}` {
		t.Fatalf("mocked success: %s %s %s", out.Status, str(out.Output), str(out.Cause))
	}
	out = testState(t, e, TestStateInput{Definition: def, RoleARN: testRole, Input: `{"loan":1}`, Mock: &TestStateMock{ErrorOutput: &TestStateMockError{Error: "Valuer.Down", Cause: "no valuer"}}})
	if out.Status != TestFailed || str(out.Error) != "Valuer.Down" || str(out.Cause) != "no valuer" {
		t.Fatalf("mocked failure: %s %s %s", out.Status, str(out.Error), str(out.Cause))
	}
}
