package sfnapi

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// The tests here hold requests to the constraints of the Step Functions
// service model (botocore's stepfunctions service-2.json). The Go SDK does
// not check lengths, patterns or enums, so the server is the one to answer.

// TestListExecutionsStatusFilter: statusFilter is the model's
// ExecutionStatus enum, PENDING_REDRIVE included, and any other value is
// refused in AWS's words (LocalStack's test_sfn_api.snapshot.json, recorded
// against AWS).
func TestListExecutionsStatusFilter(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	arn := createMachine(t, s.client, "filtered", passDef)
	_, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: "succeeded"})
	wantAPIError(t, "statusFilter succeeded", err, "ValidationException",
		"1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
	out, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusPendingRedrive})
	if err != nil || len(out.Executions) != 0 {
		t.Fatalf("statusFilter PENDING_REDRIVE: %v, %d executions; want none", err, len(out.Executions))
	}
}

// TestNextTokenLengths: nextToken is at most 1,024 characters, 3,096 for
// ListExecutions, in AWS's words (LocalStack's test_sfn_api.snapshot.json,
// list-state-machines- and list-executions-invalid-param-long-nextToken,
// recorded against AWS).
func TestNextTokenLengths(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	arn := createMachine(t, s.client, "paged", passDef)
	long := strings.Repeat("x", 1025)
	_, err := s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: aws.String(long)})
	wantAPIError(t, "ListStateMachines nextToken of 1,025", err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024")
	_, err = s.client.ListActivities(ctx, &sfn.ListActivitiesInput{NextToken: aws.String(long)})
	wantAPIError(t, "ListActivities nextToken of 1,025", err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024")
	_, err = s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), NextToken: aws.String(long)})
	wantAPIError(t, "ListExecutions nextToken of 1,025", err, "InvalidToken", "Invalid Token: 'Invalid token'")
	longer := strings.Repeat("x", 3097)
	_, err = s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), NextToken: aws.String(longer)})
	wantAPIError(t, "ListExecutions nextToken of 3,097", err, "ValidationException",
		"1 validation error detected: Value '"+longer+"' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 3096")
}

// TestNextTokenOfAnotherList: a nextToken pages only the list it came from:
// given to another operation, or for another state machine's executions or
// another execution's history, it is InvalidToken.
func TestNextTokenOfAnotherList(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	a := createMachine(t, s.client, "a", passDef)
	b := createMachine(t, s.client, "b", passDef)
	var xs []string
	for _, sm := range []string{a, a, b} {
		out, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm)})
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, aws.ToString(out.ExecutionArn))
	}
	for _, x := range xs {
		waitStatus(t, s.client, x)
	}
	machines, err := s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1})
	if err != nil || machines.NextToken == nil {
		t.Fatalf("ListStateMachines: %v, want a next page", err)
	}
	execs, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(a), MaxResults: 1})
	if err != nil || execs.NextToken == nil {
		t.Fatalf("ListExecutions: %v, want a next page", err)
	}
	history, err := s.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(xs[0]), MaxResults: 1})
	if err != nil || history.NextToken == nil {
		t.Fatalf("GetExecutionHistory: %v, want a next page", err)
	}
	const invalid = "Invalid Token: 'Invalid token'"
	_, err = s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: execs.NextToken})
	wantAPIError(t, "ListStateMachines with a ListExecutions token", err, "InvalidToken", invalid)
	_, err = s.client.ListActivities(ctx, &sfn.ListActivitiesInput{NextToken: machines.NextToken})
	wantAPIError(t, "ListActivities with a ListStateMachines token", err, "InvalidToken", invalid)
	_, err = s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(b), NextToken: execs.NextToken})
	wantAPIError(t, "ListExecutions of b with a token of a's", err, "InvalidToken", invalid)
	_, err = s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(a), NextToken: history.NextToken})
	wantAPIError(t, "ListExecutions with a GetExecutionHistory token", err, "InvalidToken", invalid)
	_, err = s.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(xs[1]), NextToken: history.NextToken})
	wantAPIError(t, "GetExecutionHistory of another execution", err, "InvalidToken", invalid)
	// Each token still pages its own list.
	if _, err := s.client.ListStateMachines(ctx, &sfn.ListStateMachinesInput{NextToken: machines.NextToken}); err != nil {
		t.Errorf("ListStateMachines page 2: %v", err)
	}
	next, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(a), NextToken: execs.NextToken})
	if err != nil || len(next.Executions) != 1 {
		t.Errorf("ListExecutions page 2: %v, want 1 execution", err)
	}
	if _, err := s.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(xs[0]), NextToken: history.NextToken}); err != nil {
		t.Errorf("GetExecutionHistory page 2: %v", err)
	}
}

// TestStartExecutionTraceHeaderAndName: traceHeader is at most 256 ASCII
// characters and an execution's name at most 80 characters (the model's
// TraceHeader and Name), refused as ValidationExceptions.
func TestStartExecutionTraceHeaderAndName(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	arn := createMachine(t, s.client, "traced", passDef)
	long := strings.Repeat("h", 257)
	_, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), TraceHeader: aws.String(long)})
	wantAPIError(t, "traceHeader of 257", err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'traceHeader' failed to satisfy constraint: Member must have length less than or equal to 256")
	_, err = s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), TraceHeader: aws.String("Root=é")})
	wantAPIError(t, "traceHeader not ASCII", err, "ValidationException",
		`1 validation error detected: Value 'Root=é' at 'traceHeader' failed to satisfy constraint: Member must satisfy regular expression pattern: \p{ASCII}*`)
	name := strings.Repeat("n", 81)
	_, err = s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name)})
	wantAPIError(t, "name of 81", err, "ValidationException",
		"1 validation error detected: Value '"+name+"' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")
	// 80 characters are a name, whatever their bytes.
	if _, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(strings.Repeat("é", 80)),
		TraceHeader: aws.String(strings.Repeat("h", 256))}); err != nil {
		t.Fatalf("an 80-character name and a 256-character traceHeader: %v", err)
	}
}

// TestCreateStateMachineModelConstraints: CreateStateMachine's name is at
// most 80 characters, its roleArn at most 256 (UpdateStateMachine's too) and
// its type STANDARD or EXPRESS; the local engine runs STANDARD only.
// CreateActivity's name has the same limit.
func TestCreateStateMachineModelConstraints(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, nil)
	create := func(name, roleARN string, typ types.StateMachineType) error {
		_, err := s.client.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(passDef),
			RoleArn: aws.String(roleARN), Type: typ})
		return err
	}
	name := strings.Repeat("n", 81)
	wantAPIError(t, "name of 81", create(name, role, ""), "ValidationException",
		"1 validation error detected: Value '"+name+"' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")
	longRole := "arn:aws:iam::000000000000:role/" + strings.Repeat("r", 226)
	wantAPIError(t, "roleArn of 257", create("m", longRole, ""), "ValidationException",
		"1 validation error detected: Value '"+longRole+"' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 256")
	wantAPIError(t, "type BATCH", create("m", role, "BATCH"), "ValidationException",
		"1 validation error detected: Value 'BATCH' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]")
	wantAPIError(t, "type EXPRESS", create("m", role, types.StateMachineTypeExpress), "StateMachineTypeNotSupported", "")
	if err := create(strings.Repeat("é", 80), role, types.StateMachineTypeStandard); err != nil {
		t.Fatalf("an 80-character name: %v", err)
	}
	arn := createMachine(t, s.client, "updated", passDef)
	_, err := s.client.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn), RoleArn: aws.String(longRole)})
	wantAPIError(t, "UpdateStateMachine roleArn of 257", err, "ValidationException",
		"1 validation error detected: Value '"+longRole+"' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 256")
	_, err = s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	wantAPIError(t, "activity name of 81", err, "ValidationException",
		"1 validation error detected: Value '"+name+"' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")
}
