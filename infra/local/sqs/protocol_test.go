package sqs

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"loanflow/infra/local/awsjson"
)

// newSDKClient serves b over HTTP and returns an SDK v2 client for it.
func newSDKClient(t *testing.T, b *Broker) *sqs.Client {
	t.Helper()
	srv := httptest.NewUnstartedServer(awsjson.NewMux(slog.New(slog.DiscardHandler), b.Service()))
	b.baseURL = "http://" + srv.Listener.Addr().String() // before serving: no race with the handlers
	srv.Start()
	t.Cleanup(srv.Close)
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSDKQueueLifecycle(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()

	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if want := b.baseURL + "/000000000000/work-dlq"; aws.ToString(dlq.QueueUrl) != want {
		t.Errorf("QueueUrl = %s, want %s", aws.ToString(dlq.QueueUrl), want)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: map[string]string{"VisibilityTimeout": "45"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:work-dlq","maxReceiveCount":3}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("work")})
	if err != nil || aws.ToString(got.QueueUrl) != aws.ToString(q.QueueUrl) {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("work"), MaxResults: aws.Int32(1)})
	if err != nil || len(list.QueueUrls) != 1 || list.NextToken == nil {
		t.Fatalf("ListQueues page 1 = %+v, %v", list, err)
	}
	list, err = c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("work"), MaxResults: aws.Int32(1), NextToken: list.NextToken})
	if err != nil || len(list.QueueUrls) != 1 || list.NextToken != nil || list.QueueUrls[0] != aws.ToString(dlq.QueueUrl) {
		t.Fatalf("ListQueues page 2 = %+v, %v", list, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"VisibilityTimeout": "45", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:work",
		"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:work-dlq","maxReceiveCount":3}`} {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if attrs.Attributes["CreatedTimestamp"] == "" {
		t.Error("no CreatedTimestamp")
	}
	sources, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq.QueueUrl})
	if err != nil || len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != aws.ToString(q.QueueUrl) {
		t.Fatalf("ListDeadLetterSourceQueues = %+v, %v", sources, err)
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"Nope"}})
	var ian *types.InvalidAttributeName
	if !errors.As(err, &ian) {
		t.Errorf("unknown attribute: %v", err)
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("work")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("deleted queue: %v (code %q)", err, apiCode(err))
	}
}

func TestSDKMessages(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("msgs")})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    q.QueueUrl,
		MessageBody: aws.String(`{"loan":"L-1"}`),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("valuation")},
			"blob": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		},
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-abc")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sent.MD5OfMessageAttributes) == "" || aws.ToString(sent.MessageId) == "" {
		t.Errorf("SendMessage = %+v", sent)
	}
	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    q.QueueUrl,
		MaxNumberOfMessages:         10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
		VisibilityTimeout:           60,
	})
	if err != nil || len(recv.Messages) != 1 {
		t.Fatalf("ReceiveMessage = %+v, %v", recv, err)
	}
	m := recv.Messages[0]
	if aws.ToString(m.Body) != `{"loan":"L-1"}` || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) ||
		aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Errorf("message = %+v", m)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" ||
		m.Attributes["ApproximateFirstReceiveTimestamp"] == "" || m.Attributes["AWSTraceHeader"] != "Root=1-abc" {
		t.Errorf("system attributes = %v", m.Attributes)
	}
	if string(m.MessageAttributes["blob"].BinaryValue) != "\x00\x01\x02" || aws.ToString(m.MessageAttributes["kind"].StringValue) != "valuation" {
		t.Errorf("message attributes = %+v", m.MessageAttributes)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	// The SDK's deprecated AttributeNames, as older SDKs and the CLI still send it.
	recv, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{"ApproximateReceiveCount"}})
	if err != nil || len(recv.Messages) != 1 || recv.Messages[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receive after release = %+v, %v", recv, err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: recv.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: aws.String("garbage")})
	var rhi *types.ReceiptHandleIsInvalid
	if !errors.As(err, &rhi) {
		t.Errorf("garbage receipt handle: %v", err)
	}

	batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("one")},
		{Id: aws.String("b"), MessageBody: aws.String("two"), DelaySeconds: 1},
		{Id: aws.String("c"), MessageBody: aws.String("bad\x01")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 2 || len(batch.Failed) != 1 || aws.ToString(batch.Failed[0].Id) != "c" ||
		aws.ToString(batch.Failed[0].Code) != "InvalidMessageContents" || !batch.Failed[0].SenderFault {
		t.Fatalf("SendMessageBatch = %+v", batch)
	}
	// Long polling returns as soon as both messages are there (one is delayed 1s).
	var handles []types.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(handles) < 2 && time.Now().Before(deadline) {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5})
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, r.Messages...)
	}
	if len(handles) != 2 {
		t.Fatalf("received %d of 2 batch messages", len(handles))
	}
	cv, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q.QueueUrl, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: handles[0].ReceiptHandle, VisibilityTimeout: 100},
		{Id: aws.String("y"), ReceiptHandle: aws.String("1.aaaaaaaaaaaaaaaaaaaaaaaa"), VisibilityTimeout: 100},
	}})
	if err != nil || len(cv.Successful) != 1 || len(cv.Failed) != 1 || aws.ToString(cv.Failed[0].Code) != "InvalidParameterValue" {
		t.Fatalf("ChangeMessageVisibilityBatch = %+v, %v", cv, err)
	}
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: handles[0].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: handles[1].ReceiptHandle},
	}})
	if err != nil || len(del.Successful) != 2 {
		t.Fatalf("DeleteMessageBatch = %+v, %v", del, err)
	}
	if s := stats(t, b, "msgs"); s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("queue not empty: %+v", s)
	}
}

func TestSDKBatchErrors(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("b")})
	if err != nil {
		t.Fatal(err)
	}
	entries := func(ids ...string) []types.DeleteMessageBatchRequestEntry {
		out := []types.DeleteMessageBatchRequestEntry{}
		for _, id := range ids {
			out = append(out, types.DeleteMessageBatchRequestEntry{Id: aws.String(id), ReceiptHandle: aws.String("h")})
		}
		return out
	}
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{nil, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{[]string{"a", "a"}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{[]string{"no spaces"}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
	} {
		_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries(tc.ids...)})
		if apiCode(err) != tc.want {
			t.Errorf("ids %v: %v (code %q), want %s", tc.ids, err, apiCode(err), tc.want)
		}
	}
	var tooMany *types.TooManyEntriesInBatchRequest
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11")})
	if !errors.As(err, &tooMany) {
		t.Errorf("not a typed TooManyEntriesInBatchRequest: %T", err)
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 11})
	if apiCode(err) != "InvalidParameterValue" {
		t.Errorf("MaxNumberOfMessages 11: %v", err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(b.QueueURL("missing")), MessageBody: aws.String("x")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Errorf("send to missing queue: %v", err)
	}
}

func TestSDKRedriveAndMoveTask(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("r-dlq")}); err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("r"), Attributes: map[string]string{
		"VisibilityTimeout": "0",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:r-dlq","maxReceiveCount":"1"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
		if err != nil || len(r.Messages) != want {
			t.Fatalf("receive %d = %+v, %v", i, r, err)
		}
	}
	dl, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.QueueURL("r-dlq")), VisibilityTimeout: 1,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"DeadLetterQueueSourceArn"}})
	if err != nil || len(dl.Messages) != 1 || dl.Messages[0].Attributes["DeadLetterQueueSourceArn"] != b.QueueARN("r") {
		t.Fatalf("DLQ receive = %+v, %v", dl, err)
	}
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("r-dlq"))}); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, b, "r"); s.Visible+s.InFlight != 1 {
		t.Errorf("after move task: %+v", s)
	}
}

// StartMessageMoveTask answers as AWS does: a source that is no queue's
// dead-letter queue is an InvalidParameterValue and nothing moves (issue 14:
// redriving a queue that is not a DLQ); a queue that does not exist is a
// ResourceNotFoundException.
func TestSDKMoveTaskErrors(t *testing.T) {
	b := newTestBroker(t, SystemClock{})
	c := newSDKClient(t, b)
	ctx := context.Background()
	mustCreate(t, b, "m-dlq", nil)
	mustCreate(t, b, "m", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + b.QueueARN("m-dlq") + `","maxReceiveCount":"1"}`})
	mustCreate(t, b, "plain", nil)
	mustSend(t, b, "plain", NewMessage{Body: "stays"})
	for _, tc := range []struct {
		name, source, dest, code, message string
	}{
		{"not a DLQ", b.QueueARN("plain"), "", "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."},
		{"not a DLQ, destination named", b.QueueARN("plain"), b.QueueARN("m"), "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."},
		{"no such source", b.QueueARN("gone"), "", "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."},
		{"no such destination", b.QueueARN("m-dlq"), b.QueueARN("gone"), "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist."},
		{"destination is the source", b.QueueARN("m-dlq"), b.QueueARN("m-dlq"), "InvalidParameterValue", "Source queue arn and destination queue arn cannot be the same."},
	} {
		in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(tc.source)}
		if tc.dest != "" {
			in.DestinationArn = aws.String(tc.dest)
		}
		_, err := c.StartMessageMoveTask(ctx, in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || ae.ErrorMessage() != tc.message {
			t.Errorf("%s: %v; want %s: %s", tc.name, err, tc.code, tc.message)
		}
	}
	var rnf *types.ResourceNotFoundException
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("gone"))}); !errors.As(err, &rnf) {
		t.Errorf("missing source: not a typed ResourceNotFoundException: %T", err)
	}
	if s := stats(t, b, "plain"); s.Visible != 1 {
		t.Errorf("a refused move task moved messages out of plain: %+v", s)
	}
	if s := stats(t, b, "m"); s.Visible != 0 {
		t.Errorf("a refused move task moved messages into m: %+v", s)
	}
	if _, err := b.Redrive(ctx, "plain", "m"); !errors.Is(err, ErrNotDeadLetterQueue) || !errors.Is(err, ErrInvalidParameterValue) {
		t.Errorf("Redrive of a queue that is not a DLQ: %v", err)
	}
}
