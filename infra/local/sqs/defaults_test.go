package sqs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// A queue created without MaximumMessageSize takes AWS's default, 1 MiB
// (the SQS API reference: "Default: 1,048,576 bytes (1 MiB)"), and takes a
// message over the old 256 KiB default; past 1 MiB it refuses.
func TestDefaultMaximumMessageSizeIsOneMiB(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameMaximumMessageSize}})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.Attributes["MaximumMessageSize"]; got != "1048576" {
		t.Fatalf("MaximumMessageSize %s, want 1048576", got)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(strings.Repeat("x", 300*1024))}); err != nil {
		t.Fatalf("a 300 KiB message: %v", err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(strings.Repeat("x", 1024*1024+1))}); err == nil {
		t.Fatal("a message over 1 MiB was accepted")
	}
}
