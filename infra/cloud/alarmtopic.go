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
	// DisplayName is the sender's name in notification emails.
	DisplayName string
	// Email, when set, subscribes an address (it must confirm the subscription).
	Email string
}

// AlarmTopic is where alarms notify: an SNS topic encrypted with its own
// rotating KMS key (CloudWatch cannot publish to a topic under the AWS
// managed aws/sns key), TLS only.
//
// Its resource policy is the topic's whole policy: once a statement is
// added (the TLS-only Deny), SNS's default policy, which let the account's
// principals publish, no longer applies. So the topic allows CloudWatch to
// publish explicitly, and the key lets CloudWatch use it, both only for
// alarms of this account and region (aws:SourceAccount, aws:SourceArn):
// without them no alarm would ever notify anyone.
type AlarmTopic struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
}

// NewAlarmTopic builds the key and the topic.
func NewAlarmTopic(scope constructs.Construct, id string, props *AlarmTopicProps) *AlarmTopic {
	if props == nil || props.DisplayName == "" {
		panic(fmt.Sprintf("AlarmTopic %s: DisplayName is required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	a := &AlarmTopic{Construct: c}
	stack := awscdk.Stack_Of(c)
	cloudwatch := awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)
	// Alarms of this account and region only: the confused-deputy guard.
	fromOurAlarms := &map[string]interface{}{
		"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		"ArnLike": map[string]interface{}{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	}
	a.Key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts loanflow's alarm notifications."),
		EnableKeyRotation: jsii.Bool(true),
	})
	a.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: fromOurAlarms,
	}), nil)
	a.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String(props.DisplayName),
		MasterKey:   a.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	a.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{cloudwatch},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{a.Topic.TopicArn()},
		Conditions: fromOurAlarms,
	}))
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
