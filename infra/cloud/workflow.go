package cloud

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/statemachines"
)

// WorkflowProps configures a Workflow.
type WorkflowProps struct {
	// Definition is the ASL template shared with the local stack.
	Definition statemachines.Definition
	// Substitutions fills every ${Placeholder} of the template, no more and no
	// less; values may be CDK tokens (ARNs, URLs).
	Substitutions map[string]string
	// Permissions is everything the definition's tasks may do; the role gets
	// nothing else beyond log delivery and X-Ray.
	Permissions []awsiam.PolicyStatement
	// LogRetentionDays is the execution log group's retention.
	LogRetentionDays int
	// Purpose describes the workflow.
	Purpose string
}

// Workflow is a Standard state machine deployed from an ASL file with
// DefinitionSubstitutions, so the template in CloudFormation is the file byte
// for byte. It logs errors (without execution data, which holds personal
// data) to its own log group and traces with X-Ray. Its stack decides what
// happens to the log group on deletion (Settings.RemovalPolicy).
type Workflow struct {
	constructs.Construct
	StateMachine awsstepfunctions.StateMachine
	LogGroup     awslogs.LogGroup
}

// NewWorkflow builds the state machine; it panics when the substitutions and
// the template's placeholders disagree.
func NewWorkflow(scope constructs.Construct, id string, props *WorkflowProps) *Workflow {
	if props == nil || props.Definition == "" || props.Purpose == "" {
		panic(fmt.Sprintf("Workflow %s: Definition and Purpose are required", id))
	}
	src, err := props.Definition.Source()
	if err != nil {
		panic(fmt.Sprintf("Workflow %s: %v", id, err))
	}
	var keys []string
	subs := map[string]*string{}
	for k, v := range props.Substitutions {
		keys = append(keys, k)
		subs[k] = jsii.String(v)
	}
	sort.Strings(keys)
	if want := statemachines.Placeholders(src); strings.Join(want, ",") != strings.Join(keys, ",") {
		panic(fmt.Sprintf("Workflow %s: %s needs substitutions for %v, got %v", id, props.Definition.File(), want, keys))
	}
	retention, ok := retentionDays[props.LogRetentionDays]
	if !ok {
		panic(fmt.Sprintf("Workflow %s: LogRetentionDays %d is not a CloudWatch Logs retention", id, props.LogRetentionDays))
	}

	c := constructs.NewConstruct(scope, &id)
	w := &Workflow{Construct: c}
	w.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: retention})
	w.StateMachine = awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(src)),
		DefinitionSubstitutions: &subs,
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          w.LogGroup,
			Level:                awsstepfunctions.LogLevel_ERROR,
			IncludeExecutionData: jsii.Bool(false),
		},
	})
	for _, p := range props.Permissions {
		w.StateMachine.AddToRolePolicy(p)
	}
	suppress(w.StateMachine, "AwsSolutions-SF1",
		"Executions log at ERROR on purpose: ALL would write every state transition, with its cost and volume, for workflows that wait days; the execution history keeps every event for 90 days.")
	suppress(w.StateMachine.Role().Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
		"CloudWatch Logs delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments and friends) support no resource-level permissions; the task permissions name their resources.",
		"Resource::*")

	return w
}
