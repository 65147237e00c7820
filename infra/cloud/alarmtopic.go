package cloud

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlarmTopicProps configures an AlarmTopic.
type AlarmTopicProps struct {
	// Email, when set, subscribes an address (it must confirm the subscription).
	Email string
}

// AlarmTopic is where alarms notify: an SNS topic encrypted with its own
// rotating KMS key (CloudWatch cannot publish to a topic under the AWS
// managed aws/sns key), TLS only.
type AlarmTopic struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
}

// NewAlarmTopic builds the key and the topic.
func NewAlarmTopic(scope constructs.Construct, id string, props *AlarmTopicProps) *AlarmTopic {
	if props == nil {
		props = &AlarmTopicProps{}
	}
	c := constructs.NewConstruct(scope, &id)
	a := &AlarmTopic{Construct: c}
	a.Key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts loanflow's alarm notifications."),
		EnableKeyRotation: jsii.Bool(true),
	})
	a.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
	}), nil)
	a.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("loanflow alarms"),
		MasterKey:   a.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	if props.Email != "" {
		awssns.NewSubscription(c, jsii.String("Email"), &awssns.SubscriptionProps{
			Topic: a.Topic, Protocol: awssns.SubscriptionProtocol_EMAIL, Endpoint: jsii.String(props.Email),
		})
	}
	return a
}

// Notify makes every alarm notify the topic when it fires and when it recovers.
func (a *AlarmTopic) Notify(alarms ...awscloudwatch.Alarm) {
	action := awscloudwatchactions.NewSnsAction(a.Topic)
	for i, al := range alarms {
		if al == nil {
			panic(fmt.Sprintf("AlarmTopic: alarm %d is nil", i))
		}
		al.AddAlarmAction(action)
		al.AddOkAction(action)
	}
}
