package fidelity

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/infra/local/localtest"
)

// Sources the SQS facts cite.
const (
	lsSQS      = "LocalStack test_sqs.snapshot.json (recorded against AWS)"
	lsMoveTask = "LocalStack test_sqs_move_task.snapshot.json (recorded against AWS)"
	sqsJSV3    = "the query error code AWS sends in x-amzn-query-error (AWS SDK for JavaScript v3 client-sqs deserializers)"
)

func (e *env) createQueue(ctx context.Context, name string, attrs map[string]string) (string, error) {
	out, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("CreateQueue %s: want success, got: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// newQueue creates a queue with a fresh name; fifo adds the .fifo suffix and
// FifoQueue=true.
func (e *env) newQueue(ctx context.Context, fifo bool, attrs map[string]string) (name, url string, err error) {
	name = e.name("q")
	if fifo {
		name += ".fifo"
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["FifoQueue"] = "true"
	}
	url, err = e.createQueue(ctx, name, attrs)
	return name, url, err
}

func (e *env) queueAttrs(ctx context.Context, url string) (map[string]string, error) {
	out, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		return nil, fmt.Errorf("GetQueueAttributes All: want success, got: %w", err)
	}
	return out.Attributes, nil
}

// queueARN is the ARN AWS gives a queue.
func (e *env) queueARN(name string) string {
	return "arn:aws:sqs:" + e.region + ":" + e.account + ":" + name
}

func (e *env) send(ctx context.Context, url, body string) (*sqs.SendMessageOutput, error) {
	out, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		return nil, fmt.Errorf("SendMessage: want success, got: %w", err)
	}
	return out, nil
}

func (e *env) sendFIFO(ctx context.Context, url, body, group, dedup string) (*sqs.SendMessageOutput, error) {
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := e.sqs.SendMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("SendMessage (group %s): want success, got: %w", group, err)
	}
	return out, nil
}

// receive makes one ReceiveMessage call (short poll unless the input waits).
func (e *env) receive(ctx context.Context, url string, mod func(*sqs.ReceiveMessageInput)) ([]sqstypes.Message, error) {
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10}
	if mod != nil {
		mod(in)
	}
	out, err := e.sqs.ReceiveMessage(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("ReceiveMessage: want success, got: %w", err)
	}
	return out.Messages, nil
}

// receiveWithin polls until a receive returns n messages in total (short
// polls: SQS samples a subset of servers, so one short poll may miss some).
func (e *env) receiveWithin(ctx context.Context, url string, n int, within time.Duration, mod func(*sqs.ReceiveMessageInput)) ([]sqstypes.Message, error) {
	var got []sqstypes.Message
	err := localtest.Poll(ctx, within, pollEvery, fmt.Sprintf("receive %d message(s)", n), func() (bool, error) {
		ms, err := e.receive(ctx, url, mod)
		if err != nil {
			return true, err
		}
		got = append(got, ms...)
		return len(got) >= n, nil
	})
	return got, err
}

// md5OfAttributes is SQS's MD5 of message (or message system) attributes:
// the names sorted, each encoded as length-prefixed name, length-prefixed
// data type, a transport byte (1 string, 2 binary) and the length-prefixed
// value (developer guide, "Calculating the MD5 message digest for message
// attributes").
func md5OfAttributes(attrs map[string]attrValue) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	put := func(p []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	for _, n := range names {
		a := attrs[n]
		put([]byte(n))
		put([]byte(a.dataType))
		if a.binary != nil {
			b = append(b, 2)
			put(a.binary)
		} else {
			b = append(b, 1)
			put([]byte(a.str))
		}
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

type attrValue struct {
	dataType, str string
	binary        []byte
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sqsCases() []fcase {
	defaultAttr := func(name, attr, want string) fcase {
		return fcase{
			name: "sqs/Default" + name,
			fact: "CreateQueue without attributes: GetQueueAttributes " + attr + " is " + want + " (" + lsSQS + ", test_set_queue_attributes_default_values)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				attrs, err := e.queueAttrs(ctx, url)
				if err != nil {
					return err
				}
				got, ok := attrs[attr]
				if !ok {
					return fmt.Errorf("attribute %s: want %q, got absent", attr, want)
				}
				return eq(attr, want, got)
			},
		}
	}
	return []fcase{
		defaultAttr("VisibilityTimeoutIs30", "VisibilityTimeout", "30"),
		defaultAttr("MaximumMessageSizeIs1MiB", "MaximumMessageSize", "1048576"),
		defaultAttr("MessageRetentionPeriodIs4Days", "MessageRetentionPeriod", "345600"),
		defaultAttr("DelaySecondsIs0", "DelaySeconds", "0"),
		defaultAttr("ReceiveMessageWaitTimeSecondsIs0", "ReceiveMessageWaitTimeSeconds", "0"),
		defaultAttr("SqsManagedSseEnabledIsTrue", "SqsManagedSseEnabled", "true"),
		{
			name: "sqs/GetQueueAttributesAllOnStandardQueueListsTheStandardSet",
			fact: "GetQueueAttributes All on a new standard queue returns exactly the 12 standard attributes (" + lsSQS + ", test_set_queue_attributes_default_values)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				attrs, err := e.queueAttrs(ctx, url)
				if err != nil {
					return err
				}
				want := []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
					"CreatedTimestamp", "DelaySeconds", "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod", "QueueArn",
					"ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout"}
				got := make([]string, 0, len(attrs))
				for k := range attrs {
					got = append(got, k)
				}
				sort.Strings(got)
				return deepEq("attribute names", want, got)
			},
		},
		{
			name: "sqs/QueueArnIsArnAwsSqsRegionAccountName",
			fact: "a queue's QueueArn attribute is arn:aws:sqs:<region>:<account>:<name> (" + lsSQS + ", test_create_and_update_queue_attributes)",
			check: func(ctx context.Context, e *env) error {
				name, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				attrs, err := e.queueAttrs(ctx, url)
				if err != nil {
					return err
				}
				return eq("QueueArn", e.queueARN(name), attrs["QueueArn"])
			},
		},
		{
			name: "sqs/CreateQueueAgainWithSameAttributesReturnsSameURL",
			fact: "CreateQueue with the name and attributes of an existing queue returns its URL (API reference, CreateQueue)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("q")
				a, err := e.createQueue(ctx, name, map[string]string{"DelaySeconds": "1"})
				if err != nil {
					return err
				}
				b, err := e.createQueue(ctx, name, map[string]string{"DelaySeconds": "1"})
				if err != nil {
					return err
				}
				return eq("QueueUrl of the second CreateQueue", a, b)
			},
		},
		{
			name: "sqs/CreateQueueWithDifferentAttributesIsQueueAlreadyExists",
			fact: "CreateQueue of an existing name with a different attribute value fails QueueAlreadyExists naming the attribute (" + lsSQS + ", test_create_queue_with_different_attributes_raises_exception)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("q")
				if _, err := e.createQueue(ctx, name, map[string]string{"DelaySeconds": "1"}); err != nil {
					return err
				}
				_, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"DelaySeconds": "2"}})
				return apiErr(err, "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute DelaySeconds")
			},
		},
		{
			name: "sqs/GetQueueUrlOfUnknownQueueIsNonExistentQueue",
			fact: "GetQueueUrl of a queue that does not exist fails AWS.SimpleQueueService.NonExistentQueue 'The specified queue does not exist.' (" + lsSQS + ", test_non_existent_queue; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(e.name("missing"))})
				return apiErr(err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
			},
		},
		{
			name: "sqs/CreateQueueRecentlyDeletedIsQueueDeletedRecently",
			fact: "CreateQueue within 60 s of deleting a queue of the same name fails AWS.SimpleQueueService.QueueDeletedRecently (LocalStack test_create_queue_recently_deleted, AWS-validated; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				name, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
					return noErr("DeleteQueue", err)
				}
				_, err = e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
				return apiErr(err, "AWS.SimpleQueueService.QueueDeletedRecently",
					"You must wait 60 seconds after deleting a queue before you can create another with the same name.")
			},
		},
		{
			name: "sqs/SendMessageReturnsMD5OfMessageBody",
			fact: "SendMessage returns MD5OfMessageBody, the hex MD5 of the body: 78e731027d8fd50ed642340b7c9a63b3 for \"message\" (LocalStack test_send_receive_message, AWS-validated)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				out, err := e.send(ctx, url, "message")
				if err != nil {
					return err
				}
				return first(eq("MD5OfMessageBody", "78e731027d8fd50ed642340b7c9a63b3", str(out.MD5OfMessageBody)),
					eq("MessageId present", true, out.MessageId != nil && *out.MessageId != ""))
			},
		},
		{
			name: "sqs/SendMessageReturnsMD5OfMessageAttributes",
			fact: "SendMessage with attribute Foo (String \"Bar\") returns MD5OfMessageAttributes ae7155c6026991b6d54b11589678bf9c (" + lsSQS + ", test_receive_message_attribute_names_filters)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				out, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("msg"),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{"Foo": {DataType: aws.String("String"), StringValue: aws.String("Bar")}}})
				if err != nil {
					return noErr("SendMessage", err)
				}
				return eq("MD5OfMessageAttributes", "ae7155c6026991b6d54b11589678bf9c", str(out.MD5OfMessageAttributes))
			},
		},
		{
			name: "sqs/SendMessageReturnsMD5OfMessageSystemAttributes",
			fact: "SendMessage with the AWSTraceHeader system attribute returns MD5OfMessageSystemAttributes, the attribute MD5 of the system attributes (API reference, SendMessage; developer guide, message attribute MD5)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				trace := "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
				out, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("test"),
					MessageSystemAttributes: map[string]sqstypes.MessageSystemAttributeValue{
						"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)}}})
				if err != nil {
					return noErr("SendMessage", err)
				}
				want := md5OfAttributes(map[string]attrValue{"AWSTraceHeader": {dataType: "String", str: trace}})
				return eq("MD5OfMessageSystemAttributes", want, str(out.MD5OfMessageSystemAttributes))
			},
		},
		{
			name: "sqs/ReceiveMessageReturnsAWSTraceHeader",
			fact: "a message sent with an AWSTraceHeader is received with it among its Attributes when asked for (" + lsSQS + ", test_aws_trace_header_propagation)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				trace := "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
				if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("test"),
					MessageSystemAttributes: map[string]sqstypes.MessageSystemAttributeValue{
						"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)}}}); err != nil {
					return noErr("SendMessage", err)
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, func(in *sqs.ReceiveMessageInput) {
					in.MessageSystemAttributeNames = []sqstypes.MessageSystemAttributeName{"AWSTraceHeader"}
				})
				if err != nil {
					return err
				}
				return eq("Attributes[AWSTraceHeader]", trace, ms[0].Attributes["AWSTraceHeader"])
			},
		},
		{
			name: "sqs/ReceiveMessageOmitsMessageAttributesUnlessAsked",
			fact: "ReceiveMessage without MessageAttributeNames returns neither MessageAttributes nor MD5OfMessageAttributes (" + lsSQS + ", test_receive_message_attribute_names_filters)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("msg"),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{"Foo": {DataType: aws.String("String"), StringValue: aws.String("Bar")}}}); err != nil {
					return noErr("SendMessage", err)
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				return first(eq("len(MessageAttributes)", 0, len(ms[0].MessageAttributes)),
					eq("MD5OfMessageAttributes", "<nil>", str(ms[0].MD5OfMessageAttributes)))
			},
		},
		{
			name: "sqs/ReceiveMessageAllReturnsMessageAttributesAndTheirMD5",
			fact: "ReceiveMessage with MessageAttributeNames All returns the attributes and MD5OfMessageAttributes ae7155c6026991b6d54b11589678bf9c for Foo=Bar (" + lsSQS + ", test_receive_message_attribute_names_filters)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("msg"),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{"Foo": {DataType: aws.String("String"), StringValue: aws.String("Bar")}}}); err != nil {
					return noErr("SendMessage", err)
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, func(in *sqs.ReceiveMessageInput) { in.MessageAttributeNames = []string{"All"} })
				if err != nil {
					return err
				}
				return first(eq("MessageAttributes[Foo].StringValue", "Bar", str(ms[0].MessageAttributes["Foo"].StringValue)),
					eq("MD5OfMessageAttributes", "ae7155c6026991b6d54b11589678bf9c", str(ms[0].MD5OfMessageAttributes)),
					eq("MD5OfBody", md5Hex("msg"), str(ms[0].MD5OfBody)))
			},
		},
		{
			name: "sqs/ReceiveMessageAllSystemAttributes",
			fact: "ReceiveMessage with system attribute names All returns ApproximateFirstReceiveTimestamp, ApproximateReceiveCount 1, SenderId and SentTimestamp (" + lsSQS + ", test_receive_message_attribute_names_filters)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "msg"); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, func(in *sqs.ReceiveMessageInput) {
					in.MessageSystemAttributeNames = []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}
				})
				if err != nil {
					return err
				}
				a := ms[0].Attributes
				for _, k := range []string{"ApproximateFirstReceiveTimestamp", "SenderId", "SentTimestamp"} {
					if a[k] == "" {
						return fmt.Errorf("Attributes[%s]: want present, got %v", k, a)
					}
				}
				return eq("Attributes[ApproximateReceiveCount]", "1", a["ApproximateReceiveCount"])
			},
		},
		{
			name: "sqs/ReceivedMessageIsInvisibleDuringVisibilityTimeout",
			fact: "a received message is not returned again until its visibility timeout ends (developer guide, Amazon SQS visibility timeout)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "30"})
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "once"); err != nil {
					return err
				}
				if _, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil); err != nil {
					return err
				}
				ms, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 1 })
				if err != nil {
					return err
				}
				return eq("messages received again within the visibility timeout", 0, len(ms))
			},
		},
		{
			name: "sqs/MessageReappearsAfterVisibilityTimeoutWithReceiveCount2",
			fact: "a message not deleted within its visibility timeout is received again with ApproximateReceiveCount 2 (" + lsSQS + ", test_fifo_message_attributes; developer guide, visibility timeout)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "1"})
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "again"); err != nil {
					return err
				}
				all := func(in *sqs.ReceiveMessageInput) {
					in.MessageSystemAttributeNames = []sqstypes.MessageSystemAttributeName{"ApproximateReceiveCount"}
				}
				if _, err := e.receiveWithin(ctx, url, 1, 10*time.Second, all); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 15*time.Second, all)
				if err != nil {
					return err
				}
				return eq("ApproximateReceiveCount", "2", ms[0].Attributes["ApproximateReceiveCount"])
			},
		},
		{
			name: "sqs/ChangeMessageVisibilityZeroMakesMessageVisibleAtOnce",
			fact: "ChangeMessageVisibility with VisibilityTimeout 0 makes the message visible to other consumers immediately (API reference, ChangeMessageVisibility)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "300"})
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "back"); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
					ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
					return noErr("ChangeMessageVisibility 0", err)
				}
				_, err = e.receiveWithin(ctx, url, 1, 5*time.Second, nil)
				return err
			},
		},
		{
			name: "sqs/ChangeMessageVisibilityOver12HoursIsInvalidParameterValue",
			fact: "ChangeMessageVisibility above 43200 s (12 hours) fails InvalidParameterValue (API reference, ChangeMessageVisibility: 0 to 43200)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "long"); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
					ReceiptHandle: ms[0].ReceiptHandle, VisibilityTimeout: 43201})
				return apiErr(err, "InvalidParameterValue", "")
			},
		},
		{
			name: "sqs/DeleteMessageAfterVisibilityTimeoutSucceedsOnStandardQueue",
			fact: "on a standard queue, DeleteMessage with a receipt handle whose visibility timeout has passed still succeeds and deletes the message (" + lsSQS + ", test_delete_after_visibility_timeout)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "1"})
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "foobar"); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				if err := e.untilVisibilityExpires(ctx, url); err != nil {
					return err
				}
				if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle}); err != nil {
					return noErr("DeleteMessage with the expired handle", err)
				}
				left, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 2 })
				if err != nil {
					return err
				}
				return eq("messages left after the delete", 0, len(left))
			},
		},
		{
			name: "sqs/FifoDeleteMessageWithExpiredReceiptHandleIsInvalidParameterValue",
			fact: "on a FIFO queue, DeleteMessage with a receipt handle whose visibility timeout has passed fails InvalidParameterValue '... Reason: The receipt handle has expired.' (" + lsSQS + ", test_fifo_delete_after_visibility_timeout)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"VisibilityTimeout": "1", "ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				if _, err := e.sendFIFO(ctx, url, "foobar", "1", ""); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				if err := e.untilVisibilityExpires(ctx, url); err != nil {
					return err
				}
				_, err = e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle})
				return apiErr(err, "InvalidParameterValue",
					"Value "+str(ms[0].ReceiptHandle)+" for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
			},
		},
		{
			name: "sqs/DeleteMessageWithGarbageReceiptHandleIsReceiptHandleIsInvalid",
			fact: "DeleteMessage with a receipt handle SQS never issued fails ReceiptHandleIsInvalid (API reference, DeleteMessage errors; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
				return apiErr(err, "ReceiptHandleIsInvalid", "")
			},
		},
		{
			name: "sqs/SendMessageEmptyBodyIsMissingParameter",
			fact: "SendMessage with an empty MessageBody fails MissingParameter 'The request must contain the parameter MessageBody.' (" + lsSQS + ", test_send_empty_message)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")})
				return apiErr(err, "MissingParameter", "The request must contain the parameter MessageBody.")
			},
		},
		{
			name: "sqs/SendMessageOver1MiBIsInvalidParameterValue",
			fact: "SendMessage of 1 MiB + 1 byte to a default queue fails InvalidParameterValue 'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.' (" + lsSQS + ", test_send_oversized_message)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("a", 1048577))})
				return apiErr(err, "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.")
			},
		},
		{
			name: "sqs/SendMessageOverQueueMaximumMessageSizeIsInvalidParameterValue",
			fact: "SendMessage larger than the queue's MaximumMessageSize (1024) fails 'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.' (" + lsSQS + ", test_send_message_with_updated_maximum_message_size)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"MaximumMessageSize": "1024"})
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("a", 1025))})
				return apiErr(err, "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.")
			},
		},
		{
			name: "sqs/SendMessageEmptyStringAttributeIsInvalidParameterValue",
			fact: "a String message attribute with an empty value fails InvalidParameterValue \"Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.\" (" + lsSQS + ", test_send_message_with_empty_string_attribute)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{"ErrorDetails": {DataType: aws.String("String"), StringValue: aws.String("")}}})
				return apiErr(err, "InvalidParameterValue", "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.")
			},
		},
		{
			name: "sqs/SendMessageWithInvalidCharacterIsInvalidMessageContents",
			fact: "a message body with a character outside the allowed Unicode set (U+0000) fails InvalidMessageContents (API reference, SendMessage; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("a\u0000b")})
				return apiErr(err, "InvalidMessageContents", "")
			},
		},
		{
			name: "sqs/ReceiveMaxNumberOfMessages11IsInvalidParameterValue",
			fact: "ReceiveMessage with MaxNumberOfMessages 11 fails 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.' (" + lsSQS + ", test_send_receive_max_number_of_messages)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
				return apiErr(err, "InvalidParameterValue", "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.")
			},
		},
		{
			name: "sqs/ReceiveWaitTimeSeconds21IsInvalidParameterValue",
			fact: "ReceiveMessage with WaitTimeSeconds 21 fails 'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.' (" + lsSQS + ", test_send_receive_wait_time_seconds)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
				return apiErr(err, "InvalidParameterValue", "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.")
			},
		},
		{
			name: "sqs/LongPollReturnsMessageSentDuringTheWait",
			fact: "a long poll returns as soon as a message arrives during WaitTimeSeconds (developer guide, short and long polling)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				// Sent while the poll below waits.
				timer := time.AfterFunc(500*time.Millisecond, func() { _, _ = e.send(ctx, url, "late") })
				defer timer.Stop()
				start := time.Now()
				ms, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 10 })
				if err != nil {
					return err
				}
				if len(ms) != 1 {
					return fmt.Errorf("messages from a 10 s long poll with a message sent after 0.5 s: want 1, got %d after %v", len(ms), time.Since(start))
				}
				if d := time.Since(start); d > 8*time.Second {
					return fmt.Errorf("long poll returned the message after %v: want as soon as it arrives", d)
				}
				return nil
			},
		},
		{
			name: "sqs/LongPollOnEmptyQueueWaitsWaitTimeSeconds",
			fact: "a long poll on an empty queue returns an empty response only when WaitTimeSeconds has passed (developer guide, short and long polling)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				start := time.Now()
				ms, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 2 })
				if err != nil {
					return err
				}
				d := time.Since(start)
				return first(eq("messages", 0, len(ms)), eq("returned after at least 1.9 s", true, d >= 1900*time.Millisecond))
			},
		},
		{
			name: "sqs/QueueReceiveMessageWaitTimeSecondsMakesReceiveLongPoll",
			fact: "with the queue attribute ReceiveMessageWaitTimeSeconds set, a ReceiveMessage without WaitTimeSeconds long-polls for that time (developer guide, short and long polling)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"ReceiveMessageWaitTimeSeconds": "2"})
				if err != nil {
					return err
				}
				start := time.Now()
				ms, err := e.receive(ctx, url, nil)
				if err != nil {
					return err
				}
				d := time.Since(start)
				return first(eq("messages", 0, len(ms)), eq("returned after at least 1.9 s", true, d >= 1900*time.Millisecond))
			},
		},
		{
			name: "sqs/DelaySecondsHidesMessageUntilTheDelayEnds",
			fact: "a message sent with DelaySeconds is counted in ApproximateNumberOfMessagesDelayed and not received until the delay ends (developer guide, delay queues; API reference, SendMessage)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 5}); err != nil {
					return noErr("SendMessage DelaySeconds 5", err)
				}
				attrs, err := e.queueAttrs(ctx, url)
				if err != nil {
					return err
				}
				if err := eq("ApproximateNumberOfMessagesDelayed", "1", attrs["ApproximateNumberOfMessagesDelayed"]); err != nil {
					return err
				}
				ms, err := e.receive(ctx, url, nil)
				if err != nil {
					return err
				}
				if len(ms) != 0 {
					return fmt.Errorf("messages received during the delay: want 0, got %d", len(ms))
				}
				_, err = e.receiveWithin(ctx, url, 1, 20*time.Second, nil)
				return err
			},
		},
		{
			name: "sqs/SendMessageBatchOver10EntriesIsTooManyEntriesInBatchRequest",
			fact: "SendMessageBatch with 11 entries fails AWS.SimpleQueueService.TooManyEntriesInBatchRequest 'Maximum number of entries per request are 10. You have sent 11.' (" + lsSQS + ", test_too_many_entries_in_batch_request)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				var entries []sqstypes.SendMessageBatchRequestEntry
				for i := range 11 {
					entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("m")})
				}
				_, err = e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				return apiErr(err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11.")
			},
		},
		{
			name: "sqs/SendMessageBatchInvalidEntryIdIsInvalidBatchEntryId",
			fact: "a batch entry id with a character other than alphanumerics, - and _ fails AWS.SimpleQueueService.InvalidBatchEntryId (" + lsSQS + ", test_invalid_batch_id)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url),
					Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("invalid:id"), MessageBody: aws.String("m")}}})
				return apiErr(err, "AWS.SimpleQueueService.InvalidBatchEntryId",
					"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
			},
		},
		{
			name: "sqs/SendMessageBatchDuplicateIdsIsBatchEntryIdsNotDistinct",
			fact: "two batch entries with the same Id fail AWS.SimpleQueueService.BatchEntryIdsNotDistinct (API reference, SendMessageBatch errors; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url),
					Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("a"), MessageBody: aws.String("2")}}})
				return apiErr(err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "")
			},
		},
		{
			name: "sqs/SendMessageBatchWithNoEntriesIsEmptyBatchRequest",
			fact: "SendMessageBatch with no entries fails AWS.SimpleQueueService.EmptyBatchRequest (API reference, SendMessageBatch errors; " + sqsJSV3 + ")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{}})
				return apiErr(err, "AWS.SimpleQueueService.EmptyBatchRequest", "")
			},
		},
		{
			name: "sqs/SendMessageBatchOver1MiBIsBatchRequestTooLong",
			fact: "a batch whose bodies and attributes total 1048577 bytes fails AWS.SimpleQueueService.BatchRequestTooLong 'Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.' (" + lsSQS + ", test_send_message_batch_with_oversized_contents)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				attrs := map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("x")}}
				body := strings.Repeat("a", 1048576-len("k")-len("String")-len("x"))
				_, err = e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
					{Id: aws.String("1"), MessageBody: aws.String(body), MessageAttributes: attrs}, {Id: aws.String("2"), MessageBody: aws.String("a")}}})
				return apiErr(err, "AWS.SimpleQueueService.BatchRequestTooLong", "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.")
			},
		},
		{
			name: "sqs/SendMessageBatchReturnsIdMessageIdAndMD5PerEntry",
			fact: "SendMessageBatch returns, per entry, Successful{Id, MessageId, MD5OfMessageBody} (API reference, SendMessageBatchResultEntry)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				out, err := e.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.SendMessageBatchRequestEntry{
					{Id: aws.String("one"), MessageBody: aws.String("first")}, {Id: aws.String("two"), MessageBody: aws.String("second")}}})
				if err != nil {
					return noErr("SendMessageBatch", err)
				}
				if len(out.Successful) != 2 || len(out.Failed) != 0 {
					return fmt.Errorf("entries: want 2 successful and 0 failed, got %d and %d", len(out.Successful), len(out.Failed))
				}
				bodies := map[string]string{"one": "first", "two": "second"}
				for _, s := range out.Successful {
					if err := first(eq("MD5OfMessageBody of "+str(s.Id), md5Hex(bodies[str(s.Id)]), str(s.MD5OfMessageBody)),
						eq("MessageId of "+str(s.Id)+" present", true, str(s.MessageId) != "<nil>")); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			name: "sqs/DeleteMessageBatchReportsAnInvalidHandleAsAFailedEntry",
			fact: "DeleteMessageBatch with one invalid receipt handle deletes the others and reports it in Failed with code ReceiptHandleIsInvalid and SenderFault true (API reference, DeleteMessageBatch, BatchResultErrorEntry)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, url, "ok"); err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
				if err != nil {
					return err
				}
				out, err := e.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []sqstypes.DeleteMessageBatchRequestEntry{
					{Id: aws.String("good"), ReceiptHandle: ms[0].ReceiptHandle}, {Id: aws.String("bad"), ReceiptHandle: aws.String("garbage")}}})
				if err != nil {
					return noErr("DeleteMessageBatch", err)
				}
				if len(out.Successful) != 1 || len(out.Failed) != 1 {
					return fmt.Errorf("entries: want 1 successful and 1 failed, got %d and %d", len(out.Successful), len(out.Failed))
				}
				f := out.Failed[0]
				return first(eq("Failed[0].Id", "bad", str(f.Id)), eq("Failed[0].Code", "ReceiptHandleIsInvalid", str(f.Code)),
					eq("Failed[0].SenderFault", true, f.SenderFault))
			},
		},
		{
			name: "sqs/RedriveMovesMessageToDeadLetterQueueAfterMaxReceiveCount",
			fact: "a message received maxReceiveCount times without being deleted moves to the queue's dead-letter queue (developer guide, dead-letter queues)",
			check: func(ctx context.Context, e *env) error {
				dlqName, dlq, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, src, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "1",
					"RedrivePolicy": `{"deadLetterTargetArn":"` + e.queueARN(dlqName) + `","maxReceiveCount":"1"}`})
				if err != nil {
					return err
				}
				if _, err := e.send(ctx, src, "poison"); err != nil {
					return err
				}
				if _, err := e.receiveWithin(ctx, src, 1, 10*time.Second, nil); err != nil {
					return err
				}
				// Receiving again after the visibility timeout is what moves it.
				err = localtest.Poll(ctx, 20*time.Second, pollEvery, "the message in the dead-letter queue", func() (bool, error) {
					if _, err := e.receive(ctx, src, nil); err != nil {
						return true, err
					}
					ms, err := e.receive(ctx, dlq, nil)
					if err != nil {
						return true, err
					}
					return len(ms) == 1 && str(ms[0].Body) == "poison", nil
				})
				return err
			},
		},
		{
			name: "sqs/ListDeadLetterSourceQueuesListsTheSourceQueue",
			fact: "ListDeadLetterSourceQueues on a dead-letter queue returns the URLs of the queues whose RedrivePolicy targets it (API reference, ListDeadLetterSourceQueues)",
			check: func(ctx context.Context, e *env) error {
				dlqName, dlq, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, src, err := e.newQueue(ctx, false, map[string]string{
					"RedrivePolicy": `{"deadLetterTargetArn":"` + e.queueARN(dlqName) + `","maxReceiveCount":"3"}`})
				if err != nil {
					return err
				}
				out, err := e.sqs.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
				if err != nil {
					return noErr("ListDeadLetterSourceQueues", err)
				}
				return deepEq("queueUrls", []string{src}, out.QueueUrls)
			},
		},
		{
			name: "sqs/StartMessageMoveTaskOnQueueThatIsNoDeadLetterQueueIsInvalidParameterValue",
			fact: "StartMessageMoveTask whose source is no queue's dead-letter queue fails InvalidParameterValue 'Source queue must be configured as a Dead Letter Queue.' (" + lsMoveTask + ", test_source_needs_redrive_policy)",
			check: func(ctx context.Context, e *env) error {
				name, _, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(e.queueARN(name))})
				return apiErr(err, "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
			},
		},
		{
			name: "sqs/StartMessageMoveTaskMovesMessagesBackToTheirSource",
			fact: "StartMessageMoveTask without DestinationArn moves a dead-letter queue's messages back to their source queue; ListMessageMoveTasks then shows it COMPLETED with ApproximateNumberOfMessagesMoved 2 (" + lsMoveTask + ", test_move_task_workflow_with_default_destination)",
			check: func(ctx context.Context, e *env) error {
				dlqName, dlq, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, src, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "1",
					"RedrivePolicy": `{"deadLetterTargetArn":"` + e.queueARN(dlqName) + `","maxReceiveCount":"1"}`})
				if err != nil {
					return err
				}
				for _, b := range []string{"one", "two"} {
					if _, err := e.send(ctx, src, b); err != nil {
						return err
					}
				}
				if _, err := e.receiveWithin(ctx, src, 2, 10*time.Second, nil); err != nil {
					return err
				}
				if err := localtest.Poll(ctx, 20*time.Second, pollEvery, "both messages redriven to the dead-letter queue", func() (bool, error) {
					if _, err := e.receive(ctx, src, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 1 }); err != nil {
						return true, err
					}
					a, err := e.queueAttrs(ctx, dlq)
					if err != nil {
						return true, err
					}
					return a["ApproximateNumberOfMessages"] == "2", nil
				}); err != nil {
					return err
				}
				if _, err := e.sqs.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(e.queueARN(dlqName))}); err != nil {
					return noErr("StartMessageMoveTask", err)
				}
				var last *sqstypes.ListMessageMoveTasksResultEntry
				if err := localtest.Poll(ctx, 30*time.Second, pollEvery, "the move task COMPLETED", func() (bool, error) {
					out, err := e.sqs.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(e.queueARN(dlqName))})
					if err != nil {
						return true, noErr("ListMessageMoveTasks", err)
					}
					if len(out.Results) == 0 {
						return false, fmt.Errorf("no task listed")
					}
					last = &out.Results[0]
					if str(last.Status) == "COMPLETED" {
						return true, nil
					}
					return false, fmt.Errorf("Status %s", str(last.Status))
				}); err != nil {
					return err
				}
				if err := eq("ApproximateNumberOfMessagesMoved", int64(2), last.ApproximateNumberOfMessagesMoved); err != nil {
					return err
				}
				_, err = e.receiveWithin(ctx, src, 2, 10*time.Second, nil)
				return err
			},
		},
		{
			name: "sqs/StartMessageMoveTaskToMissingDestinationIsResourceNotFound",
			fact: "StartMessageMoveTask to a DestinationArn that does not exist fails ResourceNotFoundException \"The resource that you specified for the DestinationArn parameter doesn't exist.\" (" + lsMoveTask + ", test_destination_needs_to_exist)",
			check: func(ctx context.Context, e *env) error {
				dlqName, _, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, _, err := e.newQueue(ctx, false, map[string]string{
					"RedrivePolicy": `{"deadLetterTargetArn":"` + e.queueARN(dlqName) + `","maxReceiveCount":"1"}`}); err != nil {
					return err
				}
				_, err = e.sqs.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(e.queueARN(dlqName)),
					DestinationArn: aws.String(e.queueARN(e.name("missing")))})
				return apiErr(err, "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")
			},
		},
		{
			name: "sqs/CancelMessageMoveTaskWithInvalidHandleIsInvalidParameterValue",
			fact: "CancelMessageMoveTask with a task handle SQS never issued fails InvalidParameterValue 'Value for parameter TaskHandle is invalid.' (" + lsMoveTask + ", test_cancel_with_invalid_task_handle)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sqs.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("foobared")})
				return apiErr(err, "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
			},
		},
		{
			name: "sqs/PurgeQueueDeletesEveryMessage",
			fact: "PurgeQueue deletes the messages in the queue (API reference, PurgeQueue)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				for i := range 3 {
					if _, err := e.send(ctx, url, strconv.Itoa(i)); err != nil {
						return err
					}
				}
				if _, err := e.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
					return noErr("PurgeQueue", err)
				}
				return localtest.Poll(ctx, 65*time.Second, pollEvery, "the queue empty after PurgeQueue", func() (bool, error) {
					a, err := e.queueAttrs(ctx, url)
					if err != nil {
						return true, err
					}
					if a["ApproximateNumberOfMessages"] == "0" {
						return true, nil
					}
					return false, fmt.Errorf("ApproximateNumberOfMessages %s", a["ApproximateNumberOfMessages"])
				})
			},
		},
		{
			name: "sqs/PurgeQueueTwiceWithin60sIsPurgeQueueInProgress",
			fact: "a second PurgeQueue within 60 s fails AWS.SimpleQueueService.PurgeQueueInProgress 'Only one PurgeQueue operation on <name> is allowed every 60 seconds.' (" + lsSQS + ", test_successive_purge_calls_fail)",
			check: func(ctx context.Context, e *env) error {
				name, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
					return noErr("first PurgeQueue", err)
				}
				_, err = e.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
				return apiErr(err, "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on "+name+" is allowed every 60 seconds.")
			},
		},
		{
			name: "sqs/TagQueueThenListQueueTags",
			fact: "TagQueue adds tags, an empty value included, that ListQueueTags returns (" + lsSQS + ", test_tag_untag_queue)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				tags := map[string]string{"tag1": "value1", "tag2": "value2", "tag3": ""}
				if _, err := e.sqs.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: tags}); err != nil {
					return noErr("TagQueue", err)
				}
				out, err := e.sqs.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
				if err != nil {
					return noErr("ListQueueTags", err)
				}
				return deepEq("Tags", tags, out.Tags)
			},
		},
		{
			name: "sqs/UntagQueueRemovesTheNamedTags",
			fact: "UntagQueue removes the named tag keys and keeps the others (" + lsSQS + ", test_tag_untag_queue)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				if _, err := e.sqs.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"tag1": "value1", "tag2": "value2"}}); err != nil {
					return noErr("TagQueue", err)
				}
				if _, err := e.sqs.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"tag1"}}); err != nil {
					return noErr("UntagQueue", err)
				}
				out, err := e.sqs.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
				if err != nil {
					return noErr("ListQueueTags", err)
				}
				return deepEq("Tags", map[string]string{"tag2": "value2"}, out.Tags)
			},
		},
		{
			name: "sqs/CreateQueueWithTagsTagsTheQueue",
			fact: "CreateQueue's tags are returned by ListQueueTags (API reference, CreateQueue tags)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("q")), Tags: map[string]string{"team": "loans"}})
				if err != nil {
					return noErr("CreateQueue with tags", err)
				}
				tags, err := e.sqs.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: out.QueueUrl})
				if err != nil {
					return noErr("ListQueueTags", err)
				}
				return deepEq("Tags", map[string]string{"team": "loans"}, tags.Tags)
			},
		},
		{
			name: "sqs/ListQueuesPagesWithMaxResultsAndNextToken",
			fact: "ListQueues with a prefix and MaxResults 2 returns 2 URLs and a NextToken that returns the rest (" + lsSQS + ", test_list_queues_pagination)",
			check: func(ctx context.Context, e *env) error {
				prefix := e.name("page")
				var want []string
				for i := range 3 {
					url, err := e.createQueue(ctx, prefix+"-"+strconv.Itoa(i), nil)
					if err != nil {
						return err
					}
					want = append(want, url)
				}
				p1, err := e.sqs.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(2)})
				if err != nil {
					return noErr("ListQueues MaxResults 2", err)
				}
				if len(p1.QueueUrls) != 2 || p1.NextToken == nil {
					return fmt.Errorf("first page: want 2 URLs and a NextToken, got %d URLs and NextToken %s", len(p1.QueueUrls), str(p1.NextToken))
				}
				p2, err := e.sqs.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix), MaxResults: aws.Int32(2), NextToken: p1.NextToken})
				if err != nil {
					return noErr("ListQueues with NextToken", err)
				}
				got := append(append([]string{}, p1.QueueUrls...), p2.QueueUrls...)
				sort.Strings(got)
				return first(deepEq("URLs over both pages", want, got), eq("second page NextToken", "<nil>", str(p2.NextToken)))
			},
		},
		{
			name: "sqs/StandardQueueWithContentBasedDeduplicationIsInvalidAttributeName",
			fact: "CreateQueue of a standard queue with ContentBasedDeduplication fails InvalidAttributeName 'Unknown Attribute ContentBasedDeduplication.' (" + lsSQS + ", test_create_standard_queue_with_fifo_attribute_raises_error)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(e.name("q")), Attributes: map[string]string{"ContentBasedDeduplication": "false"}})
				return apiErr(err, "InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.")
			},
		},
		{
			name: "sqs/SetQueueAttributesFifoQueueOnStandardQueueIsInvalidAttributeName",
			fact: "SetQueueAttributes FifoQueue=true on a standard queue fails InvalidAttributeName 'Unknown Attribute FifoQueue.' (" + lsSQS + ", test_set_unsupported_attribute_fifo)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"FifoQueue": "true"}})
				return apiErr(err, "InvalidAttributeName", "Unknown Attribute FifoQueue.")
			},
		},
		{
			name: "sqs/SetQueueAttributesFifoQueueFalseOnFifoQueueIsInvalidAttributeValue",
			fact: "SetQueueAttributes FifoQueue=false on a FIFO queue fails InvalidAttributeValue 'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.' (" + lsSQS + ", test_set_unsupported_attribute_fifo)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"FifoQueue": "false"}})
				return apiErr(err, "InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			},
		},
		{
			name: "sqs/FifoSendWithoutMessageGroupIdIsMissingParameter",
			fact: "SendMessage to a FIFO queue without MessageGroupId fails MissingParameter 'The request must contain the parameter MessageGroupId.' (" + lsSQS + ", test_posting_to_fifo_requires_deduplicationid_group_id)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
				return apiErr(err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
			},
		},
		{
			name: "sqs/FifoSendWithoutDeduplicationIdIsInvalidParameterValue",
			fact: "SendMessage to a FIFO queue without content-based deduplication or MessageDeduplicationId fails InvalidParameterValue 'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly' (" + lsSQS + ", test_posting_to_fifo_requires_deduplicationid_group_id)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
				return apiErr(err, "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			},
		},
		{
			name: "sqs/FifoPerMessageDelaySecondsIsInvalidParameterValue",
			fact: "SendMessage with DelaySeconds on a FIFO queue fails 'Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.' (" + lsSQS + ", test_fifo_queue_send_message_with_delay_seconds_fails)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), DelaySeconds: 2})
				return apiErr(err, "InvalidParameterValue", "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
			},
		},
		{
			name: "sqs/FifoDeduplicationIdDeliversOnce",
			fact: "two sends with the same MessageDeduplicationId within 5 minutes are both accepted but delivered once (developer guide, exactly-once processing)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, nil)
				if err != nil {
					return err
				}
				for _, b := range []string{"first", "second"} {
					if _, err := e.sendFIFO(ctx, url, b, "g", "same-id"); err != nil {
						return err
					}
				}
				return e.deliveredOnce(ctx, url, "first")
			},
		},
		{
			name: "sqs/FifoContentBasedDeduplicationDeliversOnce",
			fact: "with ContentBasedDeduplication, two sends of the same body within 5 minutes are delivered once (developer guide, exactly-once processing)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				for range 2 {
					if _, err := e.sendFIFO(ctx, url, "same body", "g", ""); err != nil {
						return err
					}
				}
				return e.deliveredOnce(ctx, url, "same body")
			},
		},
		{
			name: "sqs/FifoSendReturnsIncreasingSequenceNumbers",
			fact: "SendMessage to a FIFO queue returns a SequenceNumber, increasing within a message group (API reference, SendMessage SequenceNumber)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				a, err := e.sendFIFO(ctx, url, "a", "g", "")
				if err != nil {
					return err
				}
				b, err := e.sendFIFO(ctx, url, "b", "g", "")
				if err != nil {
					return err
				}
				if a.SequenceNumber == nil || b.SequenceNumber == nil {
					return fmt.Errorf("SequenceNumber: want present on both sends, got %s and %s", str(a.SequenceNumber), str(b.SequenceNumber))
				}
				return eq("second SequenceNumber greater than the first", true, seqLess(*a.SequenceNumber, *b.SequenceNumber))
			},
		},
		{
			name: "sqs/FifoKeepsOrderWithinAMessageGroup",
			fact: "messages of one message group are received in the order they were sent (developer guide, FIFO queue message ordering)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true"})
				if err != nil {
					return err
				}
				want := []string{"1", "2", "3", "4", "5"}
				for _, b := range want {
					if _, err := e.sendFIFO(ctx, url, b, "g", ""); err != nil {
						return err
					}
				}
				var got []string
				err = localtest.Poll(ctx, 20*time.Second, pollEvery, "all 5 messages in order", func() (bool, error) {
					ms, err := e.receive(ctx, url, nil)
					if err != nil {
						return true, err
					}
					for _, m := range ms {
						got = append(got, str(m.Body))
						if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
							return true, noErr("DeleteMessage", err)
						}
					}
					return len(got) >= len(want), nil
				})
				if err != nil {
					return err
				}
				return deepEq("bodies in receive order", want, got)
			},
		},
		{
			name: "sqs/FifoLocksAMessageGroupWhileAMessageIsInFlight",
			fact: "while a message of a group is in flight, no other message of that group is returned (developer guide, FIFO queue logic: message group locking)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, map[string]string{"ContentBasedDeduplication": "true", "VisibilityTimeout": "60"})
				if err != nil {
					return err
				}
				for _, b := range []string{"first", "second"} {
					if _, err := e.sendFIFO(ctx, url, b, "g", ""); err != nil {
						return err
					}
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, func(in *sqs.ReceiveMessageInput) { in.MaxNumberOfMessages = 1 })
				if err != nil {
					return err
				}
				if err := eq("first receive", "first", str(ms[0].Body)); err != nil {
					return err
				}
				more, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 1 })
				if err != nil {
					return err
				}
				return eq("messages of the group returned while its first is in flight", 0, len(more))
			},
		},
		{
			name: "sqs/FifoReceiveReturnsGroupDeduplicationAndSequenceAttributes",
			fact: "a FIFO message received with system attributes All carries MessageGroupId, MessageDeduplicationId and SequenceNumber (" + lsSQS + ", test_fifo_message_attributes)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, true, nil)
				if err != nil {
					return err
				}
				sent, err := e.sendFIFO(ctx, url, "message-body-1", "group-1", "dedup-1")
				if err != nil {
					return err
				}
				ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, func(in *sqs.ReceiveMessageInput) {
					in.MessageSystemAttributeNames = []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}
				})
				if err != nil {
					return err
				}
				a := ms[0].Attributes
				return first(eq("Attributes[MessageGroupId]", "group-1", a["MessageGroupId"]),
					eq("Attributes[MessageDeduplicationId]", "dedup-1", a["MessageDeduplicationId"]),
					eq("Attributes[SequenceNumber]", str(sent.SequenceNumber), a["SequenceNumber"]))
			},
		},
		{
			name: "sqs/StandardQueueRejectsAnInvalidMessageGroupId",
			fact: "SendMessage to a standard queue with MessageGroupId 'group 123' fails InvalidParameterValue 'Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.' (" + lsSQS + ", test_send_message_to_standard_queue_with_invalid_message_group_id)",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, nil)
				if err != nil {
					return err
				}
				_, err = e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("group 123")})
				return apiErr(err, "InvalidParameterValue",
					"Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
			},
		},
	}
}

// deliveredOnce receives and deletes the queue's one message, body want,
// then checks that a long poll finds nothing more.
func (e *env) deliveredOnce(ctx context.Context, url, want string) error {
	ms, err := e.receiveWithin(ctx, url, 1, 10*time.Second, nil)
	if err != nil {
		return err
	}
	if err := eq("body delivered", want, str(ms[0].Body)); err != nil {
		return err
	}
	if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: ms[0].ReceiptHandle}); err != nil {
		return noErr("DeleteMessage", err)
	}
	more, err := e.receive(ctx, url, func(in *sqs.ReceiveMessageInput) { in.WaitTimeSeconds = 2 })
	if err != nil {
		return err
	}
	return eq("messages delivered after the first was deleted", 0, len(more))
}

// untilVisibilityExpires polls until no message of the queue is in flight:
// the visibility timeout of the one received has passed.
func (e *env) untilVisibilityExpires(ctx context.Context, url string) error {
	return localtest.Poll(ctx, 20*time.Second, pollEvery, "the visibility timeout to pass (ApproximateNumberOfMessagesNotVisible 0)", func() (bool, error) {
		a, err := e.queueAttrs(ctx, url)
		if err != nil {
			return true, err
		}
		if a["ApproximateNumberOfMessagesNotVisible"] == "0" {
			return true, nil
		}
		return false, fmt.Errorf("ApproximateNumberOfMessagesNotVisible %s", a["ApproximateNumberOfMessagesNotVisible"])
	})
}

// seqLess compares two FIFO sequence numbers (decimal strings of up to 128 bits).
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// TestMD5OfAttributes holds md5OfAttributes, which the system-attribute case
// relies on, to digests AWS computed (LocalStack test_sqs.snapshot.json:
// test_receive_message_attribute_names_filters, test_aws_trace_header_propagation,
// test_send_message_with_binary_attributes).
func TestMD5OfAttributes(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]attrValue
		want  string
	}{
		{map[string]attrValue{"Foo": {dataType: "String", str: "Bar"}}, "ae7155c6026991b6d54b11589678bf9c"},
		{map[string]attrValue{"timestamp": {dataType: "Number", str: "1493147359900"}}, "235c5c510d26fb653d073faed50ae77c"},
		{map[string]attrValue{"attr1": {dataType: "Binary", binary: []byte("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01")}}, "8cbe4db156db8a94db8b801b7addb984"},
	} {
		if got := md5OfAttributes(tc.attrs); got != tc.want {
			t.Errorf("md5OfAttributes(%v): want %s (AWS), got %s", tc.attrs, tc.want, got)
		}
	}
}
