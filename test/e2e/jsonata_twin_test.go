package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/infra/scenarios"
)

// twinPlaceholderRE matches a ${Name} definition substitution.
var twinPlaceholderRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// The JSONata twin of the loan processor (infra/statemachines/testdata)
// behaves as the deployed JSONPath definition: redeployed over it with
// UpdateStateMachine, it ends every demo scenario as expected, with the
// same decisions on the bus and the same queues afterwards.
func TestJSONataTwinEndsEveryScenarioAsExpected(t *testing.T) {
	e := start(t, scenarios.DefaultCallbackTimeout)
	if err := scenarios.CheckCallbackTimeout(e.stack.Config); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "infra", "statemachines", "testdata", "loan-processor.jsonata.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	values := e.stack.Config.LoanProcessorSubstitutions(e.stack.Outputs.QueueURL, e.stack.Config.EventBusName)
	def := twinPlaceholderRE.ReplaceAllStringFunc(string(src), func(p string) string {
		v, ok := values[p[2:len(p)-1]]
		if !ok {
			t.Fatalf("no substitution for %s", p)
		}
		return v
	})
	if _, err := e.sfn.UpdateStateMachine(context.Background(), &sfn.UpdateStateMachineInput{
		StateMachineArn: aws.String(e.stack.Outputs.LoanProcessorARN), Definition: aws.String(def)}); err != nil {
		t.Fatalf("deploy the JSONata twin: %v", err)
	}
	desc, err := e.sfn.DescribeStateMachine(context.Background(), &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(e.stack.Outputs.LoanProcessorARN)})
	if err != nil || aws.ToString(desc.Definition) != def {
		t.Fatalf("the loan processor does not run the twin (err %v)", err)
	}
	r := &scenarios.Runner{SFN: e.sfn, SQS: e.sqs, StateMachineARN: e.stack.Outputs.LoanProcessorARN, DLQURL: e.stack.Outputs.DLQURL,
		Counters: e.stack.Metrics.Snapshot, Deadline: scenarios.RunDeadline(e.stack.Config)}
	underwriters := e.underwriters(t)
	const per = 2
	results, err := r.Run(context.Background(), "jsonata", scenarios.All(), per)
	if err != nil {
		t.Fatal(err)
	}
	e.checkOutcomes(t, results, underwriters)
	for _, res := range results {
		if !res.OK() {
			t.Errorf("%s: %d/%d as expected; problems: %v", res.Scenario.Name, res.Passed, len(res.Loans), res.Problems)
		}
	}
	if n := e.depth(t, e.stack.Outputs.QueueURL); n != 0 {
		t.Errorf("request queue still holds %d messages", n)
	}
	if n := e.depth(t, e.stack.Outputs.DLQURL); n != per {
		t.Errorf("DLQ holds %d messages, want %d (the 5xx loans)", n, per)
	}
}
