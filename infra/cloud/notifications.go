package cloud

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NotificationTopicProps configures a NotificationTopic.
type NotificationTopicProps struct {
	// Name is the topic's physical name (stage-qualified by the caller).
	Name string
}

// NotificationTopic is where people who must act on a loan subscribe: the
// loan-referred rule publishes the Loan Decided events of loans referred
// because their valuation failed or timed out. It is encrypted with its own
// rotating KMS key and takes TLS only. EventBridge publishes with a role of
// its own (Publisher: sns:Publish on the topic and the key's use), so the
// topic's resource policy holds only the TLS Deny and no service principal
// is trusted on any rule's behalf; the role trusts EventBridge only for this
// account's rules.
type NotificationTopic struct {
	constructs.Construct
	Topic     awssns.Topic
	Key       awskms.Key
	Publisher awsiam.Role
}

// NewNotificationTopic builds the key and the topic.
func NewNotificationTopic(scope constructs.Construct, id string, props *NotificationTopicProps) *NotificationTopic {
	if props == nil || props.Name == "" {
		panic(fmt.Sprintf("NotificationTopic %s: Name is required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	n := &NotificationTopic{Construct: c}
	n.Key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts loanflow's loan notifications."),
		EnableKeyRotation: jsii.Bool(true),
	})
	n.Topic = awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		TopicName:   jsii.String(props.Name),
		DisplayName: jsii.String("loanflow loan notifications"),
		MasterKey:   n.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	account := awscdk.Stack_Of(c).Account()
	n.Publisher = awsiam.NewRole(c, jsii.String("Publisher"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge rules publish loan notifications with this role."),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": account},
		}),
	})
	n.Topic.GrantPublish(n.Publisher)
	suppress(n.Publisher.Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
		"kms:GenerateDataKey* is how KMS names the data-key actions SNS needs to encrypt a message; the statement is scoped to the topic's own key.",
		"Action::kms:GenerateDataKey*")
	return n
}
