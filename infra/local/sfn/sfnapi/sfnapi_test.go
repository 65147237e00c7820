package sfnapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/awsjson"
	localsfn "loanflow/infra/local/sfn"
	"loanflow/infra/local/sqlitedb"
)

type tokenCatcher struct {
	mu     sync.Mutex
	tokens []string
}

func (c *tokenCatcher) Invoke(_ context.Context, call asl.TaskCall) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens = append(c.tokens, call.TaskToken)
	return map[string]any{"MessageId": "m-1"}, nil
}

func (c *tokenCatcher) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) == 0 {
		return ""
	}
	return c.tokens[len(c.tokens)-1]
}

const def = `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},"Next":"Done"},"Done":{"Type":"Succeed"}}}`

func TestWithSDKClient(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "sfn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db)
	inv := &tokenCatcher{}
	e, err := localsfn.New(db, localsfn.Options{Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.NewJSONHandler(io.Discard, nil)), Service(e)))
	defer srv.Close()
	client := sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})

	sm, err := client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("loans"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::000000000000:role/r")})
	if err != nil {
		t.Fatal(err)
	}
	if *sm.StateMachineArn != "arn:aws:states:us-east-1:000000000000:stateMachine:loans" || sm.CreationDate == nil {
		t.Fatalf("CreateStateMachine: %+v", sm)
	}
	_, err = client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), Definition: aws.String(`{"StartAt":"X","States":{}}`), RoleArn: aws.String("r")})
	var invalid *types.InvalidDefinition
	if !errors.As(err, &invalid) {
		t.Fatalf("bad definition: %v", err)
	}
	start, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("loan-1"), Input: aws.String(`{"id":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(*start.StartDate) > time.Minute {
		t.Fatalf("startDate not decoded as epoch seconds: %v", start.StartDate)
	}
	deadline := time.Now().Add(10 * time.Second)
	for inv.last() == "" {
		if time.Now().After(deadline) {
			t.Fatal("task never invoked")
		}
		time.Sleep(time.Millisecond)
	}
	_, err = client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("nope"), Output: aws.String("{}")})
	var badToken *types.InvalidToken
	if !errors.As(err, &badToken) {
		t.Fatalf("garbage token: %v", err)
	}
	// The token row is written before Invoke, so success is accepted at once.
	if _, err := client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(inv.last()), Output: aws.String(`{"value":1}`)}); err != nil {
		t.Fatal(err)
	}
	var desc *sfn.DescribeExecutionOutput
	for {
		desc, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if desc.Status != types.ExecutionStatusRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if desc.Status != types.ExecutionStatusSucceeded || *desc.Output != `{"value":1}` || desc.StopDate == nil {
		t.Fatalf("DescribeExecution: %s %v", desc.Status, desc.Output)
	}
	_, err = client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(inv.last()), Output: aws.String("{}")})
	var gone *types.TaskDoesNotExist
	if !errors.As(err, &gone) {
		t.Fatalf("resolved token: %v", err)
	}
	list, err := client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: types.ExecutionStatusSucceeded})
	if err != nil || len(list.Executions) != 1 || *list.Executions[0].Name != "loan-1" {
		t.Fatalf("ListExecutions: %+v %v", list, err)
	}
	hist, err := client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range hist.Events {
		names = append(names, string(ev.Type))
	}
	if !strings.HasPrefix(strings.Join(names, ","), "ExecutionStarted,TaskStateEntered,TaskScheduled,TaskStarted,TaskSubmitted,TaskSucceeded") {
		t.Fatalf("history: %v", names)
	}
	if d := hist.Events[2].TaskScheduledEventDetails; d == nil || *d.ResourceType != "sqs" || !strings.Contains(*d.Parameters, "token") {
		t.Fatalf("taskScheduledEventDetails: %+v", d)
	}
	if d := hist.Events[1].StateEnteredEventDetails; d == nil || *d.Name != "Ask" || *d.Input != `{"id":1}` {
		t.Fatalf("stateEnteredEventDetails: %+v", d)
	}
	_, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:loans:nope")})
	var missing *types.ExecutionDoesNotExist
	if !errors.As(err, &missing) {
		t.Fatalf("missing execution: %v", err)
	}
}
