package sfnapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/sfnapi"
	"loanflow/infra/local/sqlitedb"
)

// tokenCatcher is an Invoker that remembers the last task token it saw.
type tokenCatcher struct{ tokens chan string }

func (c *tokenCatcher) Invoke(_ context.Context, call asl.TaskCall) (any, error) {
	c.tokens <- call.TaskToken
	return map[string]any{}, nil
}

func setup(t *testing.T) (*sfn.Client, *tokenCatcher) {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	inv := &tokenCatcher{tokens: make(chan string, 4)}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	e, err := asl.New(db, asl.Options{Invoker: inv, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(awsjson.NewMux(log, sfnapi.Service(e)))
	t.Cleanup(func() { srv.Close(); _ = e.Close(); _ = db.Close() })
	return sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")}), inv
}

const def = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
"Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"ResultPath":"$.result","End":true}}}`

func TestTaskTokenRoundTripThroughTheSDK(t *testing.T) {
	c, inv := setup(t)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("e1"), Input: aws.String(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	select {
	case token = <-inv.tokens:
	case <-time.After(5 * time.Second):
		t.Fatal("no task token")
	}
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatal(err)
	}
	var d *sfn.DescribeExecutionOutput
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn}); err != nil {
			t.Fatal(err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d.Status != sfntypes.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"a":1,"result":{"ok":true}}` {
		t.Fatalf("status %s output %s", d.Status, aws.ToString(d.Output))
	}
	// A second success on the same token is refused as AWS does.
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
	var tdne *sfntypes.TaskDoesNotExist
	var tto *sfntypes.TaskTimedOut
	if !errors.As(err, &tdne) && !errors.As(err, &tto) {
		t.Fatalf("second SendTaskSuccess: %v", err)
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil || len(h.Events) < 5 || h.Events[0].Type != sfntypes.HistoryEventTypeExecutionStarted ||
		h.Events[len(h.Events)-1].Type != sfntypes.HistoryEventTypeExecutionSucceeded {
		t.Fatalf("history: %v %v", h, err)
	}
	if h.Events[0].ExecutionStartedEventDetails == nil || aws.ToString(h.Events[0].ExecutionStartedEventDetails.Input) != `{"a":1}` {
		t.Fatalf("ExecutionStarted details: %+v", h.Events[0].ExecutionStartedEventDetails)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: sfntypes.ExecutionStatusSucceeded})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestErrorsCarryAWSCodes(t *testing.T) {
	c, _ := setup(t)
	ctx := context.Background()
	_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"X","States":{}}`),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	var inv *sfntypes.InvalidDefinition
	if !errors.As(err, &inv) {
		t.Fatalf("invalid definition: %v", err)
	}
	_, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:nope")})
	var dne *sfntypes.ExecutionDoesNotExist
	if !errors.As(err, &dne) {
		t.Fatalf("missing execution: %v", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("garbage"), Output: aws.String(`{}`)})
	var it *sfntypes.InvalidToken
	if !errors.As(err, &it) {
		t.Fatalf("garbage token: %v", err)
	}
}
