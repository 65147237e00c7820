package integrations_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/integrations"
	"loanflow/infra/local/sqs"
)

type fakeQueues struct {
	sent map[string][]sqs.NewMessage
	fail error
}

func (f *fakeQueues) Send(_ context.Context, name string, msgs ...sqs.NewMessage) ([]sqs.Sent, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	f.sent[name] = append(f.sent[name], msgs...)
	return []sqs.Sent{{MessageID: "m-1", MD5OfBody: "md5"}}, nil
}

type fakeFunctions struct {
	got map[string][]byte
	out []byte
	err error
}

func (f *fakeFunctions) Invoke(_ context.Context, fn string, payload []byte) ([]byte, error) {
	f.got[fn] = payload
	return f.out, f.err
}

type fakeBus struct {
	got    []eventbus.Entry
	failed int
}

func (f *fakeBus) PutEvents(_ context.Context, es []eventbus.Entry) ([]eventbus.Result, int, error) {
	f.got = append(f.got, es...)
	res := make([]eventbus.Result, len(es))
	for i := range res {
		res[i] = eventbus.Result{EventID: "e"}
		if i < f.failed {
			res[i] = eventbus.Result{ErrorCode: "MalformedDetail", ErrorMessage: "bad"}
		}
	}
	return res, f.failed, nil
}

func hub() (*integrations.Hub, *fakeQueues, *fakeFunctions, *fakeBus) {
	q := &fakeQueues{sent: map[string][]sqs.NewMessage{}}
	fn := &fakeFunctions{got: map[string][]byte{}}
	b := &fakeBus{}
	return &integrations.Hub{Queues: q, Functions: fn, Bus: b}, q, fn, b
}

func TestSQSSendMessageSerialisesAnObjectBody(t *testing.T) {
	h, q, _, _ := hub()
	out, err := h.Invoke(context.Background(), asl.TaskCall{Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
		Service: "sqs", Action: "sendMessage", Pattern: "waitForTaskToken", TaskToken: "tok",
		Parameters: map[string]any{"QueueUrl": "http://127.0.0.1:4566/000000000000/valuation-requests",
			"MessageBody": map[string]any{"taskToken": "tok", "n": json.Number("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := q.sent["valuation-requests"]
	if len(msgs) != 1 || msgs[0].Body != `{"n":1,"taskToken":"tok"}` {
		t.Fatalf("sent %+v", msgs)
	}
	if out.(map[string]any)["MessageId"] != "m-1" {
		t.Fatalf("result %v", out)
	}
	q.fail = sqs.ErrQueueDoesNotExist
	_, err = h.Invoke(context.Background(), asl.TaskCall{Service: "sqs", Action: "sendMessage", Parameters: map[string]any{"QueueUrl": "x", "MessageBody": "b"}})
	var te *asl.TaskError
	if !errors.As(err, &te) || te.Name != "SQS.AmazonSQSException" {
		t.Fatalf("missing queue: %v", err)
	}
}

func TestLambdaInvokeResultAndErrors(t *testing.T) {
	h, _, fn, _ := hub()
	fn.out = []byte(`{"statusCode":202}`)
	out, err := h.Invoke(context.Background(), asl.TaskCall{Service: "lambda", Action: "invoke",
		Parameters: map[string]any{"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:sender", "Payload": map[string]any{"a": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := out.(map[string]any)
	if m["StatusCode"] != 200 || m["Payload"].(map[string]any)["statusCode"] != json.Number("202") {
		t.Fatalf("result %v", out)
	}
	if string(fn.got["arn:aws:lambda:us-east-1:000000000000:function:sender"]) != `{"a":"b"}` {
		t.Fatalf("payload %s", fn.got)
	}
	fn.err = &functions.Error{Type: "CallbackDeliveryError", Message: "503 from webhook"}
	_, err = h.Invoke(context.Background(), asl.TaskCall{Service: "lambda", Action: "invoke", Parameters: map[string]any{"FunctionName": "sender"}})
	var te *asl.TaskError
	if !errors.As(err, &te) || te.Name != "CallbackDeliveryError" || !strings.Contains(te.Cause, `"errorMessage":"503 from webhook"`) {
		t.Fatalf("function error: %v", err)
	}
	fn.err = functions.ErrNotFound
	_, err = h.Invoke(context.Background(), asl.TaskCall{Service: "lambda", Action: "invoke", Parameters: map[string]any{"FunctionName": "nope"}})
	if !errors.As(err, &te) || te.Name != "Lambda.ResourceNotFoundException" {
		t.Fatalf("missing function: %v", err)
	}
}

func TestBareFunctionARNReturnsThePayload(t *testing.T) {
	h, _, fn, _ := hub()
	fn.out = []byte(`[1,2]`)
	out, err := h.Invoke(context.Background(), asl.TaskCall{Resource: "arn:aws:lambda:us-east-1:000000000000:function:f", Parameters: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(out); string(got) != `[1,2]` {
		t.Fatalf("got %s", got)
	}
}

func TestPutEventsFailedEntryFailsTheTask(t *testing.T) {
	h, _, _, b := hub()
	call := asl.TaskCall{Service: "events", Action: "putEvents", ExecutionARN: "arn:aws:states:us-east-1:000000000000:execution:sm:x",
		StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:sm", Parameters: map[string]any{"Entries": []any{
			map[string]any{"Source": "s", "DetailType": "d", "Detail": map[string]any{"k": "v"}, "EventBusName": "bus", "Resources": []any{"arn:x"}}}}}
	if _, err := h.Invoke(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if b.got[0].Detail != `{"k":"v"}` || b.got[0].EventBusName != "bus" {
		t.Fatalf("entry %+v", b.got[0])
	}
	// As the optimized integration does: the execution and state machine
	// ARNs follow the entry's own resources.
	if want := []string{"arn:x", call.ExecutionARN, call.StateMachineARN}; !slices.Equal(b.got[0].Resources, want) {
		t.Fatalf("resources %v, want %v", b.got[0].Resources, want)
	}
	b.failed = 1
	_, err := h.Invoke(context.Background(), call)
	var te *asl.TaskError
	if !errors.As(err, &te) || te.Name != "EventBridge.FailedEntry" {
		t.Fatalf("failed entry: %v", err)
	}
}

func TestUnsupportedResourceIsAClearError(t *testing.T) {
	h, _, _, _ := hub()
	_, err := h.Invoke(context.Background(), asl.TaskCall{Resource: "arn:aws:states:::dynamodb:putItem", Service: "dynamodb", Action: "putItem"})
	if err == nil || !strings.Contains(err.Error(), "not supported by the loanflow local stack") {
		t.Fatalf("got %v", err)
	}
}

func TestRuleTargetsAndDLQ(t *testing.T) {
	h, q, fn, _ := hub()
	if err := h.Deliver(context.Background(), "arn:aws:lambda:us-east-1:000000000000:function:resolver", []byte(`{"id":"1"}`)); err != nil {
		t.Fatal(err)
	}
	if string(fn.got["arn:aws:lambda:us-east-1:000000000000:function:resolver"]) != `{"id":"1"}` {
		t.Fatal("lambda target not invoked with the event")
	}
	if err := h.Deliver(context.Background(), "arn:aws:sqs:us-east-1:000000000000:audit", []byte(`{}`)); err != nil || len(q.sent["audit"]) != 1 {
		t.Fatalf("sqs target: %v", err)
	}
	if err := h.Deliver(context.Background(), "arn:aws:sns:us-east-1:000000000000:topic", nil); err == nil {
		t.Fatal("unsupported target accepted")
	}
	if err := h.SendToDLQ(context.Background(), "arn:aws:sqs:us-east-1:000000000000:dlq", []byte(`{}`), map[string]string{"RETRY_ATTEMPTS": "2", "ERROR_CODE": "X"}); err != nil {
		t.Fatal(err)
	}
	m := q.sent["dlq"][0]
	if m.Attributes["RETRY_ATTEMPTS"].DataType != "Number" || m.Attributes["ERROR_CODE"].StringValue != "X" {
		t.Fatalf("DLQ attributes %+v", m.Attributes)
	}
}
