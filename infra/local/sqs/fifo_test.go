package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// wantAPIError checks an SDK error's code (the query-compatible one the SDK
// reports) and that its message starts with msg.
func wantAPIError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), msg) {
		t.Errorf("%s: %v; want %s: %s", what, err, code, msg)
	}
}

func fifoQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	a := map[string]string{"FifoQueue": "true"}
	for k, v := range attrs {
		a[k] = v
	}
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: a})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func sendFIFO(t *testing.T, c *sqs.Client, url, body, group, dedup string) *sqs.SendMessageOutput {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := c.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send %s: %v", body, err)
	}
	return out
}

// receiveBodies receives up to max messages (visibility vis seconds; -1, or
// 0, which the SDK leaves out, for the queue's) and returns their bodies
// and receipt handles.
func receiveBodies(t *testing.T, c *sqs.Client, url string, max, vis int32) ([]string, []string) {
	t.Helper()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: max}
	if vis >= 0 {
		in.VisibilityTimeout = vis
	}
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	var bodies, handles []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		handles = append(handles, aws.ToString(m.ReceiptHandle))
	}
	return bodies, handles
}

// A FIFO queue needs both a .fifo name and FifoQueue=true, and answers
// AWS's errors when they disagree; its FIFO attributes have AWS's defaults
// and rules.
func TestSDKFIFOQueueCreation(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	ctx := context.Background()
	create := func(name string, attrs map[string]string) error {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		return err
	}
	fifoName := "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
	wantAPIError(t, "FifoQueue without .fifo", create("orders", map[string]string{"FifoQueue": "true"}), "InvalidParameterValue", fifoName)
	wantAPIError(t, ".fifo without FifoQueue", create("orders.fifo", nil), "InvalidParameterValue", "Value orders.fifo for parameter QueueName is invalid.")
	wantAPIError(t, "name too long", create(strings.Repeat("a", 76)+".fifo", map[string]string{"FifoQueue": "true"}), "InvalidParameterValue", fifoName)
	wantAPIError(t, "FifoQueue false on a standard queue", create("std", map[string]string{"FifoQueue": "false"}), "InvalidAttributeName", "Unknown Attribute FifoQueue.")
	wantAPIError(t, "ContentBasedDeduplication on a standard queue", create("std", map[string]string{"ContentBasedDeduplication": "false"}),
		"InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.")
	wantAPIError(t, "DeduplicationScope on a standard queue", create("std", map[string]string{"DeduplicationScope": "queue"}),
		"InvalidAttributeName", "You can specify the DeduplicationScope only when FifoQueue is set to true.")
	wantAPIError(t, "FifoThroughputLimit on a standard queue", create("std", map[string]string{"FifoThroughputLimit": "perQueue"}),
		"InvalidAttributeName", "You can specify the FifoThroughputLimit only when FifoQueue is set to true.")
	wantAPIError(t, "bad DeduplicationScope", create("x.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "group"}),
		"InvalidAttributeValue", "Invalid value for the parameter DeduplicationScope.")
	wantAPIError(t, "perMessageGroupId with queue scope", create("x.fifo", map[string]string{"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"}),
		"InvalidAttributeValue", "Invalid value for the parameter FifoThroughputLimit.")
	if len(b.ListQueues("")) != 0 {
		t.Fatalf("refused creates made queues: %v", b.ListQueues(""))
	}

	url := fifoQueue(t, c, "orders.fifo", map[string]string{"FifoQueue": "True", "ContentBasedDeduplication": "true"})
	if !strings.HasSuffix(url, "/000000000000/orders.fifo") {
		t.Errorf("QueueUrl %s", url)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "queue",
		"FifoThroughputLimit": "perQueue", "SqsManagedSseEnabled": "true"} {
		if attrs.Attributes[k] != v {
			t.Errorf("%s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	// Same attributes: the same queue; another ContentBasedDeduplication: AWS's QueueAlreadyExists.
	if got := fifoQueue(t, c, "orders.fifo", map[string]string{"ContentBasedDeduplication": "true"}); got != url {
		t.Errorf("idempotent create = %s", got)
	}
	wantAPIError(t, "different attributes", create("orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false"}),
		"QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute ContentBasedDeduplication")

	set := func(u string, attrs map[string]string) error {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(u), Attributes: attrs})
		return err
	}
	if err := set(url, map[string]string{"FifoQueue": "true"}); err != nil {
		t.Errorf("FifoQueue true on a FIFO queue: %v", err)
	}
	wantAPIError(t, "FifoQueue false on a FIFO queue", set(url, map[string]string{"FifoQueue": "false"}),
		"InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
	if err := set(url, map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}); err != nil {
		t.Errorf("high throughput: %v", err)
	}
	std, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std")})
	if err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "FifoQueue on a standard queue", set(aws.ToString(std.QueueUrl), map[string]string{"FifoQueue": "true"}),
		"InvalidAttributeName", "Unknown Attribute FifoQueue.")
	stdAttrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: std.QueueUrl, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"} {
		if v, ok := stdAttrs.Attributes[k]; ok {
			t.Errorf("a standard queue reports %s=%s", k, v)
		}
	}
}

// SendMessage and SendMessageBatch to a FIFO queue need a MessageGroupId
// and a MessageDeduplicationId (unless the queue deduplicates by content),
// refuse a DelaySeconds of their own, and answer a SequenceNumber.
func TestSDKFIFOSendRules(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	ctx := context.Background()
	url := fifoQueue(t, c, "send.fifo", nil)
	send := func(in sqs.SendMessageInput) (*sqs.SendMessageOutput, error) {
		in.QueueUrl, in.MessageBody = aws.String(url), aws.String("body")
		return c.SendMessage(ctx, &in)
	}
	_, err := send(sqs.SendMessageInput{MessageDeduplicationId: aws.String("d")})
	wantAPIError(t, "no group", err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
	_, err = send(sqs.SendMessageInput{MessageGroupId: aws.String("g")})
	wantAPIError(t, "no deduplication id", err, "InvalidParameterValue",
		"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	_, err = send(sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 2})
	wantAPIError(t, "own delay", err, "InvalidParameterValue",
		"Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
	_, err = send(sqs.SendMessageInput{MessageGroupId: aws.String("group 123"), MessageDeduplicationId: aws.String("d")})
	wantAPIError(t, "group with a space", err, "InvalidParameterValue",
		"Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
	_, err = send(sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strings.Repeat("a", 129))})
	wantAPIError(t, "deduplication id too long", err, "InvalidParameterValue", "Value "+strings.Repeat("a", 129)+" for parameter MessageDeduplicationId is invalid.")
	if s := stats(t, b, "send.fifo"); s.Visible+s.Delayed != 0 {
		t.Fatalf("refused sends stored messages: %+v", s)
	}

	first, err := send(sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strings.Repeat("a", 128))})
	if err != nil {
		t.Fatal(err)
	}
	second, err := send(sqs.SendMessageInput{MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d2"), DelaySeconds: 0})
	if err != nil {
		t.Fatalf("DelaySeconds 0: %v", err)
	}
	s1, s2 := aws.ToString(first.SequenceNumber), aws.ToString(second.SequenceNumber)
	n1, err1 := strconv.ParseUint(s1, 10, 64)
	n2, err2 := strconv.ParseUint(s2, 10, 64)
	if len(s1) != 20 || err1 != nil || err2 != nil || n2 <= n1 {
		t.Errorf("SequenceNumbers %q then %q: want 20-digit numbers that grow", s1, s2)
	}

	batch := func(entries ...types.SendMessageBatchRequestEntry) (*sqs.SendMessageBatchOutput, error) {
		return c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	}
	_, err = batch(types.SendMessageBatchRequestEntry{Id: aws.String("a"), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("b1")},
		types.SendMessageBatchRequestEntry{Id: aws.String("b"), MessageBody: aws.String("y"), MessageGroupId: aws.String("g")})
	wantAPIError(t, "batch without a deduplication id", err, "InvalidParameterValue",
		"The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	_, err = batch(types.SendMessageBatchRequestEntry{Id: aws.String("a"), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("b1")})
	wantAPIError(t, "batch without a group", err, "InvalidParameterValue", "The request must contain the parameter MessageGroupId.")
	out, err := batch(types.SendMessageBatchRequestEntry{Id: aws.String("a"), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("b1")},
		types.SendMessageBatchRequestEntry{Id: aws.String("b"), MessageBody: aws.String("y"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("b2"), DelaySeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].SequenceNumber) == "" || len(out.Failed) != 1 ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || aws.ToString(out.Failed[0].Id) != "b" {
		t.Errorf("batch = %+v", out)
	}
	if s := stats(t, b, "send.fifo"); s.Visible != 3 {
		t.Errorf("stored %d messages, want 3", s.Visible)
	}
}

// A duplicate within the 5-minute deduplication interval is accepted,
// answers the first message's MessageId, and is not delivered, even after
// the first was deleted; content-based deduplication uses the SHA-256 of
// the body; DeduplicationScope messageGroup deduplicates within a group.
func TestSDKFIFODeduplication(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	url := fifoQueue(t, c, "dedup.fifo", nil)
	first := sendFIFO(t, c, url, "first", "g", "d-1")
	clock.Advance(4 * time.Minute)
	dup := sendFIFO(t, c, url, "second, same id", "g", "d-1")
	if aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) || aws.ToString(dup.SequenceNumber) != aws.ToString(first.SequenceNumber) {
		t.Errorf("duplicate answered %s/%s, want the first's %s/%s", aws.ToString(dup.MessageId), aws.ToString(dup.SequenceNumber),
			aws.ToString(first.MessageId), aws.ToString(first.SequenceNumber))
	}
	if aws.ToString(dup.MD5OfMessageBody) != md5Hex("second, same id") {
		t.Errorf("duplicate's MD5OfMessageBody %s is not its own body's", aws.ToString(dup.MD5OfMessageBody))
	}
	bodies, handles := receiveBodies(t, c, url, 10, -1)
	if len(bodies) != 1 || bodies[0] != "first" {
		t.Fatalf("received %q, want only the first", bodies)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(handles[0])}); err != nil {
		t.Fatal(err)
	}
	// Deleted, the message's id is still remembered until 5 minutes after it was sent.
	clock.Advance(time.Minute - time.Millisecond)
	sendFIFO(t, c, url, "third, same id", "g", "d-1")
	if bodies, _ := receiveBodies(t, c, url, 10, -1); len(bodies) != 0 {
		t.Fatalf("a duplicate sent after the first was deleted was delivered: %q", bodies)
	}
	clock.Advance(time.Millisecond)
	late := sendFIFO(t, c, url, "fourth, 5 minutes on", "g", "d-1")
	if aws.ToString(late.MessageId) == aws.ToString(first.MessageId) {
		t.Error("a send 5 minutes after the first was taken for a duplicate")
	}
	if bodies, _ := receiveBodies(t, c, url, 10, -1); len(bodies) != 1 || bodies[0] != "fourth, 5 minutes on" {
		t.Fatalf("after the interval received %q", bodies)
	}

	content := fifoQueue(t, c, "content.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	a := sendFIFO(t, c, content, `{"loan":"L-1"}`, "g1", "")
	if again := sendFIFO(t, c, content, `{"loan":"L-1"}`, "g2", ""); aws.ToString(again.MessageId) != aws.ToString(a.MessageId) {
		t.Error("same body, queue scope: not deduplicated")
	}
	sendFIFO(t, c, content, `{"loan":"L-1"}`, "g1", "explicit") // an explicit id overrides the hash
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(content), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"loan":"L-1"}`))
	if len(out.Messages) != 2 || out.Messages[0].Attributes["MessageDeduplicationId"] != hex.EncodeToString(sum[:]) ||
		out.Messages[1].Attributes["MessageDeduplicationId"] != "explicit" {
		t.Fatalf("content-based messages = %+v", out.Messages)
	}

	grouped := fifoQueue(t, c, "grouped.fifo", map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	g1 := sendFIFO(t, c, grouped, "g1", "group-1", "same")
	g2 := sendFIFO(t, c, grouped, "g2", "group-2", "same")
	g1again := sendFIFO(t, c, grouped, "g1 again", "group-1", "same")
	if aws.ToString(g2.MessageId) == aws.ToString(g1.MessageId) || aws.ToString(g1again.MessageId) != aws.ToString(g1.MessageId) {
		t.Error("messageGroup scope: want one message per group")
	}
	if s := stats(t, b, "grouped.fifo"); s.Visible != 2 {
		t.Errorf("messageGroup scope stored %d messages, want 2", s.Visible)
	}
}

// Messages come in order within a group, as many of one group as there
// are; a group with a message in flight is locked (none of its later
// messages is delivered) while other groups proceed; deleting the message
// or its visibility timeout ending unlocks it. The orderings are those of
// LocalStack's AWS-validated FIFO tests.
func TestSDKFIFOOrderingAndGroupLocking(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	url := fifoQueue(t, c, "order.fifo", map[string]string{"ContentBasedDeduplication": "true", "VisibilityTimeout": "30"})
	for _, m := range [][2]string{{"g1-m1", "1"}, {"g2-m1", "2"}, {"g1-m2", "1"}, {"g1-m3", "1"}, {"g3-m1", "3"}} {
		sendFIFO(t, c, url, m[0], m[1], "")
		clock.Advance(time.Millisecond)
	}
	bodies, handles := receiveBodies(t, c, url, 2, -1)
	if strings.Join(bodies, ",") != "g1-m1,g1-m2" {
		t.Fatalf("first receive %q, want g1-m1,g1-m2", bodies)
	}
	// Group 1 is locked: the next receive skips g1-m3 and goes on with the others.
	if bodies, _ := receiveBodies(t, c, url, 10, -1); strings.Join(bodies, ",") != "g2-m1,g3-m1" {
		t.Fatalf("while group 1 is in flight got %q, want g2-m1,g3-m1", bodies)
	}
	if s := stats(t, b, "order.fifo"); s.Visible != 1 || s.InFlight != 4 || len(s.Groups) != 3 || !s.Groups[0].Locked() ||
		s.Groups[0].ID != "1" || s.Groups[0].Messages != 3 || s.Groups[0].InFlight != 2 {
		t.Errorf("stats = %+v", s)
	}
	// Releasing g1-m1 (visibility 0) makes it deliverable again, but not
	// g1-m3, which waits behind g1-m2 still in flight.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: aws.String(handles[0]), VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	bodies, handles2 := receiveBodies(t, c, url, 10, -1)
	if strings.Join(bodies, ",") != "g1-m1" {
		t.Fatalf("after releasing g1-m1 got %q, want g1-m1", bodies)
	}
	for _, h := range []string{handles2[0], handles[1]} {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(h)}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Millisecond)
	if bodies, _ := receiveBodies(t, c, url, 10, -1); strings.Join(bodies, ",") != "g1-m3" {
		t.Fatalf("after deleting group 1's in-flight messages got %q, want g1-m3", bodies)
	}
	// The visibility timeouts of g2-m1, g3-m1 and g1-m3 end: all come back, in order.
	clock.Advance(31 * time.Second)
	if bodies, _ := receiveBodies(t, c, url, 10, -1); strings.Join(bodies, ",") != "g2-m1,g3-m1,g1-m3" {
		t.Fatalf("after the visibility timeout got %q", bodies)
	}

	// AWS: receiving with a visibility timeout of 0 puts the groups behind
	// those that waited (test_fifo_receive_message_with_zero_visibility_timeout).
	// (The SDK does not send a VisibilityTimeout of 0: the queue's is 0.)
	zero := fifoQueue(t, c, "zero.fifo", map[string]string{"ContentBasedDeduplication": "true", "VisibilityTimeout": "0"})
	for _, m := range [][2]string{{"g1-m1", "1"}, {"g2-m1", "2"}, {"g2-m2", "2"}, {"g3-m1", "3"}, {"g1-m2", "1"}} {
		sendFIFO(t, c, zero, m[0], m[1], "")
		clock.Advance(time.Millisecond)
	}
	if bodies, _ := receiveBodies(t, c, zero, 3, -1); strings.Join(bodies, ",") != "g1-m1,g1-m2,g2-m1" {
		t.Fatalf("zero visibility: first receive %q", bodies)
	}
	clock.Advance(time.Millisecond)
	if bodies, _ := receiveBodies(t, c, zero, 10, -1); strings.Join(bodies, ",") != "g3-m1,g1-m1,g1-m2,g2-m1,g2-m2" {
		t.Fatalf("zero visibility: second receive %q, want AWS's g3-m1,g1-m1,g1-m2,g2-m1,g2-m2", bodies)
	}

	// Receive's system attributes of a FIFO message.
	sys := fifoQueue(t, c, "sys.fifo", nil)
	sent := sendFIFO(t, c, sys, "m", "grp", "ddp")
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(sys),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"SequenceNumber", "MessageGroupId", "MessageDeduplicationId"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %+v %v", out, err)
	}
	if a := out.Messages[0].Attributes; a["SequenceNumber"] != aws.ToString(sent.SequenceNumber) || a["MessageGroupId"] != "grp" ||
		a["MessageDeduplicationId"] != "ddp" || len(a) != 3 {
		t.Errorf("system attributes = %v", a)
	}
}

// A long poll on a FIFO queue whose only messages are held back by their
// group waits, without spinning, and returns as soon as the group's
// in-flight message is deleted.
func TestFIFOLongPollWakesWhenTheGroupUnlocks(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "poll.fifo", map[string]string{"FifoQueue": "true"})
	mustSend(t, b, "poll.fifo", NewMessage{Body: "a", GroupID: "g", DeduplicationID: "a"}, NewMessage{Body: "b", GroupID: "g", DeduplicationID: "b"})
	first, err := b.Receive(ctx, "poll.fifo", ReceiveOptions{WaitTime: dur(0)})
	if err != nil || len(first) != 1 || first[0].Body != "a" {
		t.Fatalf("first receive: %+v %v", first, err)
	}
	got := make(chan []Message, 1)
	go func() {
		msgs, err := b.Receive(ctx, "poll.fifo", ReceiveOptions{WaitTime: dur(20 * time.Second)})
		if err != nil {
			t.Error(err)
		}
		got <- msgs
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	select {
	case msgs := <-got:
		t.Fatalf("the long poll returned %+v while the group was locked", msgs)
	default:
	}
	if err := b.Delete(ctx, "poll.fifo", first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	select {
	case msgs := <-got:
		if len(msgs) != 1 || msgs[0].Body != "b" {
			t.Fatalf("long poll returned %+v", msgs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deleting the in-flight message did not wake the long poll")
	}
}

// A retry of a receive with the same ReceiveRequestAttemptId within 5
// minutes returns the same messages and receipt handles (resetting their
// visibility timeout), as long as none was deleted or had its visibility
// changed; otherwise, and after 5 minutes, it is a new receive.
func TestSDKFIFOReceiveRequestAttemptID(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	url := fifoQueue(t, c, "attempt.fifo", map[string]string{"VisibilityTimeout": "30"})
	for i, g := range []string{"a", "a", "b"} {
		sendFIFO(t, c, url, g+strconv.Itoa(i), g, strconv.Itoa(i))
	}
	receive := func(attempt string) *sqs.ReceiveMessageOutput {
		t.Helper()
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 2,
			ReceiveRequestAttemptId: aws.String(attempt), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	summary := func(out *sqs.ReceiveMessageOutput) string {
		var parts []string
		for _, m := range out.Messages {
			parts = append(parts, aws.ToString(m.Body)+"/"+aws.ToString(m.ReceiptHandle)+"/"+m.Attributes["ApproximateReceiveCount"])
		}
		return strings.Join(parts, " ")
	}
	first := receive("try-1")
	if len(first.Messages) != 2 || aws.ToString(first.Messages[0].Body) != "a0" {
		t.Fatalf("first receive = %s", summary(first))
	}
	clock.Advance(20 * time.Second)
	if again := receive("try-1"); summary(again) != summary(first) {
		t.Fatalf("retry = %s, want the first receive's %s", summary(again), summary(first))
	}
	// The retry reset the visibility timeout: 20 s later the messages are still in flight.
	clock.Advance(20 * time.Second)
	if bodies, _ := receiveBodies(t, c, url, 10, -1); strings.Join(bodies, ",") != "b2" {
		t.Fatalf("after the retry's visibility reset got %q, want only b2", bodies)
	}
	// A message of the attempt deleted: a retry is a new receive.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second)
	if got := receive("try-1"); len(got.Messages) == 0 || summary(got) == summary(first) || aws.ToString(got.Messages[0].Body) != "a1" {
		t.Fatalf("retry after a delete = %s", summary(got))
	}
	// A fresh attempt, then its retry after 5 minutes: a new receive.
	clock.Advance(31 * time.Second)
	fresh := receive("try-2")
	clock.Advance(5*time.Minute + time.Second)
	if late := receive("try-2"); summary(late) == summary(fresh) {
		t.Fatal("a retry after 5 minutes returned the first receive's handles")
	}
	_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), ReceiveRequestAttemptId: aws.String("has space")})
	wantAPIError(t, "bad attempt id", err, "InvalidParameterValue", "Value has space for parameter ReceiveRequestAttemptId is invalid.")
}

// A FIFO queue's dead-letter queue must be FIFO, a standard queue's
// standard (AWS's error); at maxReceiveCount messages move to the FIFO DLQ
// with their group, in their group's order.
func TestSDKFIFODeadLetterQueue(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	stdDLQ, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlq := fifoQueue(t, c, "work-dlq.fifo", nil)
	policy := func(target string) string {
		return `{"deadLetterTargetArn":"` + b.QueueARN(target) + `","maxReceiveCount":"2"}`
	}
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "RedrivePolicy": policy("std-dlq")}})
	wantAPIError(t, "FIFO queue, standard DLQ", err, "InvalidParameterValue",
		"Value "+policy("std-dlq")+" for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std"), Attributes: map[string]string{"RedrivePolicy": policy("work-dlq.fifo")}})
	wantAPIError(t, "standard queue, FIFO DLQ", err, "InvalidParameterValue", "Value "+policy("work-dlq.fifo")+" for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..")
	_ = stdDLQ

	url := fifoQueue(t, c, "work.fifo", map[string]string{"VisibilityTimeout": "10", "RedrivePolicy": policy("work-dlq.fifo")})
	for _, m := range [][2]string{{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"a3", "a"}} {
		sendFIFO(t, c, url, m[0], m[1], m[0])
		clock.Advance(time.Millisecond)
	}
	for round := 1; round <= 2; round++ {
		if bodies, _ := receiveBodies(t, c, url, 10, -1); strings.Join(bodies, ",") != "a1,a2,a3,b1" {
			t.Fatalf("receive %d = %q", round, bodies)
		}
		clock.Advance(10 * time.Second)
	}
	if bodies, _ := receiveBodies(t, c, url, 10, -1); len(bodies) != 0 {
		t.Fatalf("third receive delivered %q; want every message dead-lettered", bodies)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range out.Messages {
		got = append(got, aws.ToString(m.Body)+"@"+m.Attributes["MessageGroupId"])
		if m.Attributes["DeadLetterQueueSourceArn"] != b.QueueARN("work.fifo") {
			t.Errorf("%s: DeadLetterQueueSourceArn %q", aws.ToString(m.Body), m.Attributes["DeadLetterQueueSourceArn"])
		}
	}
	if strings.Join(got, ",") != "a1@a,a2@a,a3@a,b1@b" {
		t.Fatalf("DLQ delivered %q, want group order a1,a2,a3 then b1", got)
	}
}

// Deleting a FIFO message after its visibility timeout ended is AWS's
// "receipt handle has expired" error (a standard queue's delete of the same
// is no error); extended in time, the delete works.
func TestSDKFIFODeleteWithAnExpiredHandle(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	url := fifoQueue(t, c, "expire.fifo", map[string]string{"VisibilityTimeout": "1"})
	sendFIFO(t, c, url, "foobar", "g", "1")
	_, handles := receiveBodies(t, c, url, 1, -1)
	clock.Advance(time.Second)
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(handles[0])})
	wantAPIError(t, "expired handle", err, "InvalidParameterValue",
		"Value "+handles[0]+" for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
	if s := stats(t, b, "expire.fifo"); s.Visible != 1 {
		t.Fatalf("the expired handle deleted the message: %+v", s)
	}
	_, handles = receiveBodies(t, c, url, 1, -1)
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(handles[0]), VisibilityTimeout: 5}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1500 * time.Millisecond)
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url),
		Entries: []types.DeleteMessageBatchRequestEntry{{Id: aws.String("x"), ReceiptHandle: aws.String(handles[0])}}})
	if err != nil || len(del.Successful) != 1 {
		t.Fatalf("delete within the extended timeout: %+v %v", del, err)
	}
	if s := stats(t, b, "expire.fifo"); s.Visible+s.InFlight != 0 {
		t.Errorf("not deleted: %+v", s)
	}
}

// FIFO state is SQLite's: a restarted Broker keeps the deduplication ids,
// the group lock and the order.
func TestFIFOSurvivesRestart(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "keep.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	sent := mustSend(t, b, "keep.fifo", NewMessage{Body: "one", GroupID: "g"}, NewMessage{Body: "two", GroupID: "g"}, NewMessage{Body: "x", GroupID: "h"})
	first, err := b.Receive(ctx, "keep.fifo", ReceiveOptions{WaitTime: dur(0)})
	if err != nil || len(first) != 1 || first[0].Body != "one" {
		t.Fatalf("receive: %+v %v", first, err)
	}
	b2, err := New(ctx, b.db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if again := mustSend(t, b2, "keep.fifo", NewMessage{Body: "two", GroupID: "g"}); !again[0].Duplicate || again[0].MessageID != sent[1].MessageID {
		t.Errorf("after restart a duplicate was taken: %+v", again[0])
	}
	got := receiveNow(t, b2, "keep.fifo", 10)
	if len(got) != 1 || got[0].Body != "x" {
		t.Fatalf("after restart, with group g locked, received %+v; want only x", got)
	}
	if err := b2.Delete(ctx, "keep.fifo", first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if got := receiveNow(t, b2, "keep.fifo", 10); len(got) != 1 || got[0].Body != "two" || got[0].SequenceNumber != sent[1].SequenceNumber {
		t.Fatalf("after restart and delete received %+v", got)
	}
}

// On a FIFO queue a new DelaySeconds applies to the messages already
// waiting (AWS: the per-queue delay is retroactive for FIFO queues).
func TestFIFOQueueDelayIsRetroactive(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "slow.fifo", map[string]string{"FifoQueue": "true", "DelaySeconds": "60"})
	mustSend(t, b, "slow.fifo", NewMessage{Body: "m", GroupID: "g", DeduplicationID: "m"})
	if got := receiveNow(t, b, "slow.fifo", 1); len(got) != 0 {
		t.Fatal("delayed message delivered")
	}
	if err := b.SetAttributes(ctx, "slow.fifo", map[string]string{"DelaySeconds": "0"}); err != nil {
		t.Fatal(err)
	}
	if got := receiveNow(t, b, "slow.fifo", 1); len(got) != 1 {
		t.Fatal("the delay set to 0 did not release the waiting message")
	}
	if _, err := b.Send(ctx, "slow.fifo", NewMessage{Body: "n", GroupID: "g", DeduplicationID: "n", Delay: dur(time.Second)}); !errors.Is(err, ErrInvalidParameterValue) {
		t.Errorf("a per-message delay on a FIFO queue: %v", err)
	}
}

// A state file of the version before FIFO queues (no group, deduplication,
// tags or purge columns) is migrated in place: its queues and messages are
// kept, and the new features work on it.
func TestMigratesAStateFileWithoutFIFOColumns(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	for _, stmt := range []string{
		`DROP TABLE sqs_queues`, `DROP TABLE sqs_messages`,
		`CREATE TABLE sqs_queues (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
			modified_at INTEGER NOT NULL, attributes TEXT NOT NULL)`,
		`CREATE TABLE sqs_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue_id INTEGER NOT NULL, id TEXT NOT NULL,
			body TEXT NOT NULL, attributes TEXT, md5_body TEXT NOT NULL, md5_attributes TEXT, trace_header TEXT, source_arn TEXT,
			sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0,
			first_receive_at INTEGER, receipt TEXT)`,
		`INSERT INTO sqs_queues VALUES (1, 'old', 0, 0, '{"VisibilityTimeout":"30","SqsManagedSseEnabled":"false"}')`,
		`INSERT INTO sqs_messages (queue_id, id, body, md5_body, sent_at, visible_at, expires_at) VALUES (1, 'm-1', 'kept', 'x', 0, 0, 9e15)`,
	} {
		if _, err := b.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	b2, err := New(ctx, b.db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got := receiveNow(t, b2, "old", 1); len(got) != 1 || got[0].Body != "kept" {
		t.Fatalf("the old message: %+v", got)
	}
	if err := b2.TagQueue(ctx, "old", map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := b2.Purge(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, b2, "new.fifo", map[string]string{"FifoQueue": "true"})
	mustSend(t, b2, "new.fifo", NewMessage{Body: "f", GroupID: "g", DeduplicationID: "d"})
	if got := receiveNow(t, b2, "new.fifo", 1); len(got) != 1 || got[0].GroupID != "g" {
		t.Fatalf("FIFO on a migrated file: %+v", got)
	}
}
