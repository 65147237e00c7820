package sfnapi

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ListExecutions items carry redriveCount (0 until redriven) and, once
// redriven, redriveDate; redriveFilter keeps the redriven executions or the
// others, and a value outside its enum is a ValidationException.
func TestListExecutionsRedriveFieldsAndFilter(t *testing.T) {
	ctx := context.Background()
	inv := &flakyInvoker{}
	inv.setFailing(true)
	s := startStack(t, filepath.Join(t.TempDir(), "sfn.db"), inv)
	arn := createMachine(t, s.client, "listredrive", redriveDef)
	var execs []string
	for range 2 {
		x, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		waitStatus(t, s.client, aws.ToString(x.ExecutionArn))
		execs = append(execs, aws.ToString(x.ExecutionArn))
	}
	inv.setFailing(false)
	if _, err := s.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execs[0])}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s.client, execs[0])

	list := func(filter types.ExecutionRedriveFilter) map[string]types.ExecutionListItem {
		t.Helper()
		out, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), RedriveFilter: filter})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]types.ExecutionListItem{}
		for _, x := range out.Executions {
			m[aws.ToString(x.ExecutionArn)] = x
		}
		return m
	}
	all := list("")
	if len(all) != 2 {
		t.Fatalf("unfiltered: %d executions, want 2", len(all))
	}
	redriven, plain := all[execs[0]], all[execs[1]]
	if aws.ToInt32(redriven.RedriveCount) != 1 || redriven.RedriveDate == nil {
		t.Errorf("redriven item: redriveCount %v redriveDate %v, want 1 and a date", redriven.RedriveCount, redriven.RedriveDate)
	}
	if plain.RedriveCount == nil || *plain.RedriveCount != 0 || plain.RedriveDate != nil {
		t.Errorf("item never redriven: redriveCount %v redriveDate %v, want 0 and none", plain.RedriveCount, plain.RedriveDate)
	}
	if got := list(types.ExecutionRedriveFilterRedriven); len(got) != 1 || got[execs[0]].ExecutionArn == nil {
		t.Errorf("REDRIVEN: %v, want only %s", got, execs[0])
	}
	if got := list(types.ExecutionRedriveFilterNotRedriven); len(got) != 1 || got[execs[1]].ExecutionArn == nil {
		t.Errorf("NOT_REDRIVEN: %v, want only %s", got, execs[1])
	}
	_, err := s.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), RedriveFilter: "SOMETIMES"})
	wantAPIError(t, "bad redriveFilter", err, "ValidationException",
		"1 validation error detected: Value 'SOMETIMES' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]")
}
