package sfnapi

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// A machine with a running execution is DELETING until that execution
// ends: it fails States.Runtime at its next transition, then the machine is
// gone. One without executions is gone at once; an unknown one deletes fine.
func TestDeleteStateMachine(t *testing.T) {
	ctx := context.Background()
	inv := &tokenCatcher{}
	s := newStack(t, inv)
	if _, err := s.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:missing")}); err != nil {
		t.Fatalf("unknown machine: %v", err)
	}
	idle := createMachine(t, s.client, "idle", passDef)
	if _, err := s.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(idle)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(idle)})
	wantAPIError(t, "deleted machine", err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+idle+"'")

	busy := createMachine(t, s.client, "busy", def)
	x, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(busy)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for inv.last() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.client.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(busy)}); err != nil {
		t.Fatal(err)
	}
	d, err := s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(busy)})
	if err != nil || d.Status != types.StateMachineStatusDeleting {
		t.Fatalf("machine with a waiting execution: %+v %v", d, err)
	}
	_, err = s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(busy)})
	wantAPIError(t, "StartExecution of a deleting machine", err, "StateMachineDeleting", "")
	if _, err := s.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(inv.last()), Output: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}
	out := waitStatus(t, s.client, aws.ToString(x.ExecutionArn))
	if out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" || aws.ToString(out.Cause) != "State machine busy has been deleted." {
		t.Fatalf("execution of the deleted machine: %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	_, err = s.client.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(busy)})
	wantAPIError(t, "machine after its last execution", err, "StateMachineDoesNotExist", "")
	// The name is free again.
	createMachine(t, s.client, "busy", passDef)
}

func TestDescribeStateMachineForExecution(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	arn := createMachine(t, s.client, "m", passDef)
	x, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s.client, aws.ToString(x.ExecutionArn))
	other := `{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}`
	if _, err := s.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), Definition: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	out, err := s.client.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.StateMachineArn) != arn || aws.ToString(out.Name) != "m" || aws.ToString(out.Definition) != passDef ||
		aws.ToString(out.RoleArn) != role || out.UpdateDate == nil || out.LoggingConfiguration == nil {
		t.Fatalf("DescribeStateMachineForExecution: %+v", out)
	}
	_, err = s.client.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:000000000000:execution:m:none")})
	wantAPIError(t, "unknown execution", err, "ExecutionDoesNotExist", "")
}

func TestValidateStateMachineDefinition(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	ok, err := s.client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(passDef)})
	if err != nil || ok.Result != types.ValidateStateMachineDefinitionResultCodeOk || len(ok.Diagnostics) != 0 {
		t.Fatalf("valid: %+v %v", ok, err)
	}
	for _, c := range []struct{ def, code, msg, loc string }{
		{`{}`, "SCHEMA_VALIDATION_FAILED", "These fields are required: [States, StartAt]", "/"},
		{`{"States":{"A":{"Type":"Pass","End":true}}}`, "SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt]", "/"},
		{`{"StartAt":"B","States":{"A":{"Type":"Pass","End":true}}}`, "MISSING_TRANSITION_TARGET", "Missing 'Next' target: B", "/StartAt"},
	} {
		out, err := s.client.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(c.def)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(out.Diagnostics) == 0 {
			t.Fatalf("%s: %+v", c.def, out)
		}
		d := out.Diagnostics[0]
		if aws.ToString(d.Code) != c.code || aws.ToString(d.Message) != c.msg || aws.ToString(d.Location) != c.loc || d.Severity != types.ValidateStateMachineDefinitionSeverityError {
			t.Fatalf("%s: diagnostic %s %q at %s (%s)", c.def, aws.ToString(d.Code), aws.ToString(d.Message), aws.ToString(d.Location), d.Severity)
		}
	}
}

func TestTags(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	out, err := s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("tagged"), Definition: aws.String(passDef), RoleArn: aws.String(role),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("loans")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.StateMachineArn
	if _, err := s.client.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("local")}, {Key: aws.String("team"), Value: aws.String("risk")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	list, err := s.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tags) != 1 || aws.ToString(list.Tags[0].Key) != "team" || aws.ToString(list.Tags[0].Value) != "risk" {
		t.Fatalf("tags: %+v", list.Tags)
	}
	_, err = s.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:none")})
	wantAPIError(t, "unknown resource", err, "ResourceNotFound", "")
}

// redriveDef fails at its task while the invoker fails, after a Pass that
// must not run again on redrive.
const redriveDef = `{"StartAt":"Prepare","States":{"Prepare":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.prep","Next":"Call"},
 "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}}`

// A FAILED execution restarts at its failed state, with that state's input,
// after the engine restarted in between (the cursor is durable).
func TestRedriveExecutionRestartsFromTheFailedState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sfn.db")
	inv := &flakyInvoker{}
	inv.setFailing(true)
	s := startStack(t, path, inv)
	arn := createMachine(t, s.client, "redrive", redriveDef)
	x, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"loan":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	failed := waitStatus(t, s.client, aws.ToString(x.ExecutionArn))
	if failed.Status != types.ExecutionStatusFailed || failed.RedriveStatus != types.ExecutionRedriveStatusRedrivable || aws.ToInt32(failed.RedriveCount) != 0 {
		t.Fatalf("failed execution: %s %s %v", failed.Status, failed.RedriveStatus, failed.RedriveCount)
	}
	s.close()

	inv.setFailing(false)
	s = startStack(t, path, inv)
	out, err := s.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if out.RedriveDate == nil {
		t.Fatal("no redriveDate")
	}
	done := waitStatus(t, s.client, aws.ToString(x.ExecutionArn))
	if done.Status != types.ExecutionStatusSucceeded || aws.ToInt32(done.RedriveCount) != 1 || done.RedriveDate == nil ||
		done.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(done.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
		t.Fatalf("redriven execution: %s count %v date %v %s %q", done.Status, done.RedriveCount, done.RedriveDate, done.RedriveStatus, aws.ToString(done.RedriveStatusReason))
	}
	hist, err := s.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range hist.Events {
		names = append(names, string(ev.Type))
		if ev.Type == types.HistoryEventTypeExecutionRedriven && (ev.ExecutionRedrivenEventDetails == nil || ev.ExecutionRedrivenEventDetails.RedriveCount == nil || *ev.ExecutionRedrivenEventDetails.RedriveCount != 1) {
			t.Fatalf("ExecutionRedriven details: %+v", ev.ExecutionRedrivenEventDetails)
		}
	}
	got := strings.Join(names, ",")
	_, after, ok := strings.Cut(got, "ExecutionFailed,ExecutionRedriven,")
	if !ok || !strings.HasPrefix(after, "TaskStateEntered,") || strings.Contains(after, "PassStateEntered") || !strings.HasSuffix(after, "ExecutionSucceeded") {
		t.Fatalf("history: %s", got)
	}
	if strings.Count(got, "PassStateEntered") != 1 {
		t.Fatalf("Prepare ran again: %s", got)
	}
	_, err = s.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x.ExecutionArn})
	wantAPIError(t, "redrive of a SUCCEEDED execution", err, "ExecutionNotRedrivable", "")
}
