package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const lsSNS = "LocalStack test_sns.snapshot.json (recorded against AWS)"

func (e *env) topicARN(name string) string {
	return "arn:aws:sns:" + e.region + ":" + e.account + ":" + name
}

func (e *env) newTopic(ctx context.Context) (string, error) {
	out, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(e.name("topic"))})
	if err != nil {
		return "", noErr("CreateTopic", err)
	}
	return aws.ToString(out.TopicArn), nil
}

func stsCases() []fcase {
	return []fcase{
		{
			name: "sts/GetCallerIdentityReturnsAccountArnAndUserId",
			fact: "GetCallerIdentity returns Account (12 digits), Arn (arn:aws:... of the caller, in that account) and UserId (API reference, GetCallerIdentity)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				if err != nil {
					return noErr("GetCallerIdentity", err)
				}
				return first(eq("Account is 12 digits", true, regexp.MustCompile(`^\d{12}$`).MatchString(str(out.Account))),
					eq("Arn names the account", true, strings.HasPrefix(str(out.Arn), "arn:aws:") && strings.Contains(str(out.Arn), ":"+str(out.Account)+":")),
					eq("UserId present", true, str(out.UserId) != "<nil>" && str(out.UserId) != ""))
			},
		},
		{
			name: "sts/GetCallerIdentityAccountIsTheResourcesAccount",
			fact: "the account GetCallerIdentity names is the account in the ARNs of the caller's resources (API reference, GetCallerIdentity; ARN format)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				if err != nil {
					return noErr("GetCallerIdentity", err)
				}
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				return eq("the account in a new topic's ARN", str(out.Account), strings.Split(topic, ":")[4])
			},
		},
	}
}

func snsCases() []fcase {
	return []fcase{
		{
			name: "sns/CreateTopicReturnsTopicArn",
			fact: "CreateTopic returns TopicArn arn:aws:sns:<region>:<account>:<name> (" + lsSNS + ", test_create_topic_with_attributes)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("topic")
				out, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
				if err != nil {
					return noErr("CreateTopic", err)
				}
				return eq("TopicArn", e.topicARN(name), str(out.TopicArn))
			},
		},
		{
			name: "sns/CreateTopicAgainReturnsTheSameArn",
			fact: "CreateTopic of an existing name (same attributes or none) returns the existing topic's ARN (" + lsSNS + ", test_create_topic_different_attrs)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("topic")
				a, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{"DisplayName": "Value1"}})
				if err != nil {
					return noErr("CreateTopic", err)
				}
				b, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
				if err != nil {
					return noErr("second CreateTopic", err)
				}
				return eq("TopicArn of the second CreateTopic", str(a.TopicArn), str(b.TopicArn))
			},
		},
		{
			name: "sns/CreateTopicWithOtherAttributesIsInvalidParameter",
			fact: "CreateTopic of an existing name with another attribute value fails InvalidParameter 'Invalid parameter: Attributes Reason: Topic already exists with different attributes' (" + lsSNS + ", test_create_topic_different_attrs)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("topic")
				if _, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{"DisplayName": "Value1"}}); err != nil {
					return noErr("CreateTopic", err)
				}
				_, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{"DisplayName": "Value2"}})
				return apiErr(err, "InvalidParameter", "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			},
		},
		{
			name: "sns/GetTopicAttributesGivesOwnerArnAndSubscriptionCounts",
			fact: "GetTopicAttributes returns TopicArn, Owner (the account), DisplayName and SubscriptionsConfirmed/Pending/Deleted 0 for a new topic (" + lsSNS + ", test_create_topic_different_attrs)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("topic")
				out, err := e.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{"DisplayName": "Value1"}})
				if err != nil {
					return noErr("CreateTopic", err)
				}
				a, err := e.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: out.TopicArn})
				if err != nil {
					return noErr("GetTopicAttributes", err)
				}
				at := a.Attributes
				return first(eq("TopicArn", str(out.TopicArn), at["TopicArn"]), eq("Owner", e.account, at["Owner"]), eq("DisplayName", "Value1", at["DisplayName"]),
					eq("SubscriptionsConfirmed", "0", at["SubscriptionsConfirmed"]), eq("SubscriptionsPending", "0", at["SubscriptionsPending"]),
					eq("SubscriptionsDeleted", "0", at["SubscriptionsDeleted"]))
			},
		},
		{
			name: "sns/GetTopicAttributesOfUnknownTopicIsNotFound",
			fact: "GetTopicAttributes of a well-formed ARN that names no topic fails NotFound 'Topic does not exist' (" + lsSNS + ", test_create_topic_with_attributes)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(e.topicARN(e.name("missing")))})
				return apiErr(err, "NotFound", "Topic does not exist")
			},
		},
		{
			name: "sns/PublishReturnsMessageId",
			fact: "Publish to a topic returns a MessageId (API reference, Publish)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				out, err := e.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("hello")})
				if err != nil {
					return noErr("Publish", err)
				}
				return eq("MessageId present", true, str(out.MessageId) != "<nil>" && str(out.MessageId) != "")
			},
		},
		{
			name: "sns/PublishEmptyMessageIsInvalidParameter",
			fact: "Publish of an empty message fails InvalidParameter 'Invalid parameter: Empty message' (" + lsSNS + ", test_empty_sns_message)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				_, err = e.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("")})
				return apiErr(err, "InvalidParameter", "Invalid parameter: Empty message")
			},
		},
		{
			name: "sns/PublishOver256KiBIsInvalidParameter",
			fact: "Publish of a message over 256 KiB fails InvalidParameter 'Invalid parameter: Message too long' (" + lsSNS + ", test_publish_too_long_message)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				_, err = e.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("This is a test message", 12000))})
				return apiErr(err, "InvalidParameter", "Invalid parameter: Message too long")
			},
		},
		{
			name: "sns/SubscribeSQSWithQueueURLIsInvalidParameter",
			fact: "Subscribe with protocol sqs and a queue URL instead of its ARN fails InvalidParameter 'Invalid parameter: SQS endpoint ARN' (" + lsSNS + ", test_subscribe_to_sqs_with_queue_url)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(url)})
				return apiErr(err, "InvalidParameter", "Invalid parameter: SQS endpoint ARN")
			},
		},
		{
			name: "sns/SubscribeWithUnknownProtocolIsInvalidParameter",
			fact: "Subscribe with an unknown protocol fails InvalidParameter 'Invalid parameter: Amazon SNS does not support this protocol string: test-protocol' (" + lsSNS + ", test_subscribe_with_invalid_protocol)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				_, err = e.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("test-protocol"), Endpoint: aws.String("localhost")})
				return apiErr(err, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol")
			},
		},
		{
			name: "sns/PublishDeliversANotificationEnvelopeToSQS",
			fact: "a message published to a topic reaches an SQS subscriber as a JSON envelope with Type Notification, MessageId (Publish's), TopicArn and Message (developer guide, Amazon SNS message and JSON formats)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				name := e.name("snsq")
				policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + e.queueARN(name) + `"}]}`
				url, err := e.createQueue(ctx, name, map[string]string{"Policy": policy})
				if err != nil {
					return err
				}
				if _, err := e.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(e.queueARN(name))}); err != nil {
					return noErr("Subscribe", err)
				}
				pub, err := e.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("loan decided")})
				if err != nil {
					return noErr("Publish", err)
				}
				ms, err := e.receiveWithin(ctx, url, 1, 30*time.Second, nil)
				if err != nil {
					return fmt.Errorf("the notification in the subscribed queue: %w", err)
				}
				var env map[string]any
				if err := json.Unmarshal([]byte(str(ms[0].Body)), &env); err != nil {
					return fmt.Errorf("delivered body: want the JSON envelope, got %q", str(ms[0].Body))
				}
				return first(eq("Type", "Notification", fmt.Sprint(env["Type"])), eq("MessageId", str(pub.MessageId), fmt.Sprint(env["MessageId"])),
					eq("TopicArn", topic, fmt.Sprint(env["TopicArn"])), eq("Message", "loan decided", fmt.Sprint(env["Message"])))
			},
		},
		{
			name: "sns/GetSubscriptionAttributesOfUnknownSubscriptionIsNotFound",
			fact: "GetSubscriptionAttributes of a well-formed ARN that names no subscription fails NotFound 'Subscription does not exist' (" + lsSNS + ", test_create_subscriptions_with_attributes)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				_, err = e.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(topic + ":0b1c5f8e-6f4e-4d5c-9b7a-3c2d1e0f9a8b")})
				return apiErr(err, "NotFound", "Subscription does not exist")
			},
		},
		{
			name: "sns/PublishBatchOver10EntriesIsTooManyEntriesInBatchRequest",
			fact: "PublishBatch with 11 entries fails TooManyEntriesInBatchRequest 'The batch request contains more entries than permissible.' (" + lsSNS + ", test_publish_batch_exceptions)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				var entries []snstypes.PublishBatchRequestEntry
				for i := range 11 {
					entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String("Id_" + strconv.Itoa(i)), Message: aws.String("Too many messages")})
				}
				_, err = e.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries})
				return apiErr(err, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
			},
		},
		{
			name: "sns/PublishBatchDuplicateIdsIsBatchEntryIdsNotDistinct",
			fact: "PublishBatch with two entries of one Id fails BatchEntryIdsNotDistinct 'Two or more batch entries in the request have the same Id.' (" + lsSNS + ", test_publish_batch_exceptions)",
			check: func(ctx context.Context, e *env) error {
				topic, err := e.newTopic(ctx)
				if err != nil {
					return err
				}
				entries := []snstypes.PublishBatchRequestEntry{{Id: aws.String("1"), Message: aws.String("Messages with the same ID")}, {Id: aws.String("1"), Message: aws.String("Messages with the same ID")}}
				_, err = e.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries})
				return apiErr(err, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
			},
		},
	}
}
