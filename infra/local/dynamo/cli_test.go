package dynamo

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

func awsCLI(t *testing.T, endpoint string, out any, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = cliEnv()
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

// cliEnv is the environment of the aws CLI and boto3 in tests: fixed
// credentials and region, no config files, no pager.
func cliEnv() []string {
	return append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
}

// newTestServer serves s's DynamoDB protocol over HTTP.
func newTestServer(t *testing.T, s *Store) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), s.Service()))
	t.Cleanup(srv.Close)
	return srv
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	s := newTestStore(t, &testClock{now: time.Now()})
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), s.Service()))
	defer srv.Close()
	run := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv.URL, out, args...); err != nil {
			t.Fatalf("aws %s: %v: %s", strings.Join(args, " "), err, stderr)
		}
	}
	run(nil, "dynamodb", "create-table", "--table-name", "tokens", "--billing-mode", "PAY_PER_REQUEST",
		"--attribute-definitions", "AttributeName=callbackId,AttributeType=S", "--key-schema", "AttributeName=callbackId,KeyType=HASH")
	run(nil, "dynamodb", "put-item", "--table-name", "tokens", "--item", `{"callbackId":{"S":"cb-1"},"status":{"S":"PENDING"},"n":{"N":"1.50"}}`,
		"--condition-expression", "attribute_not_exists(callbackId)")
	var got struct{ Item map[string]map[string]string }
	run(&got, "dynamodb", "get-item", "--table-name", "tokens", "--key", `{"callbackId":{"S":"cb-1"}}`)
	if got.Item["status"]["S"] != "PENDING" || got.Item["n"]["N"] != "1.5" {
		t.Fatalf("get-item = %+v", got)
	}
	stderr, err := awsCLI(t, srv.URL, nil, "dynamodb", "put-item", "--table-name", "tokens", "--item", `{"callbackId":{"S":"cb-1"}}`,
		"--condition-expression", "attribute_not_exists(callbackId)")
	if err == nil || !strings.Contains(stderr, "ConditionalCheckFailedException") {
		t.Errorf("conditional put: %v: %s", err, stderr)
	}
	var scan struct{ Count int }
	run(&scan, "dynamodb", "scan", "--table-name", "tokens")
	if scan.Count != 1 {
		t.Errorf("scan count = %d", scan.Count)
	}
}
