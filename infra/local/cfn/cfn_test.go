package cfn_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"

	"loanflow/infra/local/cfn"
)

func client(t *testing.T, s *cfn.Service) *cloudformation.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return cloudformation.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
}

// The AWS SDK reads the local stacks' outputs as it reads a deployed
// stack's, and gets CloudFormation's error for a stack that is not there.
func TestDescribeStacksThroughTheSDK(t *testing.T) {
	s := cfn.New("us-east-1", "000000000000")
	s.Put(cfn.Stack{Name: "LoanProcessor", Description: "loans", Outputs: []cfn.Output{
		{Key: "StateMachineArn", Value: "arn:aws:states:us-east-1:000000000000:stateMachine:LoanProcessor", Description: "start here"},
		{Key: "QueueUrl", Value: "http://127.0.0.1:4566/000000000000/valuation-requests & more <xml>"},
	}})
	s.Put(cfn.Stack{Name: "ValuationService"})
	c := client(t, s)
	ctx := context.Background()
	out, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("LoanProcessor")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Stacks) != 1 {
		t.Fatalf("stacks: %+v", out.Stacks)
	}
	st := out.Stacks[0]
	got := map[string]string{}
	for _, o := range st.Outputs {
		got[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if got["QueueUrl"] != "http://127.0.0.1:4566/000000000000/valuation-requests & more <xml>" || len(got) != 2 ||
		st.StackStatus != "CREATE_COMPLETE" || aws.ToString(st.StackName) != "LoanProcessor" || st.CreationTime == nil {
		t.Errorf("stack: %+v outputs %v", st, got)
	}
	byID, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: st.StackId})
	if err != nil || len(byID.Stacks) != 1 {
		t.Errorf("by stack id: %v %v", byID, err)
	}
	all, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	if err != nil || len(all.Stacks) != 2 {
		t.Errorf("all stacks: %v %v", all, err)
	}
	_, err = c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("dev-LoanProcessor")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
		t.Errorf("missing stack: %v", err)
	}
	list, err := c.ListStacks(ctx, &cloudformation.ListStacksInput{})
	if err != nil || len(list.StackSummaries) != 2 {
		t.Errorf("list: %v %v", list, err)
	}
	_, err = c.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("LoanProcessor")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" {
		t.Errorf("delete: %v", err)
	}
}
