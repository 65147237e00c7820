package console

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"
)

// now is the fake clock every test renders against.
var now = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

// Whole secrets: none may reach a page. The Source lists secretToken and
// secretCallbackID (Secrets); goneToken is a token the stack no longer
// knows, which only the structure of what carries it can hide; signature is
// a callback's signature, never in the token table; secretSigningKey is the
// webhook's signing key, which Secrets lists as a key.
const (
	secretToken       = "AQCEAAAAKgAAAAMAAAAAAAAAAWhole+Secret+Task+Token+Value/xyz=="
	goneToken         = "v1_Gone-Token-Of-A-Finished-Execution-0123456789ab"
	secretCallbackID  = "cb7f3a9e1d2c4b5a6f708192a3b4c5d6"
	secretSignature   = "v1=5d41402abc4b2a76b9719d911017c592ae2b8c5d41402abc4b2a76b9719d9110"
	secretSigningKey  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	callbackBody      = `{"valuationReference":"VAL-88231","status":"COMPLETED","propertyValue":25000000,"currency":"GBP"}`
	callbackBodyBytes = len(callbackBody)
)

// requestMessage is the valuation-request queue message of a loan: it
// carries the task token.
func requestMessage(token, app string) string {
	return `{"version":1,"taskToken":"` + token + `","executionId":"` + execARN("loan-"+app) +
		`","loanApplication":{"applicationId":"` + app + `"}}`
}

// scheduled is the TaskScheduled event of RequestValuation, whose
// parameters hold the message body, task token included.
func scheduled(id int64, token, app string) HistoryEvent {
	return ev(id, 20*time.Millisecond, "TaskScheduled", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
		"parameters": `{"QueueUrl":"http://127.0.0.1:4566/000000000000/valuation-requests","MessageBody":` + requestMessage(token, app) + `}`})
}

// hostileBody is a queue message body that must be escaped.
const hostileBody = `<script>alert(1)</script>`

const loanProcessorARN = "arn:aws:states:us-east-1:000000000000:stateMachine:LoanProcessor"

// loanProcessor is infra/statemachines/loan-processor.asl.json with its
// placeholders filled, trimmed to what the drawing reads.
const loanProcessor = `{
  "StartAt": "RequestValuation",
  "States": {
    "RequestValuation": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "TimeoutSeconds": 300,
      "Catch": [
        {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "ValuationTimedOut"},
        {"ErrorEquals": ["ValuationFailed"], "ResultPath": "$.error", "Next": "ValuationFailed"}
      ],
      "Next": "AssessLoan"
    },
    "AssessLoan": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.valuation.loanToValueBps", "NumericLessThanEquals": 7500, "Next": "Approved"},
        {"Variable": "$.valuation.loanToValueBps", "NumericLessThanEquals": 9000, "Next": "Referred"}
      ],
      "Default": "Declined"
    },
    "Approved": {"Type": "Pass", "End": true},
    "Referred": {"Type": "Pass", "End": true},
    "Declined": {"Type": "Pass", "End": true},
    "ValuationTimedOut": {"Type": "Pass", "End": true},
    "ValuationFailed": {"Type": "Pass", "End": true}
  }
}`

// fakeSource is a hand-written Source with a loan run's worth of data.
type fakeSource struct {
	err        error // when set, every read fails with it
	secretsErr error // when set, Secrets fails with it
	redriveErr error // when set, Redrive fails with it

	mu        sync.Mutex
	redriven  []string
	queues    []Queue
	messages  map[string][]Message
	execs     []ExecutionDetail
	callbacks []Callback
	events    []Event
	failed    []FailedDelivery
	functions []Function
	topics    []Topic
	secrets   Secrets
}

var (
	_ Source            = (*fakeSource)(nil)
	_ ExecutionSearcher = (*fakeSource)(nil)
)

func execARN(name string) string {
	return "arn:aws:states:us-east-1:000000000000:execution:LoanProcessor:" + name
}

// ev builds a history event at `after` from the fake execution start.
func ev(id int64, after time.Duration, typ string, details map[string]any) HistoryEvent {
	return HistoryEvent{ID: id, PreviousID: id - 1, Time: now.Add(-time.Hour + after), Type: typ, Details: details}
}

func newFakeSource() *fakeSource {
	start := now.Add(-time.Hour)
	const in = `{"applicationId":"app-1001","loanAmount":180000}`
	return &fakeSource{
		queues: []Queue{
			{Name: "valuation-requests", URL: "http://127.0.0.1:4566/000000000000/valuation-requests",
				Visible: 3, InFlight: 2, Delayed: 1, OldestAge: 95 * time.Second,
				DeadLetterQueue: "arn:aws:sqs:us-east-1:000000000000:valuation-requests-dlq", MaxReceiveCount: 5},
			{Name: "valuation-requests-dlq", Visible: 4, OldestAge: 2 * time.Hour, SourceQueues: []string{"valuation-requests"}},
		},
		messages: map[string][]Message{
			"valuation-requests": {{ID: "m-1", Body: requestMessage(secretToken, "app-1004"), SentAt: now.Add(-time.Minute), ReceiveCount: 1}},
			"valuation-requests-dlq": {
				{ID: "m-dead-1", Body: hostileBody, SentAt: now.Add(-2 * time.Hour), ReceiveCount: 5,
					Attributes: map[string]string{"ApproximateReceiveCount": "5"}},
				{ID: "m-dead-2", Body: requestMessage(goneToken, "app-1003"), SentAt: now.Add(-90 * time.Minute), ReceiveCount: 5},
			},
		},
		execs: []ExecutionDetail{
			{
				Execution: Execution{ARN: execARN("loan-app-1004"), Name: "loan-app-1004", StateMachine: loanProcessorARN,
					Status: "RUNNING", Started: now.Add(-2 * time.Minute)},
				Input: in, Definition: loanProcessor,
				History: []HistoryEvent{
					ev(1, 0, "ExecutionStarted", map[string]any{"input": in}),
					ev(2, 10*time.Millisecond, "TaskStateEntered", map[string]any{"name": "RequestValuation", "input": in}),
					scheduled(3, secretToken, "app-1004"),
					ev(4, 30*time.Millisecond, "TaskStarted", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}),
					ev(5, 40*time.Millisecond, "TaskSubmitted", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
						"output": `{"MessageId":"m-1"}`}),
				},
			},
			{
				Execution: Execution{ARN: execARN("loan-app-1001"), Name: "loan-app-1001", StateMachine: loanProcessorARN,
					Status: "SUCCEEDED", Started: start, Stop: start.Add(3 * time.Second)},
				Input: in, Output: `{"decision":"APPROVED"}`, Definition: loanProcessor,
				History: []HistoryEvent{
					ev(1, 0, "ExecutionStarted", map[string]any{"input": in}),
					ev(2, 10*time.Millisecond, "TaskStateEntered", map[string]any{"name": "RequestValuation", "input": in}),
					scheduled(3, goneToken, "app-1001"),
					ev(4, 2*time.Second, "TaskSucceeded", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
						"output": `{"loanToValueBps":6000}`}),
					ev(5, 2*time.Second, "TaskStateExited", map[string]any{"name": "RequestValuation", "output": `{"valuation":{"loanToValueBps":6000}}`}),
					ev(6, 2*time.Second, "ChoiceStateEntered", map[string]any{"name": "AssessLoan"}),
					ev(7, 2*time.Second, "ChoiceStateExited", map[string]any{"name": "AssessLoan"}),
					ev(8, 2*time.Second, "PassStateEntered", map[string]any{"name": "Approved"}),
					ev(9, 2*time.Second, "PassStateExited", map[string]any{"name": "Approved", "output": `{"decision":"APPROVED"}`}),
					ev(10, 3*time.Second, "ExecutionSucceeded", map[string]any{"output": `{"decision":"APPROVED"}`}),
				},
			},
			{
				Execution: Execution{ARN: execARN("loan-app-1002"), Name: "loan-app-1002", StateMachine: loanProcessorARN,
					Status: "SUCCEEDED", Started: start, Stop: start.Add(5 * time.Minute)},
				Input: in, Output: `{"decision":"REFERRED","reason":"VALUATION_TIMED_OUT"}`, Definition: loanProcessor,
				History: []HistoryEvent{
					ev(1, 0, "ExecutionStarted", map[string]any{"input": in}),
					ev(2, 10*time.Millisecond, "TaskStateEntered", map[string]any{"name": "RequestValuation", "input": in}),
					ev(3, 20*time.Millisecond, "TaskScheduled", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}),
					ev(4, 5*time.Minute, "TaskTimedOut", map[string]any{"error": "States.Timeout"}),
					ev(5, 5*time.Minute, "PassStateEntered", map[string]any{"name": "ValuationTimedOut"}),
					ev(6, 5*time.Minute, "PassStateExited", map[string]any{"name": "ValuationTimedOut"}),
					ev(7, 5*time.Minute, "ExecutionSucceeded", map[string]any{"output": `{"decision":"REFERRED"}`}),
				},
			},
			{
				Execution: Execution{ARN: execARN("loan-app-1003"), Name: "loan-app-1003", StateMachine: loanProcessorARN,
					Status: "FAILED", Started: start, Stop: start.Add(1200 * time.Millisecond)},
				Input: in, Error: "States.TaskFailed", Cause: "SQS.AmazonSQSException: queue valuation-requests does not exist",
				Definition: loanProcessor,
				History: []HistoryEvent{
					ev(1, 0, "ExecutionStarted", map[string]any{"input": in}),
					ev(2, 10*time.Millisecond, "TaskStateEntered", map[string]any{"name": "RequestValuation", "input": in}),
					ev(3, 20*time.Millisecond, "TaskScheduled", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}),
					ev(4, 1100*time.Millisecond, "TaskFailed", map[string]any{"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
						"error": "SQS.AmazonSQSException", "cause": "queue valuation-requests does not exist"}),
					ev(5, 1200*time.Millisecond, "ExecutionFailed", map[string]any{"error": "States.TaskFailed",
						"cause": "SQS.AmazonSQSException: queue valuation-requests does not exist"}),
				},
			},
		},
		callbacks: []Callback{{
			CallbackID: secretCallbackID, ExecutionARN: execARN("loan-app-1004"), ApplicationID: "app-1004",
			Status: "PENDING", ValuationReference: "VAL-88231", TokenPreview: secretToken,
			CreatedAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(3 * time.Minute),
		}},
		events: []Event{
			{ID: "ev-1", Bus: "loanflow", Source: "loanflow.valuations", DetailType: "Valuation Completed", At: now.Add(-50 * time.Minute),
				Matched: []string{"valuation-completed-to-callback"}, Detail: `{"version":"2","callbackId":"` + secretCallbackID +
					`","signature":{"timestamp":"1741946400","value":"` + secretSignature + `"},"bodyBase64":"` +
					base64.StdEncoding.EncodeToString([]byte(callbackBody)) + `","receivedAt":"1741946400123","response":` + callbackBody + `}`},
			{ID: "ev-2", Bus: "loanflow", Source: "someone.else", DetailType: "Unrelated Thing", At: now.Add(-40 * time.Minute)},
		},
		failed: []FailedDelivery{{EventID: "ev-9", Rule: "valuation-failed-to-callback",
			TargetARN: "arn:aws:lambda:us-east-1:000000000000:function:valuation-callback",
			DLQARN:    "arn:aws:sqs:us-east-1:000000000000:callback-events-dlq", Error: "handler returned: resolve " + secretCallbackID + ": dynamodb throttled",
			Attempts: 3, At: now.Add(-10 * time.Minute)}},
		functions: []Function{
			{Name: "valuation-request", Invocations: 42, Errors: 2, InFlight: 1, Concurrency: 10},
			{Name: "valuation-callback", Invocations: 17},
		},
		topics: []Topic{notificationsTopic(), {ARN: topicARN("quiet"), Name: "quiet"}},
		secrets: Secrets{TaskTokens: []string{secretToken}, CallbackIDs: []string{secretCallbackID},
			Keys: []string{secretSigningKey}},
	}
}

func topicARN(name string) string { return "arn:aws:sns:us-east-1:000000000000:" + name }

// Messages of the notifications topic: a referral carrying a task token
// no longer known (hidden by structure), the same cut short by the Source
// after the token (hidden by the text pass over cut JSON), and free text
// naming a known token and the signing key (hidden by value).
var (
	referral    = `{"detail-type":"Loan Decided","detail":{"applicationId":"app-1002","decision":"REFERRED","reason":"VALUATION_TIMED_OUT","taskToken":"` + goneToken + `"}}`
	cutReferral = `{"detail-type":"Loan Decided","detail":{"applicationId":"app-1005","taskToken":"` + goneToken + `","reason":"VALUATION_TI`
	leakyText   = "operator note: token " + secretToken + " signed with " + secretSigningKey
)

// notificationsTopic is the local stack's notifications topic with a
// confirmed raw SQS subscription, an HTTPS one waiting for its
// confirmation, and three messages.
func notificationsTopic() Topic {
	name := "loanflow-loan-notifications"
	return Topic{
		ARN: topicARN(name), Name: name, DisplayName: "loanflow loan notifications",
		Subscriptions: []Subscription{
			{ARN: topicARN(name) + ":0f3c9a52-6f1e-4d4b-9c1a-2b7e8d9f0a11", Protocol: "sqs",
				Endpoint: "arn:aws:sqs:us-east-1:000000000000:referrals", RawMessageDelivery: true},
			{ARN: topicARN(name) + ":7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", Protocol: "https",
				Endpoint: "https://ops.example/hooks/referrals", Pending: true, FilterPolicy: `{"decision":["REFERRED"]}`},
		},
		Recent: []TopicMessage{
			{ID: "5e1d7c0a-93b2-4f7e-a1c4-000000000003", Subject: "Operator note", Body: leakyText, Size: len(leakyText),
				PublishedAt: now.Add(-time.Minute), Matched: 1, Pending: 1},
			{ID: "5e1d7c0a-93b2-4f7e-a1c4-000000000002", Body: cutReferral, Size: 500, Cut: true,
				PublishedAt: now.Add(-3 * time.Minute), Matched: 1, Delivered: 1},
			{ID: "5e1d7c0a-93b2-4f7e-a1c4-000000000001", Subject: "Loan referred", Body: referral, Size: len(referral),
				PublishedAt: now.Add(-5 * time.Minute), Matched: 2, Delivered: 1, Failed: 1,
				LastError: "POST https://ops.example/hooks/referrals: 503 Service Unavailable"},
		},
	}
}

func (f *fakeSource) Queues(context.Context) ([]Queue, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.queues, nil
}

func (f *fakeSource) QueueMessages(_ context.Context, queue string, limit int) ([]Message, error) {
	if f.err != nil {
		return nil, f.err
	}
	msgs, ok := f.messages[queue]
	if !ok && !slices.ContainsFunc(f.queues, func(q Queue) bool { return q.Name == queue }) {
		return nil, fmt.Errorf("queue %s: %w", queue, ErrNotFound)
	}
	return msgs[:min(limit, len(msgs))], nil
}

// Redrive refuses a queue that is not a dead-letter queue as the local
// stack's Source does, with an error that is neither ErrNotFound nor
// ErrInvalid.
func (f *fakeSource) Redrive(_ context.Context, dlq string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.redriven = append(f.redriven, dlq)
	if f.redriveErr != nil {
		return 0, f.redriveErr
	}
	if !slices.ContainsFunc(f.queues, func(q Queue) bool { return q.Name == dlq && len(q.SourceQueues) > 0 }) {
		return 0, fmt.Errorf("%s is not the dead-letter queue of any queue", dlq)
	}
	return int64(len(f.messages[dlq])), nil
}

func (f *fakeSource) redrives() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.redriven)
}

func (f *fakeSource) ExecutionCounts(context.Context) (map[string]int, error) {
	if f.err != nil {
		return nil, f.err
	}
	counts := map[string]int{}
	for _, e := range f.execs {
		counts[e.Status]++
	}
	return counts, nil
}

func (f *fakeSource) Executions(_ context.Context, status string, limit int) ([]Execution, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []Execution
	for _, e := range f.execs {
		if status == "" || e.Status == status {
			out = append(out, e.Execution)
		}
	}
	return out[:min(limit, len(out))], nil
}

// SearchExecutions searches every execution, as the fake holds them
// (newest first).
func (f *fakeSource) SearchExecutions(_ context.Context, status, query string, limit int) ([]Execution, bool, error) {
	if f.err != nil {
		return nil, false, f.err
	}
	var out []Execution
	for _, e := range f.execs {
		if (status == "" || e.Status == status) && MatchExecution(e.Execution, query) {
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, e.Execution)
		}
	}
	return out, false, nil
}

func (f *fakeSource) Execution(_ context.Context, arn string) (ExecutionDetail, error) {
	if f.err != nil {
		return ExecutionDetail{}, f.err
	}
	for _, e := range f.execs {
		if e.ARN == arn {
			return e, nil
		}
	}
	return ExecutionDetail{}, fmt.Errorf("execution %s: %w", arn, ErrNotFound)
}

func (f *fakeSource) PendingCallbacks(_ context.Context, limit int) (Callbacks, error) {
	if f.err != nil {
		return Callbacks{}, f.err
	}
	return SplitCallbacks(slices.Clone(f.callbacks), limit), nil
}

func (f *fakeSource) CallbackCounts(context.Context) (map[string]int64, error) {
	if f.err != nil {
		return nil, f.err
	}
	return map[string]int64{"resolved": 12, "failed": 1, "late": 2, "duplicate": 3, "unknown": 4, "rejected": 5}, nil
}

func (f *fakeSource) RecentEvents(context.Context, int) ([]Event, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.events, nil
}

func (f *fakeSource) FailedDeliveries(context.Context, int) ([]FailedDelivery, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.failed, nil
}

func (f *fakeSource) Functions(context.Context) ([]Function, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.functions, nil
}

func (f *fakeSource) Topics(_ context.Context, recent int) ([]Topic, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([]Topic, len(f.topics))
	for i, t := range f.topics {
		t.Recent = t.Recent[:min(recent, len(t.Recent))]
		out[i] = t
	}
	return out, nil
}

func (f *fakeSource) Secrets(context.Context) (Secrets, error) {
	if f.err != nil {
		return Secrets{}, f.err
	}
	if f.secretsErr != nil {
		return Secrets{}, f.secretsErr
	}
	return f.secrets, nil
}
