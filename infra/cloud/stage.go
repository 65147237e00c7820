package cloud

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// StatefulResourceTypes are the resources that hold data or keys: what a
// stage's removal policy governs. Everything else (roles, functions,
// alarms, the API) is rebuilt from the template and simply goes with its stack.
var StatefulResourceTypes = []string{
	"AWS::DynamoDB::Table",
	"AWS::SQS::Queue",
	"AWS::Logs::LogGroup",
	"AWS::SecretsManager::Secret",
	"AWS::KMS::Key",
	"AWS::Events::Archive",
}

// applyStageRemovalPolicy gives every stateful resource of the stack the
// stage's removal policy (Settings.RemovalPolicy): prod retains its table,
// queues, logs, secrets, key and event archive when they leave the stack;
// other stages delete them with it.
func applyStageRemovalPolicy(stack awscdk.Stack, s Settings) {
	awscdk.RemovalPolicies_Of(stack).Apply(s.RemovalPolicy(), &awscdk.RemovalPolicyProps{
		ApplyToResourceTypes: jsii.Strings(StatefulResourceTypes...),
	})
}
