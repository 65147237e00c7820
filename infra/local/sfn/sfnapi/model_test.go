package sfnapi

import (
	"context"
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
