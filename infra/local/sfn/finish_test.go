package sfn

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"loanflow/infra/local/asl"
	"loanflow/infra/statemachines"
)

// machineRows tells the finish of an execution which tables it may have
// rows in: the loan processor's only token task, none for the valuation
// service, and everything for a machine with nested threads.
func TestMachineRows(t *testing.T) {
	e := newTestEngine(t, Options{})
	for _, c := range []struct {
		def            statemachines.Definition
		threads, tasks bool
	}{{statemachines.LoanProcessor, false, true}, {statemachines.ValuationService, false, false}} {
		values := map[string]string{"CallbackSenderFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f"}
		if c.def == statemachines.LoanProcessor {
			values = map[string]string{"ValuationRequestQueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/q", "CallbackTimeoutSeconds": "3600", "EventBusName": "loanflow"}
		}
		def, err := c.def.Render(values)
		if err != nil {
			t.Fatal(err)
		}
		m, err := asl.Parse(def)
		if err != nil {
			t.Fatal(err)
		}
		if th, ta := e.machineRows(m); th != c.threads || ta != c.tasks {
			t.Errorf("%s: threads %v tasks %v, want %v %v", c.def, th, ta, c.threads, c.tasks)
		}
	}
	m, err := asl.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if th, ta := e.machineRows(m); !th || !ta {
		t.Errorf("Map: threads %v tasks %v, want both", th, ta)
	}
}

// A machine deleted while its executions end is gone once the last has
// ended, whichever commits first: the DELETING status or an execution's
// end. Each round deletes while the answers to its executions' tokens are
// being committed.
func TestDeleteWhileExecutionsEnd(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	const perRound = 4
	for round := range 25 {
		sm, _, err := e.CreateStateMachine(ctx, fmt.Sprintf("race-%d", round), tokenDef, "arn:aws:iam::000000000000:role/r", "STANDARD")
		if err != nil {
			t.Fatal(err)
		}
		var arns []string
		for i := range perRound {
			arn, _, err := e.StartExecution(ctx, sm, fmt.Sprintf("x%d", i), `{"loan":{}}`)
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, arn)
		}
		calls := (round + 1) * perRound
		poll(t, "tokens given out", func() bool { return inv.count() == calls && e.activeCount() == 0 })
		tokens := inv.tokens()[calls-perRound:]
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.DeleteStateMachine(ctx, sm); err != nil {
				t.Error(err)
			}
		}()
		for _, tok := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Refused once the execution has failed for the deleted machine.
				_ = e.SendTaskSuccess(ctx, tok, `{}`)
			}()
		}
		wg.Wait()
		for _, arn := range arns {
			if x := waitDone(t, e, arn); x.Status == StatusRunning {
				t.Fatalf("%s still running", arn)
			}
		}
		poll(t, "the deleted machine gone", func() bool {
			_, err := e.DescribeStateMachine(ctx, sm)
			return ErrorCode(err) == CodeStateMachineDoesNotExist
		})
	}
}

// A machine left DELETING by a previous process is dropped when its last
// execution ends after the restart.
func TestDeletingMachineAfterRestart(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	inv := &fakeInvoker{}
	e1 := startEngine(t, db, Options{Invoker: inv})
	arn := start(t, e1, tokenDef, "x", `{"loan":{}}`)
	sm := "arn:aws:states:us-east-1:000000000000:stateMachine:sm-" + t.Name()
	poll(t, "token given out", func() bool { return inv.count() == 1 && e1.activeCount() == 0 })
	if err := e1.DeleteStateMachine(ctx, sm); err != nil {
		t.Fatal(err)
	}
	e1.Close()
	e2 := startEngine(t, db, Options{Invoker: inv})
	if x, err := e2.DescribeStateMachine(ctx, sm); err != nil || x.Status != machineDeleting {
		t.Fatalf("after the restart: %+v %v", x, err)
	}
	if err := e2.SendTaskSuccess(ctx, inv.tokens()[0], `{}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e2, arn); x.Status != StatusFailed || *x.Error != asl.ErrRuntime {
		t.Fatalf("execution of the deleted machine: %s %v", x.Status, x.Error)
	}
	if _, err := e2.DescribeStateMachine(ctx, sm); ErrorCode(err) != CodeStateMachineDoesNotExist {
		t.Fatalf("after its last execution: %v", err)
	}
}

// A DeleteStateMachine whose write fails leaves the machine as it was: its
// executions go on and succeed, rather than fail as deleted at their next
// transition.
func TestFailedDeleteLeavesExecutionsRunning(t *testing.T) {
	ctx := context.Background()
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Invoker: inv})
	arn := start(t, e, tokenDef, "x", `{"loan":{}}`)
	sm := "arn:aws:states:us-east-1:000000000000:stateMachine:sm-" + t.Name()
	poll(t, "token given out", func() bool { return inv.count() == 1 && e.activeCount() == 0 })
	if _, err := e.store.db.Exec(`CREATE TRIGGER refuse_delete BEFORE UPDATE OF status ON sfn_state_machines
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteStateMachine(ctx, sm); err == nil {
		t.Fatal("DeleteStateMachine succeeded through the refusing trigger")
	}
	if _, err := e.store.db.Exec(`DROP TRIGGER refuse_delete`); err != nil {
		t.Fatal(err)
	}
	if err := e.SendTaskSuccess(ctx, inv.tokens()[0], `{}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, arn); x.Status != StatusSucceeded {
		t.Fatalf("execution %s (%v), want SUCCEEDED", x.Status, x.Cause)
	}
	if x, err := e.DescribeStateMachine(ctx, sm); err != nil || x.Status == machineDeleting {
		t.Fatalf("state machine after the failed delete: %+v %v", x, err)
	}
}
