package integrations_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/infra/local"
	"loanflow/infra/local/localtest"
)

// sendDef is a state machine whose one Task sends its input's fields with
// sqs:sendMessage: the FIFO ones only when the input has them.
func sendDef(withGroup, withDelay bool) string {
	p := `"QueueUrl.$":"$.queue","MessageBody.$":"$.body","MessageDeduplicationId.$":"$.dedup",` +
		`"MessageAttributes":{"kind":{"DataType":"String","StringValue":"loan"},"blob":{"DataType":"Binary","BinaryValue":"AQID"}}`
	if withGroup {
		p += `,"MessageGroupId.$":"$.group"`
	}
	if withDelay {
		p += `,"DelaySeconds":5`
	}
	return `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{` + p + `},"End":true}}}`
}

// Issue 18: a state machine's sqs:sendMessage passes MessageGroupId,
// MessageDeduplicationId and MessageAttributes to a FIFO queue, which
// deduplicates as it does for SendMessage; SQS's refusals (no group id,
// a per-message delay on a FIFO queue) fail the task as Step Functions
// reports them: SQS.AmazonSQSException with SQS's error code in the cause.
func TestSendMessageToAFIFOQueueFromAStateMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := local.Start(ctx, local.Options{Addr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: quiet, FunctionLogger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cfg := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	sq, machines := sqs.NewFromConfig(cfg), sfn.NewFromConfig(cfg)

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("loans.fifo"),
		Attributes: map[string]string{"FifoQueue": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(q.QueueUrl)
	run := func(name, def string, input map[string]string) *sfn.DescribeExecutionOutput {
		t.Helper()
		m, err := machines.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
			RoleArn: aws.String("arn:aws:iam::" + local.AccountID + ":role/fifo-sender")})
		if err != nil {
			t.Fatal(err)
		}
		in, _ := json.Marshal(input)
		ex, err := machines.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: m.StateMachineArn, Input: aws.String(string(in))})
		if err != nil {
			t.Fatal(err)
		}
		var out *sfn.DescribeExecutionOutput
		if err := localtest.Poll(ctx, time.Minute, 20*time.Millisecond, "execution of "+name+" done", func() (bool, error) {
			out, err = machines.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
			return err != nil || out.Status != sfntypes.ExecutionStatusRunning, err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	input := map[string]string{"queue": url, "body": "loan 1", "group": "applicant-7", "dedup": "loan-1"}

	first := run("fifo-send", sendDef(true, false), input)
	if first.Status != sfntypes.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s %s", first.Status, aws.ToString(first.Error), aws.ToString(first.Cause))
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(first.Output)), &sent); err != nil {
		t.Fatal(err)
	}
	if sent["MessageId"] == "" || sent["SequenceNumber"] == nil || sent["MD5OfMessageAttributes"] == nil {
		t.Errorf("task result %v: want MessageId, SequenceNumber and MD5OfMessageAttributes", sent)
	}
	// The same deduplication id within five minutes: accepted, not stored.
	again := run("fifo-send-again", sendDef(true, false), input)
	if again.Status != sfntypes.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(again.Output), sent["MessageId"].(string)) {
		t.Errorf("the duplicate send: %s %s, want the first message's id %v", again.Status, aws.ToString(again.Output), sent["MessageId"])
	}

	recv, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recv.Messages) != 1 {
		t.Fatalf("received %d messages, want 1 (the second send is a duplicate)", len(recv.Messages))
	}
	m := recv.Messages[0]
	if aws.ToString(m.Body) != "loan 1" || m.Attributes["MessageGroupId"] != "applicant-7" || m.Attributes["MessageDeduplicationId"] != "loan-1" ||
		aws.ToString(m.MessageAttributes["kind"].StringValue) != "loan" || string(m.MessageAttributes["blob"].BinaryValue) != "\x01\x02\x03" {
		t.Errorf("received %q with attributes %v and message attributes %+v", aws.ToString(m.Body), m.Attributes, m.MessageAttributes)
	}

	for _, c := range []struct {
		name, def, cause string
	}{
		{"fifo-no-group", sendDef(false, false), "The request must contain the parameter MessageGroupId. (Service: AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: "},
		{"fifo-delay", sendDef(true, true), "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type. (Service: AmazonSQS; Status Code: 400; Error Code: InvalidParameterValue; Request ID: "},
	} {
		out := run(c.name, c.def, map[string]string{"queue": url, "body": "loan 2", "group": "applicant-8", "dedup": "loan-2"})
		if out.Status != sfntypes.ExecutionStatusFailed || aws.ToString(out.Error) != "SQS.AmazonSQSException" ||
			!strings.HasPrefix(aws.ToString(out.Cause), c.cause) || !strings.HasSuffix(aws.ToString(out.Cause), "; Proxy: null)") {
			t.Errorf("%s: %s %q %q, want FAILED SQS.AmazonSQSException %q...", c.name, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause), c.cause)
		}
	}
}
