package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/awsjson"
)

// awsCLI runs the aws CLI v1 against endpoint and decodes its JSON output.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil && out != nil && stdout.Len() > 0 {
		if jerr := json.Unmarshal(stdout.Bytes(), out); jerr != nil {
			t.Fatalf("aws %v: decode %q: %v", args, stdout.String(), jerr)
		}
	}
	return stderr.String(), err
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	b := newTestBroker(t, SystemClock{})
	// Set the base URL before serving: the CLI runs in another process, so
	// the race detector sees no ordering between a later write and the
	// server's reads.
	srv := httptest.NewUnstartedServer(awsjson.NewMux(slog.New(slog.DiscardHandler), b.Service()))
	b.baseURL = "http://" + srv.Listener.Addr().String()
	srv.Start()
	defer srv.Close()

	var created struct {
		QueueURL string `json:"QueueUrl"`
	}
	if stderr, err := awsCLI(t, srv.URL, &created, "sqs", "create-queue", "--queue-name", "cli"); err != nil {
		t.Fatalf("create-queue: %v: %s", err, stderr)
	}
	if created.QueueURL != srv.URL+"/000000000000/cli" {
		t.Fatalf("QueueUrl = %q", created.QueueURL)
	}
	var sent struct {
		MessageID        string `json:"MessageId"`
		MD5OfMessageBody string
	}
	if stderr, err := awsCLI(t, srv.URL, &sent, "sqs", "send-message", "--queue-url", created.QueueURL, "--message-body", "hi from the cli",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`); err != nil {
		t.Fatalf("send-message: %v: %s", err, stderr)
	}
	var attrs struct{ Attributes map[string]string }
	if stderr, err := awsCLI(t, srv.URL, &attrs, "sqs", "get-queue-attributes", "--queue-url", created.QueueURL, "--attribute-names", "All"); err != nil {
		t.Fatalf("get-queue-attributes: %v: %s", err, stderr)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Errorf("attributes = %v", attrs.Attributes)
	}
	var recv struct {
		Messages []struct {
			MessageID           string `json:"MessageId"`
			ReceiptHandle, Body string
			Attributes          map[string]string
		}
	}
	if stderr, err := awsCLI(t, srv.URL, &recv, "sqs", "receive-message", "--queue-url", created.QueueURL,
		"--attribute-names", "All", "--message-attribute-names", "All", "--wait-time-seconds", "1"); err != nil {
		t.Fatalf("receive-message: %v: %s", err, stderr)
	}
	if len(recv.Messages) != 1 || recv.Messages[0].Body != "hi from the cli" || recv.Messages[0].MessageID != sent.MessageID ||
		recv.Messages[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("received %+v", recv)
	}
	if stderr, err := awsCLI(t, srv.URL, nil, "sqs", "delete-message", "--queue-url", created.QueueURL, "--receipt-handle", recv.Messages[0].ReceiptHandle); err != nil {
		t.Fatalf("delete-message: %v: %s", err, stderr)
	}
	stderr, err := awsCLI(t, srv.URL, nil, "sqs", "get-queue-url", "--queue-name", "missing")
	if err == nil || !strings.Contains(stderr, "NonExistentQueue") {
		t.Errorf("get-queue-url of a missing queue: %v: %s", err, stderr)
	}
}
