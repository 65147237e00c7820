package sfn

import (
	"context"
	"strings"
	"sync"
	"testing"

	"loanflow/infra/local/asl"
	"loanflow/infra/statemachines"
)

// loanProcessorDef is infra/statemachines/loan-processor.asl.json as the
// stack deploys it, for the engine alone.
func loanProcessorDef(t testing.TB) []byte {
	t.Helper()
	def, err := statemachines.LoanProcessor.Render(map[string]string{
		"ValuationRequestQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/valuation-requests",
		"CallbackTimeoutSeconds":   "3600",
		"EventBusName":             "loanflow",
	})
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// What one loan costs the state file: the write transactions the engine
// begins for an execution of infra/statemachines/loan-processor.asl.json on
// its approved path, each committed (and fsynced, unless the group commit
// shares it with other writes) before the engine goes on. This is the
// figure that batching writes per transition would lower.
func TestLoanExecutionWriteTransactions(t *testing.T) {
	ctx := context.Background()
	def := loanProcessorDef(t)
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	sm, _, err := e.CreateStateMachine(ctx, "loan-processor", string(def), "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	before := e.store.writes.Load()
	arn, _, err := e.StartExecution(ctx, sm, "loan-1", `{"applicationId":"app-1","property":{"postcode":"AB1 2CD"},"loanAmount":200000}`)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the valuation request waiting", func() bool {
		s, _ := e.Stats(ctx)
		return s.PendingTasks == 1 && inv.count() == 1 && e.activeCount() == 0
	})
	// StartExecution, which holds the checkpoint before RequestValuation
	// is invoked (its token persisted; see firstSteps); the checkpoint
	// where it waits.
	if n := e.store.writes.Load() - before; n != 2 {
		t.Fatalf("%d write transactions until the execution waits, want 2", n)
	}
	token := inv.tokenOf("RequestValuation")
	if err := e.SendTaskSuccess(ctx, token, `{"valuationReference":"val-1","loanToValueBps":7000}`); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || !strings.Contains(*x.Output, `"decision":"APPROVED"`) {
		t.Fatalf("got %s %v", x.Status, x.Output)
	}
	if inv.count() != 2 || inv.tokenOf("PublishDecision") == "" {
		t.Fatalf("%d task calls, want RequestValuation then PublishDecision", inv.count())
	}
	// SendTaskSuccess; the final status. AssessLoan, Approved and the
	// PublishDecision call cost nothing: nothing was invoked since the
	// checkpoint where the execution waited, so a crash before the end runs
	// them again from there (see TestRequestResponseReplay).
	total := e.store.writes.Load() - before
	if total != 4 {
		t.Fatalf("%d write transactions for one loan, want 4", total)
	}
	h := historyOf(t, e, arn)
	t.Logf("one loan: %d write transactions, %d history events, %d state transitions", total, len(h), countSuffix(h, "StateEntered"))
}

func countSuffix(h []HistoryEvent, suffix string) int {
	n := 0
	for _, ev := range h {
		if strings.HasSuffix(ev.Type, suffix) {
			n++
		}
	}
	return n
}

// A request-response Task invoked without a checkpoint before it (nothing
// was invoked since the last one) is invoked again after a crash during the
// call, and only it: a Task that completed before it, after the last
// checkpoint, is not (its result is checkpointed before the next call). The
// history after the restart has each event once.
func TestRequestResponseReplay(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	def := `{"StartAt":"Prepare","States":{
	  "Prepare":{"Type":"Pass","Result":{"n":1},"Next":"First"},
	  "First":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":1},"ResultPath":"$.first","Next":"Second"},
	  "Second":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"step":2},"ResultPath":"$.second","End":true}}}`
	block := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(block) })
	inv1 := &fakeInvoker{answer: func(call asl.TaskCall, _ int) (any, error) {
		if call.StateName == "Second" {
			<-block
		}
		return map[string]any{"state": call.StateName}, nil
	}}
	e1 := startEngine(t, db, Options{Invoker: inv1})
	t.Cleanup(unblock) // runs before e1's close, which waits for the blocked call
	sm, _, err := e1.CreateStateMachine(ctx, "chain", def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		t.Fatal(err)
	}
	before := e1.store.writes.Load()
	arn, _, err := e1.StartExecution(ctx, sm, "chain", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "Second invoked", func() bool { return inv1.count() == 2 })
	// StartExecution, then the checkpoint before Second (First was
	// invoked since the last one); none before First.
	if n := e1.store.writes.Load() - before; n != 2 {
		t.Fatalf("%d write transactions before Second returns, want 2", n)
	}
	// Crash while Second is in flight: a second engine on the same file.
	inv2 := &fakeInvoker{}
	e2 := startEngine(t, db, Options{Invoker: inv2})
	x := waitDone(t, e2, arn)
	unblock()
	e1.Close()
	if x.Status != StatusSucceeded || !strings.Contains(*x.Output, `"first":{"state":"First"}`) {
		t.Fatalf("got %s %v", x.Status, x.Output)
	}
	if inv2.count() != 1 || inv2.calls[0].StateName != "Second" {
		t.Fatalf("after the crash %d calls (%v), want Second alone", inv2.count(), inv2.calls)
	}
	h := historyOf(t, e2, arn)
	if n := countSuffix(h, "StateEntered"); n != 3 {
		t.Fatalf("%d states entered in the history, want 3", n)
	}
	checkEventIDs(t, h)
}

// A crash during a request-response call that had no checkpoint before it
// runs the execution again from its last checkpoint: the call is made once
// more, and the history has its events once.
func TestRequestResponseReplayWithoutCheckpoint(t *testing.T) {
	db := testDB(t)
	def := `{"StartAt":"Prepare","States":{
	  "Prepare":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.prepared","Next":"Call"},
	  "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"n.$":"$.prepared.n"},"End":true}}}`
	block := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(block) })
	inv1 := &fakeInvoker{answer: func(asl.TaskCall, int) (any, error) { <-block; return nil, nil }}
	e1 := startEngine(t, db, Options{Invoker: inv1})
	t.Cleanup(unblock) // runs before e1's close, which waits for the blocked call
	arn := start(t, e1, def, "once", `{}`)
	poll(t, "the call in flight", func() bool { return inv1.count() == 1 })
	inv2 := &fakeInvoker{}
	e2 := startEngine(t, db, Options{Invoker: inv2})
	x := waitDone(t, e2, arn)
	unblock()
	e1.Close()
	if x.Status != StatusSucceeded {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
	if inv2.count() != 1 || inv2.calls[0].Parameters.(map[string]any)["n"] == nil {
		t.Fatalf("after the crash %d calls (%v), want the call once with its parameters", inv2.count(), inv2.calls)
	}
	h := historyOf(t, e2, arn)
	want := "ExecutionStarted PassStateEntered PassStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
	if got := historyTypes(h); got != want {
		t.Fatalf("history %s\nwant    %s", got, want)
	}
}

// A succeeded execution keeps no cursor (it cannot be redriven): its row
// holds its input and output only. A failed one keeps where it stopped.
// (Both checkpoint before Again, so both had a cursor.)
func TestSucceededExecutionKeepsNoCursor(t *testing.T) {
	e := newTestEngine(t, Options{Invoker: &fakeInvoker{}})
	def := `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"big.$":"$.big"},"ResultPath":null,"Next":"Again"},
	  "Again":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{},"ResultPath":null,"Next":"Check"},
	  "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"Fail"}],"Default":"Done"},
	  "Fail":{"Type":"Fail","Error":"Nope"},"Done":{"Type":"Succeed"}}}`
	big := strings.Repeat("x", 4000)
	ok := start(t, e, def, "ok", `{"fail":false,"big":"`+big+`"}`)
	failed, _, err := e.StartExecution(context.Background(), strings.Replace(strings.Replace(ok, ":execution:", ":stateMachine:", 1), ":ok", "", 1), "failed", `{"fail":true,"big":"`+big+`"}`)
	if err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, ok); x.Status != StatusSucceeded {
		t.Fatalf("ok: %s", x.Status)
	}
	if x := waitDone(t, e, failed); x.Status != StatusFailed {
		t.Fatalf("failed: %s", x.Status)
	}
	for arn, want := range map[string]bool{ok: false, failed: true} {
		var cursor, redrive *string
		if err := e.store.db.QueryRow(`SELECT cursor, redrive_cursor FROM sfn_executions WHERE arn = ?`, arn).Scan(&cursor, &redrive); err != nil {
			t.Fatal(err)
		}
		if cursor != nil || (redrive != nil) != want {
			t.Errorf("%s: cursor %v, redrive cursor kept %v, want %v", arn, cursor != nil, redrive != nil, want)
		}
	}
}
