package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the aws CLI against endpoint and decodes its JSON output.
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
	st := newStack(t, Options{})
	queueARN := st.createQueue("cli-q")

	var topic struct {
		TopicARN string `json:"TopicArn"`
	}
	if stderr, err := awsCLI(t, st.srv.URL, &topic, "sns", "create-topic", "--name", "cli-topic",
		"--attributes", "DisplayName=From the CLI", "--tags", "Key=team,Value=credit"); err != nil {
		t.Fatalf("create-topic: %v: %s", err, stderr)
	}
	if topic.TopicARN != "arn:aws:sns:us-east-1:000000000000:cli-topic" {
		t.Fatalf("TopicArn = %q", topic.TopicARN)
	}
	var sub struct {
		SubscriptionARN string `json:"SubscriptionArn"`
	}
	if stderr, err := awsCLI(t, st.srv.URL, &sub, "sns", "subscribe", "--topic-arn", topic.TopicARN, "--protocol", "sqs",
		"--notification-endpoint", queueARN, "--attributes", "RawMessageDelivery=true"); err != nil {
		t.Fatalf("subscribe: %v: %s", err, stderr)
	}
	var pub struct {
		MessageID string `json:"MessageId"`
	}
	if stderr, err := awsCLI(t, st.srv.URL, &pub, "sns", "publish", "--topic-arn", topic.TopicARN, "--message", "hi from the cli",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`); err != nil {
		t.Fatalf("publish: %v: %s", err, stderr)
	}
	m := st.receive("cli-q")
	if m.Body != "hi from the cli" || m.Attributes["k"].StringValue != "v" {
		t.Errorf("received %q %+v", m.Body, m.Attributes)
	}
	var attrs struct{ Attributes map[string]string }
	if stderr, err := awsCLI(t, st.srv.URL, &attrs, "sns", "get-topic-attributes", "--topic-arn", topic.TopicARN); err != nil {
		t.Fatalf("get-topic-attributes: %v: %s", err, stderr)
	}
	if attrs.Attributes["DisplayName"] != "From the CLI" || attrs.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Errorf("attributes = %v", attrs.Attributes)
	}
	var subs struct {
		Subscriptions []struct {
			SubscriptionARN    string `json:"SubscriptionArn"`
			Protocol, Endpoint string
		}
	}
	if stderr, err := awsCLI(t, st.srv.URL, &subs, "sns", "list-subscriptions-by-topic", "--topic-arn", topic.TopicARN); err != nil {
		t.Fatalf("list-subscriptions-by-topic: %v: %s", err, stderr)
	}
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].SubscriptionARN != sub.SubscriptionARN || subs.Subscriptions[0].Endpoint != queueARN {
		t.Errorf("subscriptions = %+v", subs)
	}
	stderr, err := awsCLI(t, st.srv.URL, nil, "sns", "publish", "--topic-arn", topic.TopicARN+"-missing", "--message", "x")
	if err == nil || !strings.Contains(stderr, "NotFound") || !strings.Contains(stderr, "Topic does not exist") {
		t.Errorf("publish to a missing topic: %v: %s", err, stderr)
	}
}
