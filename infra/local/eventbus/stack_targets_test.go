package eventbus_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/local"
)

// busyWait bounds a step that should happen at once (a delivery, an
// execution) on a machine whose cores are all busy.
const busyWait = time.Minute

func within(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(busyWait)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s (last: %s)", what, last)
}

// On the whole local stack, through the SDK: a rule's SNS topic target
// publishes (what the topic's SQS subscriber receives is the notification
// of the shaped input), and its state machine targets start executions
// whose input is the event, or the part InputPath picks.
func TestRuleTargetsOnTheLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	ctx := context.Background()
	s, err := local.Start(ctx, local.Options{Addr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: quiet(), FunctionLogger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cfg := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	evb, sq, topics, machines := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg), sfn.NewFromConfig(cfg)

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("evb-topic-subscriber")})
	if err != nil {
		t.Fatal(err)
	}
	queueARN := "arn:aws:sqs:" + s.Region + ":" + local.AccountID + ":evb-topic-subscriber"
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("evb-target-topic")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(queueARN)}); err != nil {
		t.Fatal(err)
	}
	const pass = `{"StartAt":"Done","States":{"Done":{"Type":"Pass","End":true}}}`
	machine := func(name string) string {
		out, err := machines.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(pass),
			RoleArn: aws.String("arn:aws:iam::" + local.AccountID + ":role/evb-target")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.StateMachineArn)
	}
	whole, part := machine("evb-target-whole"), machine("evb-target-part")

	if _, err := evb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-every-kind"), EventPattern: aws.String(`{"source":["evb.e2e"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := evb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-every-kind"), Targets: []ebtypes.Target{
		{Id: aws.String("topic"), Arn: topic.TopicArn, InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"loan": "$.detail.loan"}, InputTemplate: aws.String(`{"application": <loan>, "rule": <aws.events.rule-name>}`)}},
		{Id: aws.String("whole"), Arn: aws.String(whole)},
		{Id: aws.String("part"), Arn: aws.String(part), InputPath: aws.String("$.detail")},
	}}); err != nil {
		t.Fatal(err)
	}
	put, err := evb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("evb.e2e"), DetailType: aws.String("Loan Decided"), Detail: aws.String(`{"loan":"L-7","decision":"APPROVED"}`)}}})
	if err != nil || put.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %+v %v", put, err)
	}
	eventID := aws.ToString(put.Entries[0].EventId)

	var notification struct {
		Type     string `json:"Type"`
		TopicARN string `json:"TopicArn"`
		Message  string `json:"Message"`
	}
	within(t, "the topic's notification in its SQS subscriber", func() (bool, string) {
		out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) == 0 {
			return false, "no message"
		}
		return json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &notification) == nil, aws.ToString(out.Messages[0].Body)
	})
	if notification.Type != "Notification" || notification.TopicARN != aws.ToString(topic.TopicArn) ||
		notification.Message != `{"application":"L-7","rule":"to-every-kind"}` {
		t.Fatalf("notification: %+v", notification)
	}

	input := func(machine string) string {
		t.Helper()
		var got string
		within(t, "an execution of "+machine, func() (bool, string) {
			l, err := machines.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
			if err != nil || len(l.Executions) != 1 {
				return false, "no execution yet"
			}
			d, err := machines.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: l.Executions[0].ExecutionArn})
			if err != nil {
				return false, err.Error()
			}
			got = aws.ToString(d.Input)
			return true, ""
		})
		return got
	}
	if got := input(part); got != `{"loan":"L-7","decision":"APPROVED"}` {
		t.Fatalf("InputPath $.detail: the execution's input is %s", got)
	}
	var ev struct {
		ID         string `json:"id"`
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if got := input(whole); json.Unmarshal([]byte(got), &ev) != nil || ev.ID != eventID || ev.Source != "evb.e2e" || ev.DetailType != "Loan Decided" {
		t.Fatalf("without input settings the execution's input is the event: %s", got)
	}

	// The callback bus has the cloud stack's archive, to replay from.
	a, err := evb.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(local.CallbackArchiveName)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.EventSourceArn) != "arn:aws:events:"+s.Region+":"+local.AccountID+":event-bus/"+s.Outputs.EventBusName ||
		aws.ToInt32(a.RetentionDays) != 30 || aws.ToString(a.EventPattern) != `{"source":["loanflow.valuations"]}` || a.State != ebtypes.ArchiveStateEnabled {
		t.Fatalf("the callback archive: %+v", a)
	}
}
