package sfnapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/awsjson"
	localsfn "loanflow/infra/local/sfn"
	"loanflow/infra/local/sqlitedb"
)

const (
	role    = "arn:aws:iam::000000000000:role/r"
	passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"End":true}}}`
)

// flakyInvoker fails every call to a resource while failing[resource] is
// set, and catches task tokens.
type flakyInvoker struct {
	tokenCatcher
	mu      sync.Mutex
	failing bool
	calls   int
}

func (f *flakyInvoker) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	f.mu.Lock()
	f.calls++
	failing := f.failing
	f.mu.Unlock()
	if failing {
		return nil, &asl.TaskError{Name: "Flaky", Cause: "failing on purpose"}
	}
	return f.tokenCatcher.Invoke(ctx, call)
}

func (f *flakyInvoker) setFailing(v bool) {
	f.mu.Lock()
	f.failing = v
	f.mu.Unlock()
}

// testStack serves an engine on a SQLite file at path over HTTP.
type testStack struct {
	e      *localsfn.Engine
	url    string
	client *sfn.Client
	close  func()
}

func startStack(t *testing.T, path string, inv asl.Invoker) *testStack {
	t.Helper()
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := localsfn.New(db, localsfn.Options{Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), Service(e)))
	client := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	var once sync.Once
	s := &testStack{e: e, url: srv.URL, client: client, close: func() {
		once.Do(func() { srv.Close(); e.Close(); sqlitedb.Close(db) })
	}}
	t.Cleanup(s.close)
	return s
}

func newStack(t *testing.T, inv asl.Invoker) *testStack {
	return startStack(t, filepath.Join(t.TempDir(), "sfn.db"), inv)
}

// wantAPIError fails unless err is the AWS error code with the message.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("%s: want %s %q, got %v", what, code, msg, err)
	}
}

func createMachine(t *testing.T, c *sfn.Client, name, def string) string {
	t.Helper()
	out, err := c.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// waitStatus polls DescribeExecution until its status is not RUNNING.
func waitStatus(t *testing.T, c *sfn.Client, exec string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running", exec)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestListStateMachinesPagesWithMaxResults(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		want = append(want, createMachine(t, s.client, n, passDef))
	}
	var got []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.StateMachines) > 2 || pages > 3 {
			t.Fatalf("page %d: %d machines", pages, len(out.StateMachines))
		}
		for _, m := range out.StateMachines {
			got = append(got, aws.ToString(m.StateMachineArn))
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if !slices.Equal(got, want) {
		t.Fatalf("over the pages: %v, want %v", got, want)
	}
	_, err := s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1001})
	wantAPIError(t, "ListStateMachines maxResults 1001", err, "ValidationException",
		"1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
	_, err = s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(want[0]), MaxResults: 1001})
	wantAPIError(t, "ListExecutions maxResults 1001", err, "ValidationException",
		"1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
}

func TestMalformedBodyIsSerializationException(t *testing.T) {
	s := newStack(t, nil)
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader("{not json"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"__type":"SerializationException"`) {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
}

func TestDescribeStateMachineHasLoggingAndTracing(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	arn := createMachine(t, s.client, "defaults", passDef)
	out, err := s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.LoggingConfiguration == nil || out.LoggingConfiguration.Level != types.LogLevelOff || out.LoggingConfiguration.IncludeExecutionData ||
		out.TracingConfiguration == nil || out.TracingConfiguration.Enabled {
		t.Fatalf("defaults: logging %+v tracing %+v", out.LoggingConfiguration, out.TracingConfiguration)
	}
	group := "arn:aws:logs:us-east-1:000000000000:log-group:sfn:*"
	logged, err := s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("logged"), Definition: aws.String(passDef), RoleArn: aws.String(role),
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelAll, IncludeExecutionData: true,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String(group)}}}},
		TracingConfiguration: &types.TracingConfiguration{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: logged.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	l := out.LoggingConfiguration
	if l.Level != types.LogLevelAll || !l.IncludeExecutionData || len(l.Destinations) != 1 || aws.ToString(l.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn) != group || !out.TracingConfiguration.Enabled {
		t.Fatalf("as created: logging %+v tracing %+v", l, out.TracingConfiguration)
	}
	if _, err := s.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: logged.StateMachineArn,
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelOff}, TracingConfiguration: &types.TracingConfiguration{Enabled: false}}); err != nil {
		t.Fatal(err)
	}
	out, _ = s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: logged.StateMachineArn})
	if out.LoggingConfiguration.Level != types.LogLevelOff || out.TracingConfiguration.Enabled {
		t.Fatalf("after update: logging %+v tracing %+v", out.LoggingConfiguration, out.TracingConfiguration)
	}
	_, err = s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("nodest"), Definition: aws.String(passDef), RoleArn: aws.String(role),
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelError}})
	wantAPIError(t, "level ERROR without a destination", err, "InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
}

func TestSendTaskAfterStopIsTaskTimedOut(t *testing.T) {
	ctx := context.Background()
	inv := &tokenCatcher{}
	s := newStack(t, inv)
	arn := createMachine(t, s.client, "wait", def)
	x, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for inv.last() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.client.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: x.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	const msg = "Task Timed Out: 'Provided task does not exist anymore'"
	_, err = s.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(inv.last()), Output: aws.String("{}")})
	wantAPIError(t, "SendTaskSuccess", err, "TaskTimedOut", msg)
	_, err = s.client.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(inv.last())})
	wantAPIError(t, "SendTaskFailure", err, "TaskTimedOut", msg)
	_, err = s.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(inv.last())})
	wantAPIError(t, "SendTaskHeartbeat", err, "TaskTimedOut", msg)
}

func TestErrorWordingAsAWS(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	_, err := s.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("NoSuchTaskToken"), Output: aws.String("{}")})
	wantAPIError(t, "SendTaskSuccess", err, "InvalidToken", "Invalid Token: 'Invalid token'")
	_, err = s.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("NoSuchTaskToken")})
	wantAPIError(t, "SendTaskHeartbeat", err, "InvalidToken", "Invalid Token: 'Invalid token'")
	_, err = s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("not_a_valid_arn")})
	wantAPIError(t, "DescribeStateMachine", err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'")
	_, err = s.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("nope")})
	wantAPIError(t, "DescribeExecution", err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: nope'")
	_, err = s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("x"), Definition: aws.String(`{"StartAt":"A"}`), RoleArn: aws.String(role)})
	wantAPIError(t, "definition without States", err, "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'")
	arn := createMachine(t, s.client, "p", passDef)
	_, err = s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String("not a json")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidExecutionInput" || !strings.HasPrefix(ae.ErrorMessage(), "Invalid State Machine Execution Input: '") {
		t.Fatalf("StartExecution with input not JSON: %v", err)
	}
}

func TestOperationsAreServed(t *testing.T) {
	ops := Operations()
	if !slices.IsSorted(ops) {
		t.Fatalf("not sorted: %v", ops)
	}
	svc := Service(nil)
	if len(ops) != len(svc.Ops) {
		t.Fatalf("Operations lists %d, Service serves %d", len(ops), len(svc.Ops))
	}
	for _, want := range []string{"DeleteStateMachine", "DescribeStateMachineForExecution", "ValidateStateMachineDefinition", "TagResource", "RedriveExecution"} {
		if !slices.Contains(ops, want) {
			t.Errorf("%s is not listed", want)
		}
	}
}
