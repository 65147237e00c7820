package sns

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"loanflow/infra/local/functions"
)

func TestLambdaSubscription(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	var mu sync.Mutex
	var got []events.SNSEvent
	calls := 0
	if _, err := st.fns.Register(functions.Spec{Name: "notify", Timeout: time.Second, Handler: func(ctx context.Context, e events.SNSEvent) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		got = append(got, e)
		if e.Records[0].SNS.Message == "fails" {
			return errors.New("boom")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	topicARN := st.createTopic("to-lambda")
	subARN := st.subscribe(topicARN, "lambda", st.fns.ARN("notify"), nil)
	id, err := st.svc.Publish(ctx, topicARN, "Subject line", "hello", map[string]MessageAttribute{"k": {DataType: "String", StringValue: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the invocation", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	mu.Lock()
	r := got[0].Records[0]
	mu.Unlock()
	if r.EventSource != "aws:sns" || r.EventVersion != "1.0" || r.EventSubscriptionArn != subARN || r.SNS.MessageID != id ||
		r.SNS.Type != "Notification" || r.SNS.TopicArn != topicARN || r.SNS.Subject != "Subject line" || r.SNS.Message != "hello" ||
		r.SNS.SignatureVersion != "1" || r.SNS.Signature == "" || r.SNS.SigningCertURL == "" || r.SNS.UnsubscribeURL == "" ||
		r.SNS.Timestamp.IsZero() {
		t.Errorf("record = %+v", r)
	}
	if a, _ := r.SNS.MessageAttributes["k"].(map[string]any); a["Type"] != "String" || a["Value"] != "v" {
		t.Errorf("MessageAttributes = %v", r.SNS.MessageAttributes)
	}
	waitFor(t, "the delivery to be recorded", func() bool { return st.deliveryStates(id)[stateDelivered] == 1 })

	// A function error is retried as Lambda retries asynchronous
	// invocations: twice, then given up.
	id, err = st.svc.Publish(ctx, topicARN, "", "fails", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three invocations and a failure", func() bool { return st.deliveryStates(id)[stateFailed] == 1 })
	mu.Lock()
	if calls != 4 {
		t.Errorf("%d invocations, want 4 (1 + 3 for the failing message)", calls)
	}
	mu.Unlock()

	// A function that does not exist is a client error: not retried.
	missingARN := st.subscribe(topicARN, "lambda", st.fns.ARN("missing"), nil)
	id, err = st.svc.Publish(ctx, topicARN, "", "third", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the missing function's delivery to fail", func() bool { return st.deliveryStates(id)[stateFailed] == 1 })
	var attempts int
	if err := st.db.QueryRow(`SELECT attempts FROM sns_deliveries WHERE message_id = ? AND sub_arn = ?`, id, missingARN).Scan(&attempts); err != nil || attempts != 1 {
		t.Errorf("attempts to a missing function = %d, %v; want 1", attempts, err)
	}
}
