package integrations_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

type startCall struct{ smARN, name, input string }

type fakeExecutions struct {
	calls []startCall
	err   error
}

func (f *fakeExecutions) StartExecution(_ context.Context, smARN, name, input string) (string, time.Time, error) {
	f.calls = append(f.calls, startCall{smARN, name, input})
	if f.err != nil {
		return "", time.Time{}, f.err
	}
	return "arn:aws:states:us-east-1:000000000000:execution:loan-processor:x", time.Now(), nil
}

func TestStateMachineTargetStartsAnExecutionWithTheEventAsInput(t *testing.T) {
	const sm = "arn:aws:states:us-east-1:000000000000:stateMachine:loan-processor"
	h, _, _, _ := hub()
	if err := h.Deliver(context.Background(), sm, []byte(`{"id":"1"}`)); err == nil {
		t.Fatal("delivered with no Step Functions engine wired")
	}
	ex := &fakeExecutions{}
	h.Executions = ex
	if err := h.Deliver(context.Background(), sm, []byte(`{"id":"1"}`)); err != nil {
		t.Fatal(err)
	}
	// An empty name: the engine generates one, as EventBridge does.
	if len(ex.calls) != 1 || ex.calls[0] != (startCall{sm, "", `{"id":"1"}`}) {
		t.Fatalf("StartExecution calls %+v", ex.calls)
	}
	ex.err = errors.New("State Machine Does Not Exist")
	if err := h.Deliver(context.Background(), sm, []byte(`{}`)); err == nil {
		t.Fatal("a failed start was a successful delivery")
	}
}
