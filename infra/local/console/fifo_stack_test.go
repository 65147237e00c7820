package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/local"
)

// startStack starts a local stack for a test.
func startStack(t *testing.T) *local.Stack {
	t.Helper()
	s, err := local.Start(context.Background(), local.Options{StateDir: t.TempDir(), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// queuePage returns the readable text of the console's page of a queue.
func queuePage(t *testing.T, s *local.Stack, name string) string {
	t.Helper()
	res, err := http.Get(s.Outputs.ConsoleURL + "queues/detail?name=" + name)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("queue page of %s: %d: %.500s", name, res.StatusCode, readable(string(b)))
	}
	return readable(string(b))
}

// wantGroups checks the FIFO view of claims.fifo: group loan-7 holds two
// messages, one in flight, and is locked; loan-9 holds one and is free.
func wantGroups(t *testing.T, page string) {
	t.Helper()
	for _, want := range []string{"claims.fifo FIFO", "Message groups 2", "1 locked in flight",
		"loan-7 2 1 locked in flight", "loan-9 1 0 available"} {
		if !strings.Contains(page, want) {
			t.Errorf("queue page: missing %q in %s", want, page)
		}
	}
}

// The local stack's console shows a FIFO queue's message groups, made
// through the AWS SDK for Go.
func TestTheLocalStackShowsFIFOGroups(t *testing.T) {
	s := startStack(t)
	ctx := context.Background()
	c := sqs.NewFromConfig(aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("claims.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range [][2]string{{"a", "loan-7"}, {"b", "loan-7"}, {"c", "loan-9"}} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(m[0]), MessageGroupId: aws.String(m[1])}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 1})
	if err != nil || len(r.Messages) != 1 || aws.ToString(r.Messages[0].Body) != "a" {
		t.Fatalf("receive: %+v %v", r, err)
	}
	wantGroups(t, queuePage(t, s, "claims.fifo"))
}

// The same, the queue made through boto3.
func TestTheLocalStackShowsFIFOGroupsMadeWithBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not importable")
	}
	s := startStack(t)
	const script = `
import os, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["ENDPOINT"], region_name=os.environ["REGION"],
                   aws_access_key_id="test", aws_secret_access_key="test")
url = sqs.create_queue(QueueName="claims.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
for body, group in [("a", "loan-7"), ("b", "loan-7"), ("c", "loan-9")]:
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
assert [m["Body"] for m in got] == ["a"], got
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", script)
	cmd.Env = append(os.Environ(), "ENDPOINT="+s.Outputs.Endpoint, "REGION="+s.Region, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3: %v\n%s", err, out.String())
	}
	wantGroups(t, queuePage(t, s, "claims.fifo"))
}
