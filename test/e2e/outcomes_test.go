package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/scenarios"
)

// underwriters subscribes a new SQS queue to the loan notifications topic,
// as a team that must act on referred loans would, and returns its URL.
func (e *env) underwriters(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("underwriters")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	topics := sns.NewFromConfig(e.cfg)
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(e.stack.Outputs.NotificationsTopicARN),
		Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])}); err != nil {
		t.Fatalf("subscribe the underwriters' queue: %v", err)
	}
	return *q.QueueUrl
}

// checkOutcomes holds every decided loan to its Loan Decided event on the
// bus (its detail is the execution's output, and keeps its contract), and
// the underwriters' queue to exactly the loans referred because their
// valuation failed or timed out, each once, in SNS's envelope.
func (e *env) checkOutcomes(t *testing.T, results []scenarios.Result, underwriters string) {
	t.Helper()
	ctx := context.Background()
	recent, err := e.stack.Bus.Recent(ctx, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	published := map[string][]contracts.LoanDecision{} // by execution ARN
	for _, ev := range recent {
		if ev.Source != contracts.DecisionSource {
			continue
		}
		var env events.Envelope
		if err := json.Unmarshal([]byte(ev.Envelope), &env); err != nil {
			t.Fatal(err)
		}
		var d contracts.LoanDecision
		if err := contracts.Decode(contracts.SchemaLoanDecision, env.Detail, &d); err != nil {
			t.Errorf("a Loan Decided event breaks its contract: %v", err)
			continue
		}
		published[d.ExecutionID] = append(published[d.ExecutionID], d)
	}
	wantNotified := map[string]bool{}
	for _, res := range results {
		for _, l := range res.Loans {
			if l.Actual.Status != "SUCCEEDED" {
				if len(published[l.ExecutionARN]) != 0 {
					t.Errorf("%s: %s ended %s yet published a decision", res.Scenario.Name, l.ExecutionARN, l.Actual.Status)
				}
				continue
			}
			got := published[l.ExecutionARN]
			if len(got) != 1 {
				t.Errorf("%s: %s published %d Loan Decided events, want 1", res.Scenario.Name, l.ExecutionARN, len(got))
				continue
			}
			x, err := e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(l.ExecutionARN)})
			if err != nil {
				t.Fatal(err)
			}
			var out contracts.LoanDecision
			if err := contracts.Decode(contracts.SchemaLoanDecision, []byte(aws.ToString(x.Output)), &out); err != nil {
				t.Errorf("%s: the execution's output breaks the decision contract: %v", res.Scenario.Name, err)
			}
			a, _ := json.Marshal(out)
			b, _ := json.Marshal(got[0])
			if string(a) != string(b) {
				t.Errorf("%s: the event's detail %s is not the execution's output %s", res.Scenario.Name, b, a)
			}
			if out.Decision != res.Scenario.Expect.Decision || out.Reason != res.Scenario.Expect.Reason {
				t.Errorf("%s: decision %s %s", res.Scenario.Name, out.Decision, out.Reason)
			}
			if out.Reason == contracts.ReasonValuationFailed || out.Reason == contracts.ReasonValuationTimedOut {
				wantNotified[l.ExecutionARN] = true
			}
		}
	}
	if len(wantNotified) == 0 {
		t.Fatal("no scenario was referred for a failed or timed-out valuation")
	}
	// Deliveries go on after the executions end (the bus, then SNS): read
	// until every wanted notification is in, then a while longer for extras.
	notified := map[string]int{}
	all := func() bool {
		for arn := range wantNotified {
			if notified[arn] == 0 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(busy)
	for quiet := 0; quiet < 2 && time.Now().Before(deadline); {
		out, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(underwriters), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 && all() {
			quiet++
		}
		for _, m := range out.Messages {
			var note struct {
				Type     string `json:"Type"`
				TopicARN string `json:"TopicArn"`
				Message  string `json:"Message"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &note); err != nil || note.Type != "Notification" || note.TopicARN != e.stack.Outputs.NotificationsTopicARN {
				t.Errorf("not an SNS notification from the topic: %s", aws.ToString(m.Body))
				continue
			}
			var env events.Envelope
			var d contracts.LoanDecision
			if err := json.Unmarshal([]byte(note.Message), &env); err != nil || env.DetailType != contracts.DetailTypeLoanDecided {
				t.Errorf("the notification is not a Loan Decided event: %s", note.Message)
				continue
			}
			if err := contracts.Decode(contracts.SchemaLoanDecision, env.Detail, &d); err != nil {
				t.Errorf("notified decision breaks its contract: %v", err)
				continue
			}
			notified[d.ExecutionID]++
			if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(underwriters), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for arn := range wantNotified {
		if notified[arn] != 1 {
			t.Errorf("%s: the underwriters were told %d times, want once", arn, notified[arn])
		}
	}
	for arn, n := range notified {
		if !wantNotified[arn] {
			t.Errorf("%s: the underwriters were told %d times of a loan that needs nobody", arn, n)
		}
	}
}
