// Package e2e runs the scenario suite end to end on a local stack started by
// the test, through the real AWS SDK v2 clients: executions, the queue and its
// DLQ, the token table, the webhook and the event bus.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/contracts"
	"loanflow/infra/local"
	"loanflow/infra/local/localtest"
	"loanflow/infra/scenarios"
)

type env struct {
	stack *local.Stack
	dir   string
	cfg   aws.Config
	sfn   *sfn.Client
	sqs   *sqs.Client
	ddb   *dynamodb.Client
	evb   *eventbridge.Client
}

func start(t *testing.T, timeout time.Duration) *env {
	t.Helper()
	dir := t.TempDir()
	cfg := scenarios.FastConfig(timeout, 200*time.Millisecond)
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	// Every line, debug included, with the call that logged it: the secrets
	// test greps them all.
	log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{AddSource: true, Level: slog.LevelDebug}))
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: dir, Config: &cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("stack log tail:\n%s", b)
		}
	})
	ac := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	return &env{stack: s, dir: dir, cfg: ac, sfn: sfn.NewFromConfig(ac), sqs: sqs.NewFromConfig(ac),
		ddb: dynamodb.NewFromConfig(ac), evb: eventbridge.NewFromConfig(ac)}
}

// busy is how long a step that should succeed at once (a callback resuming
// a loan, an event reaching its target) may take on a machine whose cores
// are all busy: a deadline for polling, not a wait.
const busy = time.Minute

// requestBudget is how long a valuation request may take to be accepted on
// a busy machine: a first receive that fails, the redelivery one visibility
// timeout later, and its invocation.
func (e *env) requestBudget() time.Duration {
	q := e.stack.Config.Queue
	return q.VisibilityTimeout() + q.ConsumerTimeout + busy
}

func (e *env) depth(t *testing.T, url string) int {
	t.Helper()
	out, err := e.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		v, _ := strconv.Atoi(out.Attributes[k])
		n += v
	}
	return n
}

// resumes counts how many times RequestValuation was resumed in an execution's history.
func (e *env) resumes(t *testing.T, arn string) int {
	t.Helper()
	h, err := e.sfn.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range h.Events {
		// RequestValuation's ends only (its resource is SQS), not PublishDecision's.
		switch {
		case ev.TaskSucceededEventDetails != nil && aws.ToString(ev.TaskSucceededEventDetails.ResourceType) == "sqs",
			ev.TaskFailedEventDetails != nil && aws.ToString(ev.TaskFailedEventDetails.ResourceType) == "sqs",
			ev.TaskTimedOutEventDetails != nil && aws.ToString(ev.TaskTimedOutEventDetails.ResourceType) == "sqs":
			n++
		}
	}
	return n
}

// records returns the token records by execution ARN.
func (e *env) records(t *testing.T) map[string]tokenstore.Record {
	t.Helper()
	out := map[string]tokenstore.Record{}
	var start map[string]ddbtypes.AttributeValue
	for {
		page, err := e.ddb.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(local.TableName), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			r, err := tokenstore.RecordFromItem(item)
			if err != nil {
				t.Fatal(err)
			}
			out[r.ExecutionID] = r
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

func TestEveryScenarioEndsAsExpected(t *testing.T) {
	// The callback timeout must outlast the 5xx loans' last receive, one
	// visibility timeout after the first, so that they fail before they
	// time out; the timeout scenarios take it whole.
	e := start(t, scenarios.DefaultCallbackTimeout)
	if err := scenarios.CheckCallbackTimeout(e.stack.Config); err != nil {
		t.Fatal(err)
	}
	r := &scenarios.Runner{SFN: e.sfn, SQS: e.sqs, StateMachineARN: e.stack.Outputs.LoanProcessorARN, DLQURL: e.stack.Outputs.DLQURL,
		Counters: e.stack.Metrics.Snapshot, Deadline: scenarios.RunDeadline(e.stack.Config)}
	underwriters := e.underwriters(t)
	per := 2
	results, err := r.Run(context.Background(), "e2e", scenarios.All(), per)
	if err != nil {
		t.Fatal(err)
	}
	e.checkOutcomes(t, results, underwriters)
	recs := e.records(t)
	for _, res := range results {
		if !res.OK() {
			t.Errorf("%s: %d/%d as expected; problems: %v", res.Scenario.Name, res.Passed, len(res.Loans), res.Problems)
		}
		for _, l := range res.Loans {
			if n := e.resumes(t, l.ExecutionARN); n != 1 {
				t.Errorf("%s: %s: RequestValuation ended %d times, want exactly once", res.Scenario.Name, l.ExecutionARN, n)
			}
			rec, ok := recs[l.ExecutionARN]
			if !ok {
				t.Errorf("%s: no token record for %s", res.Scenario.Name, l.ExecutionARN)
				continue
			}
			want := map[string]tokenstore.Status{
				"happy path": tokenstore.StatusResolved, "high loan-to-value": tokenstore.StatusResolved,
				"flaky valuation service": tokenstore.StatusResolved, "slow valuation service": tokenstore.StatusResolved,
				"failed valuation": tokenstore.StatusResolved, "duplicate callback": tokenstore.StatusResolved,
				"late callback": tokenstore.StatusExpired, "valuation service 5xx": tokenstore.StatusFailed,
				"timeout (no callback)": tokenstore.StatusPending, "unknown callback id": tokenstore.StatusPending,
				"forged signature": tokenstore.StatusPending, "stale signature": tokenstore.StatusPending,
			}[res.Scenario.Name]
			if want != "" && rec.Status != want {
				t.Errorf("%s: token record %s, want %s", res.Scenario.Name, rec.Status, want)
			}
			if strings.Contains(rec.ExecutionID, rec.TaskToken) {
				t.Errorf("token leaked into the execution id")
			}
		}
	}
	if n := e.depth(t, e.stack.Outputs.QueueURL); n != 0 {
		t.Errorf("request queue still holds %d messages", n)
	}
	if n := e.depth(t, e.stack.Outputs.DLQURL); n != per {
		t.Errorf("DLQ holds %d messages, want %d (the 5xx loans)", n, per)
	}
	if n := e.depth(t, e.stack.Outputs.CallbackDLQURL); n != 0 {
		t.Errorf("callback DLQ holds %d events", n)
	}
}

func TestMalformedWebhookBodyIs400AndReachesNoBus(t *testing.T) {
	e := start(t, 2*time.Second)
	before, err := e.stack.Bus.Recent(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]string{
		`{"valuationReference":"VAL-1","status":"COMPLETED","currency":"GBP"}`: "propertyValue: is required",
		`{"status":`: "must be valid JSON",
		`{"valuationReference":"VAL-1","status":"FAILED"}`: "failure: is required",
	} {
		req, _ := http.NewRequest(http.MethodPost, e.stack.Outputs.Endpoint+"/valuations/Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(contracts.HeaderAPIKey, e.stack.WebhookAPIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s, want 400 naming %q", body, resp.StatusCode, b, want)
		}
	}
	after, _ := e.stack.Bus.Recent(context.Background(), 100)
	if len(after) != len(before) {
		t.Errorf("malformed bodies reached the bus: %d events before, %d after", len(before), len(after))
	}
}

func TestPoisonQueueMessageEndsInTheDLQ(t *testing.T) {
	e := start(t, 2*time.Second)
	ctx := context.Background()
	if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(e.stack.Outputs.QueueURL), MessageBody: aws.String(`{"not":"a valuation request"}`)}); err != nil {
		t.Fatal(err)
	}
	// It moves on the receive after its last: maxReceiveCount visibility timeouts.
	q := e.stack.Config.Queue
	localtest.Eventually(t, time.Duration(q.MaxReceiveCount)*q.VisibilityTimeout()+busy, "the poison message in the DLQ", func() (bool, string) {
		n := e.depth(t, e.stack.Outputs.DLQURL)
		return n == 1 && e.depth(t, e.stack.Outputs.QueueURL) == 0, fmt.Sprintf("dlq=%d", n)
	})
}

// startWaiting starts a loan whose valuation never calls back and returns its
// execution ARN and callback id once the token is stored.
func (e *env) startWaiting(t *testing.T, name string) (arn, callbackID, reference string) {
	t.Helper()
	app := scenarios.Scenario{Name: name, Marker: "mock:no-callback", LoanAmount: 25000000}.Loan(name, 0)
	in, _ := json.Marshal(app)
	out, err := e.sfn.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(e.stack.Outputs.LoanProcessorARN),
		Name: aws.String(app.ApplicationID), Input: aws.String(string(in))})
	if err != nil {
		t.Fatal(err)
	}
	arn = aws.ToString(out.ExecutionArn)
	localtest.Eventually(t, e.requestBudget(), "the token record", func() (bool, string) {
		r, ok := e.records(t)[arn]
		callbackID, reference = r.CallbackID, r.ValuationReference
		return ok && r.ValuationReference != "", string(r.Status)
	})
	return arn, callbackID, reference
}

// A timed-out loan leaves its token record PENDING until it expires. The
// console lists it as waiting while its task waits, and apart, as a record
// of an ended task, once the task has timed out.
func TestConsoleListsATimedOutLoansRecordApart(t *testing.T) {
	e := start(t, 2*time.Second)
	arn, cb, _ := e.startWaiting(t, "console-timeout")
	short := lambdalog.ID(cb)
	overview := func() (pending, ended string) {
		resp, err := http.Get(e.stack.Outputs.Endpoint + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /: %d %v", resp.StatusCode, err)
		}
		pending, ended, _ = strings.Cut(string(b), "of ended tasks")
		return pending, ended
	}
	if pending, ended := overview(); !strings.Contains(pending, short) || ended != "" {
		t.Fatalf("the waiting loan's callback %s is not listed as pending (ended section: %t)", short, ended != "")
	}
	localtest.Eventually(t, 10*time.Second+busy, "the loan to time out", func() (bool, string) {
		st, out := e.status(t, arn)
		return st == sfntypes.ExecutionStatusSucceeded, string(st) + " " + out
	})
	if r := e.records(t)[arn]; r.Status != tokenstore.StatusPending {
		t.Fatalf("the timed-out loan's record is %s; this test needs it PENDING", r.Status)
	}
	if pending, ended := overview(); strings.Contains(pending, short) || !strings.Contains(ended, short) {
		t.Errorf("the timed-out loan's callback %s: listed as pending %t, as ended %t", short, strings.Contains(pending, short), strings.Contains(ended, short))
	}
}

func (e *env) status(t *testing.T, arn string) (sfntypes.ExecutionStatus, string) {
	d, err := e.sfn.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return d.Status, aws.ToString(d.Output)
}

// The README's walkthrough: the aws CLI publishes a signed sample event by
// hand and the waiting execution resumes; the unsigned sample resumes nothing.
func TestPutEventsByHandWithTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not on PATH")
	}
	e := start(t, 60*time.Second)
	arn, cb, ref := e.startWaiting(t, "byhand")
	root, _ := filepath.Abs("../..")
	awsCLI := func(args ...string) string {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", e.stack.Outputs.Endpoint, "--output", "json"}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION="+e.stack.Region,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Unsigned: accepted by the bus, matched, rejected by the resolver.
	rejected := e.stack.Metrics.Snapshot()["CallbacksRejected"]
	out := awsCLI("events", "put-events", "--entries", "file://events/valuation-completed.json")
	if !strings.Contains(out, `"FailedEntryCount": 0`) {
		t.Fatalf("put-events: %s", out)
	}
	localtest.Eventually(t, busy, "the unsigned sample to be rejected", func() (bool, string) {
		return e.stack.Metrics.Snapshot()["CallbacksRejected"] > rejected, ""
	})
	if st, _ := e.status(t, arn); st != sfntypes.ExecutionStatusRunning {
		t.Fatalf("an unsigned event resumed the execution: %s", st)
	}
	// Signed for this callback id: resumes it.
	signed, err := local.SignEntriesFile(filepath.Join(root, "events/valuation-completed.json"), cb, ref, e.stack.Secret(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(e.dir, "entries.json")
	if err := os.WriteFile(f, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	awsCLI("events", "put-events", "--entries", "file://"+f)
	localtest.Eventually(t, busy, "the execution to resume", func() (bool, string) {
		st, _ := e.status(t, arn)
		return st == sfntypes.ExecutionStatusSucceeded, string(st)
	})
	_, output := e.status(t, arn)
	var d contracts.LoanDecision
	if err := contracts.Decode(contracts.SchemaLoanDecision, []byte(output), &d); err != nil {
		t.Fatalf("output %s: %v", output, err)
	}
	if d.Decision != contracts.DecisionReferred || d.Reason != contracts.ReasonLTVNeedsUnderwriter { // £250,000 on £325,000: 76.9%
		t.Fatalf("output %s", output)
	}
	item := awsCLI("dynamodb", "get-item", "--table-name", local.TableName, "--key", `{"callbackId":{"S":"`+cb+`"}}`)
	if !strings.Contains(item, `"RESOLVED"`) {
		t.Fatalf("token record after resume: %s", item)
	}
	hist := awsCLI("stepfunctions", "get-execution-history", "--execution-arn", arn)
	if !strings.Contains(hist, "TaskSucceeded") || !strings.Contains(hist, "ExecutionSucceeded") {
		t.Fatalf("history: %s", hist)
	}
}

// A rule target that keeps failing exhausts its retry policy and the event
// lands in the target's dead-letter queue with EventBridge's attributes.
func TestFailingRuleTargetEndsInItsDLQ(t *testing.T) {
	e := start(t, 8*time.Second)
	ctx := context.Background()
	bus := e.stack.Outputs.EventBusName
	if _, err := e.evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("audit"), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["loanflow.audit"]}`)}); err != nil {
		t.Fatal(err)
	}
	dlqARN := "arn:aws:sqs:" + e.stack.Region + ":000000000000:" + local.CallbackDLQName
	if _, err := e.evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("audit"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("gone"), Arn: aws.String("arn:aws:lambda:" + e.stack.Region + ":000000000000:function:no-such-function"),
			RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(1), MaximumEventAgeInSeconds: aws.Int32(60)},
			DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}}}}); err != nil {
		t.Fatal(err)
	}
	out, err := e.evb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("loanflow.audit"), DetailType: aws.String("Audit"), Detail: aws.String(`{"n":1}`), EventBusName: aws.String(bus)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put-events: %+v %v", out, err)
	}
	var msgs []sqstypes.Message
	localtest.Eventually(t, 2*busy, "the event in the DLQ", func() (bool, string) {
		r, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.stack.Outputs.CallbackDLQURL),
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		msgs = r.Messages
		return len(msgs) == 1, fmt.Sprint(len(msgs))
	})
	m := msgs[0]
	if !strings.Contains(aws.ToString(m.Body), `"source":"loanflow.audit"`) ||
		aws.ToString(m.MessageAttributes["RETRY_ATTEMPTS"].StringValue) != "1" ||
		!strings.HasSuffix(aws.ToString(m.MessageAttributes["RULE_ARN"].StringValue), "rule/"+bus+"/audit") {
		t.Fatalf("dead letter: %s %+v", aws.ToString(m.Body), m.MessageAttributes)
	}
}
