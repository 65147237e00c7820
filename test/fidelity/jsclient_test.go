package fidelity

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// jsClientDir is where the AWS SDK for JavaScript v3 clients are installed
// (.ci/run installs them, pinned, into tools/jsclient);
// LOANFLOW_JSCLIENT_DIR overrides it.
func jsClientDir() string {
	if d := os.Getenv("LOANFLOW_JSCLIENT_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "tools", "jsclient")
}

// jsResults is what testdata/jsclient_smoke.cjs observed, per service; a
// flow that threw reports Failed.
type jsResults struct {
	SQS struct {
		Failed               string
		QueueURLEndsWithName bool `json:"queueUrlEndsWithName"`
		SentMD5              string
		Received             int
		Body                 string
		Attribute            string
		AfterDelete          int
		MissingQueue         jsError
	}
	Events struct {
		Failed           string
		FailedEntryCount int
		FirstHasEventID  bool `json:"firstHasEventId"`
		SecondErrorCode  string
		Rules            []string
		RuleName         string
		RuleState        string
	}
	DynamoDB struct {
		Failed        string
		CreatedStatus string
		WaiterState   string
		ItemStatus    string
		QuerySortKeys []string
		Conditional   jsError
		MissingTable  jsError
	}
	SFN struct {
		Failed              string
		LoanInMessage       string
		StatusWhileWaiting  string
		Succeeded           struct{ Status, Output string }
		FailedExecution     struct{ Status, Error, Cause string } `json:"failed"`
		InvalidToken        jsError
		MissingStateMachine jsError
	}
}

// jsError is an error as the JavaScript SDK read it: its name is the code.
type jsError struct {
	Name, Message string
	Status        int
}

// TestJavaScriptSDKSmoke runs a short flow per service through the AWS SDK
// for JavaScript v3 (node, testdata/jsclient_smoke.cjs) against the shared
// local stack, and holds what it saw to AWS's answers: the JS SDK has its
// own protocol code (JSON 1.0 for SQS with query-compatible errors, DynamoDB
// checksums and namespaced error types, the DynamoDB table waiter). It
// skips without node or the installed clients.
func TestJavaScriptSDKSmoke(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	modules, err := filepath.Abs(filepath.Join(jsClientDir(), "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"client-sqs", "client-eventbridge", "client-dynamodb", "client-sfn"} {
		if _, err := os.Stat(filepath.Join(modules, "@aws-sdk", pkg, "package.json")); err != nil {
			t.Skipf("@aws-sdk/%s is not installed in %s (.ci/run installs it)", pkg, modules)
		}
	}
	e := stackEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "jsclient_smoke.cjs"), e.endpoint, e.region, e.run, sfnRole)
	// Only the endpoint and credentials the script gives: no profile,
	// config file or instance metadata of the machine running the test.
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node jsclient_smoke.cjs: %v\n%s%s", err, out, stderr.String())
	}
	var res jsResults
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "JSCLIENT-RESULTS "); ok {
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				t.Fatalf("the script's results: %v\n%s", err, rest)
			}
			found = true
		}
	}
	if !found {
		t.Fatalf("node printed no results:\n%s%s", out, stderr.String())
	}

	sum := md5.Sum([]byte("hello from js"))
	s, ev, d, f := res.SQS, res.Events, res.DynamoDB, res.SFN
	for _, c := range []struct {
		what, fact string
		err        error
	}{
		{"sqs", "the flow ran", eq("error", "", s.Failed)},
		{"sqs", "CreateQueue's QueueUrl ends with the queue's name; SendMessage's MD5OfMessageBody is the hex MD5 of the body (API reference, SendMessage)",
			first(eq("QueueUrl ends with the name", true, s.QueueURLEndsWithName), eq("MD5OfMessageBody", hex.EncodeToString(sum[:]), s.SentMD5))},
		{"sqs", "ReceiveMessage returns the message with its attributes; once deleted the queue is empty (API reference, ReceiveMessage, DeleteMessage)",
			first(eq("messages received", 1, s.Received), eq("Body", "hello from js", s.Body), eq("attribute kind", "smoke", s.Attribute), eq("messages after delete", 0, s.AfterDelete))},
		{"sqs", "GetQueueUrl of a missing queue fails QueueDoesNotExist 'The specified queue does not exist.' (API reference, GetQueueUrl; JSON protocol)",
			first(eq("error name", "QueueDoesNotExist", s.MissingQueue.Name), eq("message", "The specified queue does not exist.", s.MissingQueue.Message))},

		{"events", "the flow ran", eq("error", "", ev.Failed)},
		{"events", "PutEvents fails only the entry whose Detail is not JSON, with ErrorCode MalformedDetail; the other gets an EventId (API reference, PutEvents)",
			first(eq("FailedEntryCount", 1, ev.FailedEntryCount), eq("first entry has EventId", true, ev.FirstHasEventID), eq("second ErrorCode", "MalformedDetail", ev.SecondErrorCode))},
		{"events", "ListRules with NamePrefix lists the rule PutRule made, ENABLED by default (API reference, PutRule, ListRules)",
			first(eq("rules listed", true, slices.Equal(ev.Rules, []string{ev.RuleName})), eq("State", "ENABLED", ev.RuleState))},

		{"dynamodb", "the flow ran", eq("error", "", d.Failed)},
		{"dynamodb", "CreateTable answers CREATING and the JS SDK's waitUntilTableExists returns once DescribeTable says ACTIVE (API reference, CreateTable)",
			first(eq("TableStatus", "CREATING", d.CreatedStatus), eq("waiter state", "SUCCESS", d.WaiterState))},
		{"dynamodb", "GetItem returns the item PutItem wrote; Query with sk >= 2 returns sort keys 2 and 3 in order (API reference, Query)",
			first(eq("status", "PENDING", d.ItemStatus), eq("query sort keys", "2,3", strings.Join(d.QuerySortKeys, ",")))},
		{"dynamodb", "a failed condition is ConditionalCheckFailedException 'The conditional request failed'; an item read of a missing table ResourceNotFoundException 'Requested resource not found', the JS SDK reading the code behind DynamoDB's namespace (" + lsDDB + ")",
			first(eq("condition error", "ConditionalCheckFailedException", d.Conditional.Name), eq("condition message", "The conditional request failed", d.Conditional.Message),
				eq("missing table error", "ResourceNotFoundException", d.MissingTable.Name), eq("missing table message", "Requested resource not found", d.MissingTable.Message))},

		{"sfn", "the flow ran", eq("error", "", f.Failed)},
		{"sfn", "a .waitForTaskToken task sends its message and the execution stays RUNNING; SendTaskSuccess resumes it, SUCCEEDED with the output given (API reference, SendTaskSuccess)",
			first(eq("loan in the message", "L-1", f.LoanInMessage), eq("status while waiting", "RUNNING", f.StatusWhileWaiting),
				eq("status", "SUCCEEDED", f.Succeeded.Status), eq("output", `{"value":250000}`, f.Succeeded.Output))},
		{"sfn", "SendTaskFailure fails the execution with the error and cause given (API reference, SendTaskFailure)",
			first(eq("status", "FAILED", f.FailedExecution.Status), eq("error", "ValuationFailed", f.FailedExecution.Error), eq("cause", "no comparable sales", f.FailedExecution.Cause))},
		{"sfn", "SendTaskSuccess with a malformed token fails InvalidToken; DescribeStateMachine of a missing machine StateMachineDoesNotExist \"State Machine Does Not Exist: '<arn>'\" (API reference; " + lsSFN + ")",
			first(eq("token error", "InvalidToken", f.InvalidToken.Name), eq("missing machine error", "StateMachineDoesNotExist", f.MissingStateMachine.Name),
				eq("missing machine message prefix", true, strings.HasPrefix(f.MissingStateMachine.Message, "State Machine Does Not Exist: 'arn:aws:states:")))},
	} {
		if c.err != nil {
			t.Errorf("%s: %s: %v", c.what, c.fact, c.err)
		}
	}
}
