//go:build cloud

package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/infra/scenarios"
)

func TestScenariosOnAWS(t *testing.T) {
	stack := os.Getenv("LOANFLOW_STACK")
	if stack == "" {
		t.Skip("LOANFLOW_STACK is not set: deploy with `cdk deploy --all`, then LOANFLOW_STACK=<LoanProcessor stack name> go test -tags cloud ./test/cloud")
	}
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Skipf("no AWS configuration: %v", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Skipf("no AWS credentials: %v", err)
	}
	out, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil || len(out.Stacks) == 0 {
		t.Fatalf("describe stack %s: %v", stack, err)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, k := range []string{"StateMachineArn", "QueueUrl"} {
		if outputs[k] == "" {
			t.Fatalf("stack %s has no output %s (outputs: %v)", stack, k, outputs)
		}
	}
	sq := sqs.NewFromConfig(cfg)
	dlqURL, err := deadLetterQueue(ctx, sq, outputs["QueueUrl"])
	if err != nil {
		t.Fatal(err)
	}
	// Timeouts and the DLQ take the deployed callback timeout and
	// maxReceiveCount x visibility timeout (15 minutes by default): run them
	// only when asked, after deploying with -c callbackTimeout=60s.
	var list []scenarios.Scenario
	for _, s := range scenarios.All() {
		if (s.Slow || s.DeadLetters) && os.Getenv("LOANFLOW_CLOUD_SLOW") == "" {
			continue
		}
		list = append(list, s)
	}
	r := &scenarios.Runner{SFN: sfn.NewFromConfig(cfg), SQS: sq, StateMachineARN: outputs["StateMachineArn"], DLQURL: dlqURL,
		Deadline: 30 * time.Minute, Poll: time.Second}
	results, err := r.Run(ctx, fmt.Sprintf("cloud%d", time.Now().Unix()%1000000), list, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if !res.OK() {
			t.Errorf("%s: %d/%d as expected; %v", res.Scenario.Name, res.Passed, len(res.Loans), res.Problems)
		}
	}
}

func deadLetterQueue(ctx context.Context, sq *sqs.Client, queueURL string) (string, error) {
	a, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameRedrivePolicy}})
	if err != nil {
		return "", fmt.Errorf("queue attributes: %w", err)
	}
	var rp struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(a.Attributes[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &rp); err != nil {
		return "", fmt.Errorf("redrive policy: %w", err)
	}
	name := rp.DeadLetterTargetArn[strings.LastIndex(rp.DeadLetterTargetArn, ":")+1:]
	u, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("DLQ url: %w", err)
	}
	return aws.ToString(u.QueueUrl), nil
}
