package sfn

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/localtest"
	"loanflow/infra/local/sqlitedb"
)

// fakeInvoker records calls and answers from a per-state script.
type fakeInvoker struct {
	mu     sync.Mutex
	calls  []asl.TaskCall
	answer func(call asl.TaskCall, n int) (any, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, call asl.TaskCall) (any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	n := 0
	for _, c := range f.calls {
		if c.StateName == call.StateName {
			n++
		}
	}
	f.mu.Unlock()
	if f.answer == nil {
		return map[string]any{"ok": true}, nil
	}
	return f.answer(call, n)
}

func (f *fakeInvoker) tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.TaskToken)
	}
	return out
}

// tokenOf returns the token of the first call from state name.
func (f *fakeInvoker) tokenOf(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.StateName == name {
			return c.TaskToken
		}
	}
	return ""
}

func (f *fakeInvoker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

const tokenDef = `{
  "StartAt": "Request",
  "States": {
    "Request": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token", "loan.$": "$.loan"}},
      "TimeoutSeconds": 31536000,
      "HeartbeatSeconds": 3600,
      "ResultPath": "$.valuation",
      "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "TimedOut"}],
      "Next": "Done"
    },
    "TimedOut": {"Type": "Pass", "Result": "timeout", "ResultPath": "$.outcome", "End": true},
    "Done": {"Type": "Succeed"}
  }
}`

// poll fails t unless cond holds within 10 s.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	localtest.Eventually(t, 10*time.Second, what, func() (bool, string) { return cond(), "" })
}

func start(t *testing.T, e *Engine, def, name, input string) string {
	t.Helper()
	ctx := context.Background()
	sm, _, err := e.CreateStateMachine(ctx, "sm-"+strings.ReplaceAll(t.Name(), "/", "-"), def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	arn, _, err := e.StartExecution(ctx, sm, name, input)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func status(t *testing.T, e *Engine, arn string) *Execution {
	t.Helper()
	x, err := e.DescribeExecution(context.Background(), arn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func waitDone(t *testing.T, e *Engine, arn string) *Execution {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	x, err := e.WaitExecution(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestTaskTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	arn := start(t, e, tokenDef, "loan-1", `{"loan":{"id":"L1"}}`)
	poll(t, "task submitted", func() bool { return inv.count() == 1 })
	token := inv.tokens()[0]
	if len(token) > maxTokenLen || !strings.HasPrefix(token, tokenPrefix) {
		t.Fatalf("token %q has a bad shape", token)
	}
	body := inv.calls[0].Parameters.(map[string]any)["MessageBody"].(map[string]any)
	if body["token"] != token {
		t.Fatalf("$$.Task.Token not passed in Parameters: %v", body)
	}
	poll(t, "execution waiting", func() bool {
		s, _ := e.Stats(ctx)
		return s.PendingTasks == 1
	})
	if err := e.SendTaskHeartbeat(ctx, token); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if err := e.SendTaskSuccess(ctx, "garbage!", `{}`); ErrorCode(err) != CodeInvalidToken {
		t.Fatalf("garbage token: got %v, want InvalidToken", err)
	}
	if err := e.SendTaskSuccess(ctx, newToken(), `{}`); ErrorCode(err) != CodeTaskDoesNotExist {
		t.Fatalf("unknown token: got %v, want TaskDoesNotExist", err)
	}
	if err := e.SendTaskSuccess(ctx, token, `{not json`); ErrorCode(err) != CodeInvalidOutput {
		t.Fatalf("bad output: got %v, want InvalidOutput", err)
	}
	if err := e.SendTaskSuccess(ctx, token, `{"value": 250000}`); err != nil {
		t.Fatalf("success: %v", err)
	}
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"valuation":{"value":250000}`) {
		t.Fatalf("got %s %v", x.Status, *x.Output)
	}
	if err := e.SendTaskSuccess(ctx, token, `{}`); ErrorCode(err) != CodeTaskDoesNotExist {
		t.Fatalf("second success: got %v, want TaskDoesNotExist", err)
	}
}

func TestTaskFailureIsCaught(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0)), Invoker: inv})
	def := strings.Replace(tokenDef, `"ErrorEquals": ["States.Timeout"]`, `"ErrorEquals": ["ValuationFailed"]`, 1)
	arn := start(t, e, def, "", `{"loan":{}}`)
	poll(t, "task submitted", func() bool { return inv.count() == 1 })
	if err := e.SendTaskFailure(ctx, inv.tokens()[0], "ValuationFailed", "no comparables"); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"err":{"Cause":"no comparables","Error":"ValuationFailed"}`) {
		t.Fatalf("got %s %s", x.Status, *x.Output)
	}
}

// A one-year task timeout fires when the fake clock passes it; a late
// SendTaskSuccess then gets TaskTimedOut.
func TestOneYearTaskTimeout(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	def := strings.Replace(tokenDef, `"HeartbeatSeconds": 3600,`, "", 1)
	arn := start(t, e, def, "", `{"loan":{}}`)
	poll(t, "task submitted", func() bool { return inv.count() == 1 })
	poll(t, "checkpoint", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
	// Exactly a year: the task's timeout is due, the execution's one-year
	// limit (which AWS applies to executions running *more than* a year) not.
	clock.Advance(365 * 24 * time.Hour)
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || !strings.Contains(*x.Output, `"outcome":"timeout"`) || !strings.Contains(*x.Output, `"Error":"States.Timeout"`) {
		t.Fatalf("got %s %s", x.Status, *x.Output)
	}
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{}`); ErrorCode(err) != CodeTaskTimedOut {
		t.Fatalf("late success: got %v, want TaskTimedOut", err)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	arn := start(t, e, tokenDef, "", `{"loan":{}}`)
	poll(t, "checkpoint", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
	clock.Advance(30 * time.Minute)
	if err := e.SendTaskHeartbeat(ctx, inv.tokens()[0]); err != nil {
		t.Fatal(err)
	}
	clock.Advance(45 * time.Minute) // 75 min after start, 45 after the heartbeat
	if x := status(t, e, arn); x.Status != "RUNNING" {
		t.Fatalf("heartbeat did not extend the deadline: %s", x.Status)
	}
	clock.Advance(20 * time.Minute)
	x := waitDone(t, e, arn)
	if x.Status != "FAILED" || *x.Error != asl.ErrHeartbeatTimeout {
		t.Fatalf("got %s %v", x.Status, x.Error)
	}
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{}`); ErrorCode(err) != CodeTaskTimedOut {
		t.Fatalf("late success: got %v, want TaskTimedOut", err)
	}
}

func TestRetryBackoffWithFakeClock(t *testing.T) {
	inv := &fakeInvoker{answer: func(call asl.TaskCall, n int) (any, error) {
		if n < 3 {
			return nil, &asl.TaskError{Name: "Lambda.ServiceException", Cause: "try again"}
		}
		return map[string]any{"n": n}, nil
	}}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	def := `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
	  "Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":10,"BackoffRate":3,"MaxAttempts":5,"MaxDelaySeconds":20}],"End":true}}}`
	arn := start(t, e, def, "", `{}`)
	poll(t, "first attempt", func() bool { return inv.count() == 1 })
	poll(t, "backoff timer", func() bool { return clock.Timers() > 0 })
	clock.Advance(9 * time.Second)
	if inv.count() != 1 {
		t.Fatalf("retried before IntervalSeconds")
	}
	clock.Advance(time.Second)
	poll(t, "second attempt", func() bool { return inv.count() == 2 })
	poll(t, "backoff timer", func() bool { return clock.Timers() > 0 })
	clock.Advance(19 * time.Second) // 10*3 = 30, capped to MaxDelaySeconds 20
	if inv.count() != 2 {
		t.Fatalf("retried before the capped delay")
	}
	clock.Advance(time.Second)
	x := waitDone(t, e, arn)
	if x.Status != "SUCCEEDED" || *x.Output != `{"n":3}` || inv.count() != 3 {
		t.Fatalf("got %s %v after %d calls", x.Status, x.Output, inv.count())
	}
}

func TestIdempotentStartAndStop(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0)), Invoker: inv})
	arn := start(t, e, tokenDef, "same", `{"loan":1}`)
	sm := "arn:aws:states:us-east-1:000000000000:stateMachine:sm-" + t.Name()
	again, _, err := e.StartExecution(ctx, sm, "same", `{"loan":1}`)
	if err != nil || again != arn {
		t.Fatalf("same name and input: %v %v", again, err)
	}
	if _, _, err := e.StartExecution(ctx, sm, "same", `{"loan":2}`); ErrorCode(err) != CodeExecutionAlreadyExists {
		t.Fatalf("different input: %v", err)
	}
	poll(t, "task submitted", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	if _, err := e.StopExecution(ctx, arn, "Operator", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	x := status(t, e, arn)
	if x.Status != "ABORTED" || x.StopDate == nil {
		t.Fatalf("got %s", x.Status)
	}
	// AWS answers a stopped execution's token as a timed-out task's.
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{}`); ErrorCode(err) != CodeTaskTimedOut {
		t.Fatalf("token of stopped execution: %v", err)
	}
	evs, _, err := e.GetExecutionHistory(ctx, HistoryInput{ExecutionARN: arn, ReverseOrder: true, MaxResults: 1})
	if err != nil || len(evs) != 1 || evs[0].Type != "ExecutionAborted" {
		t.Fatalf("last event: %+v %v", evs, err)
	}
}

func TestHistoryShape(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0)), Invoker: inv})
	arn := start(t, e, tokenDef, "", `{"loan":{}}`)
	poll(t, "task submitted", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{"v":1}`); err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, arn)
	evs, next, err := e.GetExecutionHistory(ctx, HistoryInput{ExecutionARN: arn, MaxResults: 100})
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	var types []string
	for i, ev := range evs {
		types = append(types, ev.Type)
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.ID)
		}
	}
	want := "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	if evs[1].Details["name"] != "Request" || evs[1].Details["input"] != `{"loan":{}}` {
		t.Fatalf("stateEnteredEventDetails: %v", evs[1].Details)
	}
	if evs[2].Details["resourceType"] != "sqs" || evs[2].Details["resource"] != "sendMessage.waitForTaskToken" {
		t.Fatalf("taskScheduledEventDetails: %v", evs[2].Details)
	}
	no := false
	evs, _, _ = e.GetExecutionHistory(ctx, HistoryInput{ExecutionARN: arn, IncludeExecutionData: &no})
	if _, ok := evs[1].Details["input"]; ok {
		t.Fatalf("includeExecutionData=false kept input")
	}
}

// Crash recovery: executions waiting on a token, a Wait state and a retry
// backoff survive abandoning the engine; after a restart each completes
// exactly once and no completed Task is invoked again.
func TestCrashRecovery(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	inv := &fakeInvoker{answer: func(call asl.TaskCall, n int) (any, error) {
		if call.StateName == "Flaky" && n == 1 {
			return nil, &asl.TaskError{Name: "Transient", Cause: "first call fails"}
		}
		return map[string]any{"state": call.StateName}, nil
	}}
	open := func() (*Engine, *sql.DB) {
		db, err := sqlitedb.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(db, Options{Clock: clock, Invoker: inv})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return e, db
	}
	e1, db1 := open()
	waitDef := `{"StartAt":"Before","States":{"Before":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{},"Next":"Sleep"},
	  "Sleep":{"Type":"Wait","Seconds":3600,"Next":"After"},"After":{"Type":"Pass","End":true}}}`
	retryDef := `{"StartAt":"Flaky","States":{"Flaky":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{},
	  "Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":60}],"End":true}}}`
	tokenARN := start(t, e1, tokenDef, "tok", `{"loan":{}}`)
	smWait, _, _ := e1.CreateStateMachine(ctx, "wait-sm", waitDef, "arn:aws:iam::000000000000:role/r", "")
	waitARN, _, _ := e1.StartExecution(ctx, smWait, "w", "{}")
	smRetry, _, _ := e1.CreateStateMachine(ctx, "retry-sm", retryDef, "arn:aws:iam::000000000000:role/r", "")
	retryARN, _, _ := e1.StartExecution(ctx, smRetry, "r", "{}")
	poll(t, "all three waiting", func() bool {
		var n int
		_ = db1.QueryRow(`SELECT COUNT(*) FROM sfn_executions WHERE waiting = 1`).Scan(&n)
		return n == 3
	})
	callsBefore := inv.count() // Request, Before, Flaky(1)
	if callsBefore != 3 {
		t.Fatalf("calls before crash: %d", callsBefore)
	}
	token := inv.tokenOf("Request") // the three executions invoke in any order
	// Crash: abandon e1 without Close (its goroutines idle on a dead DB).
	e1.Close()
	db1.Close()

	e2, db2 := open()
	defer db2.Close()
	defer e2.Close()
	if err := e2.SendTaskSuccess(ctx, token, `{"v":1}`); err != nil {
		t.Fatalf("resolve token after restart: %v", err)
	}
	poll(t, "timers armed", func() bool { return clock.Timers() > 0 })
	clock.Advance(2 * time.Hour)
	for _, arn := range []string{tokenARN, waitARN, retryARN} {
		if x := waitDone(t, e2, arn); x.Status != "SUCCEEDED" {
			t.Fatalf("%s: %s %v %v", arn, x.Status, x.Error, x.Cause)
		}
	}
	if got := inv.count(); got != 4 { // only Flaky's retry is new
		t.Fatalf("task invocations: %d, want 4 (no completed task re-run)", got)
	}
	var succeeded int
	_ = db2.QueryRow(`SELECT COUNT(*) FROM sfn_history WHERE type = 'ExecutionSucceeded'`).Scan(&succeeded)
	if succeeded != 3 {
		t.Fatalf("ExecutionSucceeded events: %d, want 3", succeeded)
	}
}

// A Task that was scheduled but whose invocation result was never
// checkpointed is replayed after a crash with the same token.
func TestReplaySendsSameToken(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "replay.db")
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db)
	block := make(chan struct{})
	inv1 := &fakeInvoker{answer: func(asl.TaskCall, int) (any, error) { <-block; return nil, nil }}
	e1, _ := New(db, Options{Invoker: inv1})
	_ = e1.Start(ctx)
	start(t, e1, tokenDef, "replay", `{"loan":{}}`)
	poll(t, "first invoke", func() bool { return inv1.count() == 1 })
	// Crash while Invoke is in flight: the TaskSubmitted checkpoint never happens.
	inv2 := &fakeInvoker{}
	e2, _ := New(db, Options{Invoker: inv2})
	_ = e2.Start(ctx)
	defer e2.Close()
	poll(t, "replayed invoke", func() bool { return inv2.count() == 1 })
	if inv2.tokens()[0] != inv1.tokens()[0] {
		t.Fatalf("replay used a new token")
	}
	close(block)
	e1.Close()
}

// TestErrorAndCauseLimits: SendTaskFailure and StopExecution refuse an error
// over 256 characters and a cause over 32,768, as the API's SensitiveError
// and SensitiveCause do, and leave the execution running; at the limits
// both are accepted. (StopExecution used to store a 5 MB cause.)
func TestErrorAndCauseLimits(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0)), Invoker: inv})
	arn := start(t, e, tokenDef, "limits", `{"loan":1}`)
	poll(t, "task submitted", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 && inv.count() == 1 })
	token := inv.tokens()[0]
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct{ errName, cause, field string }{
		{long(257), "", "'error'"},
		{"E", long(32769), "'cause'"},
	} {
		err := e.SendTaskFailure(ctx, token, c.errName, c.cause)
		if ErrorCode(err) != CodeValidationException || !strings.Contains(err.Error(), "Value at "+c.field) {
			t.Errorf("SendTaskFailure with a long %s: %v", c.field, err)
		}
		_, err = e.StopExecution(ctx, arn, c.errName, c.cause)
		if ErrorCode(err) != CodeValidationException || !strings.Contains(err.Error(), "Value at "+c.field) {
			t.Errorf("StopExecution with a long %s: %v", c.field, err)
		}
	}
	if x := status(t, e, arn); x.Status != "RUNNING" {
		t.Fatalf("after refused calls: %s", x.Status)
	}
	if _, err := e.StopExecution(ctx, arn, long(256), long(32768)); err != nil {
		t.Fatalf("StopExecution at the limits: %v", err)
	}
	if x := status(t, e, arn); x.Status != "ABORTED" || x.Error == nil || len(*x.Error) != 256 || x.Cause == nil || len(*x.Cause) != 32768 {
		t.Fatalf("stopped at the limits: %s", x.Status)
	}
}

// OpenTaskTokens lists exactly the tokens SendTaskSuccess could still
// resolve: not one whose task completed, whose execution was stopped, or
// whose heartbeat deadline passed.
func TestOpenTaskTokens(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	var arns []string
	for i := range 3 {
		arns = append(arns, start(t, e, tokenDef, fmt.Sprintf("x%d", i), `{"loan":{}}`))
		poll(t, "task checkpointed", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == i+1 && inv.count() == i+1 })
	}
	tokens := inv.tokens()
	wantOpen := func(want ...string) {
		t.Helper()
		open, err := e.OpenTaskTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != len(want) {
			t.Fatalf("%d open tokens, want %d", len(open), len(want))
		}
		for _, tok := range want {
			if !open[tok] {
				t.Fatalf("token %s… not open", tok[:8])
			}
		}
	}
	wantOpen(tokens...)

	if err := e.SendTaskSuccess(ctx, tokens[1], `{}`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.StopExecution(ctx, arns[2], "Operator", "stopped by test"); err != nil {
		t.Fatal(err)
	}
	waitDone(t, e, arns[1])
	waitDone(t, e, arns[2])
	wantOpen(tokens[0])

	poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
	clock.Advance(61 * time.Minute) // past HeartbeatSeconds 3600
	if x := waitDone(t, e, arns[0]); x.Status != StatusFailed {
		t.Fatalf("heartbeat timeout: got %s", x.Status)
	}
	wantOpen()
}

// The error and cause limits count characters, as the model does: 256 "é"
// (512 bytes) are within SensitiveError's 256, 257 are not.
func TestErrorAndCauseLimitsCountCharacters(t *testing.T) {
	if err := checkErrorAndCause(strings.Repeat("é", 256), strings.Repeat("é", 32768)); err != nil {
		t.Errorf("at the limits in characters: %v", err)
	}
	if err := checkErrorAndCause(strings.Repeat("é", 257), ""); ErrorCode(err) != CodeValidationException {
		t.Errorf("257 characters: %v", err)
	}
	if err := checkErrorAndCause("", strings.Repeat("😀", 16385)); ErrorCode(err) != CodeValidationException {
		t.Errorf("32,770 UTF-16 units: %v", err)
	}
}
