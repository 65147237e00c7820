package sfn

import (
	"context"
	"strings"
	"testing"

	"loanflow/infra/statemachines"
)

// What one loan costs the state file: the write transactions the engine
// begins for an execution of infra/statemachines/loan-processor.asl.json on
// its approved path, each committed (and fsynced, unless the group commit
// shares it with other writes) before the engine goes on. This is the
// figure that batching writes per transition would lower.
func TestLoanExecutionWriteTransactions(t *testing.T) {
	ctx := context.Background()
	def, err := statemachines.LoanProcessor.Render(map[string]string{
		"ValuationRequestQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/valuation-requests",
		"CallbackTimeoutSeconds":   "3600",
		"EventBusName":             "loanflow",
	})
	if err != nil {
		t.Fatal(err)
	}
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
	// StartExecution; the checkpoint before RequestValuation is invoked
	// (its token persisted); the checkpoint where it waits.
	if n := e.store.writes.Load() - before; n != 3 {
		t.Fatalf("%d write transactions until the execution waits, want 3", n)
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
	// SendTaskSuccess; the checkpoint before PublishDecision is invoked;
	// the final status. AssessLoan and Approved cost nothing: they are
	// written with the next checkpoint.
	total := e.store.writes.Load() - before
	if total != 6 {
		t.Fatalf("%d write transactions for one loan, want 6", total)
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
