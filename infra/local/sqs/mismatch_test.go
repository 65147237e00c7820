package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"loanflow/infra/local/awsjson"
)

// A second PurgeQueue within 60 seconds is AWS's PurgeQueueInProgress
// (HTTP 403, its message); after 60 seconds a purge works again.
func TestSDKPurgeQueueInProgress(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("purged")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl})
	var inProgress *types.PurgeQueueInProgress
	var re *smithyhttp.ResponseError
	if !errors.As(err, &inProgress) || apiCode(err) != "AWS.SimpleQueueService.PurgeQueueInProgress" ||
		inProgress.ErrorMessage() != "Only one PurgeQueue operation on purged is allowed every 60 seconds." ||
		!errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("second purge: %v (code %q)", err, apiCode(err))
	}
	if s := stats(t, b, "purged"); s.Visible != 1 {
		t.Fatalf("the refused purge deleted messages: %+v", s)
	}
	clock.Advance(time.Second)
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatalf("purge 60 s later: %v", err)
	}
	if s := stats(t, b, "purged"); s.Visible != 0 {
		t.Fatalf("purge left %+v", s)
	}
}

// A queue that does not exist is AWS's NonExistentQueue with AWS's JSON
// protocol message, which does not name the queue.
func TestSDKNonExistentQueueMessage(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	_, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) || apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" || dne.ErrorMessage() != "The specified queue does not exist." {
		t.Fatalf("missing queue: %v (code %q)", err, apiCode(err))
	}
}

// CreateQueue of a name whose queue was deleted less than 60 seconds ago is
// AWS's QueueDeletedRecently.
func TestSDKQueueDeletedRecently(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("again")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("again")})
	var recently *types.QueueDeletedRecently
	if !errors.As(err, &recently) || apiCode(err) != "AWS.SimpleQueueService.QueueDeletedRecently" ||
		recently.ErrorMessage() != "You must wait 60 seconds after deleting a queue before you can create another with the same name." {
		t.Fatalf("create 59 s after delete: %v (code %q)", err, apiCode(err))
	}
	if _, err := b.GetQueueURL("again"); err == nil {
		t.Fatal("the refused create made the queue")
	}
	clock.Advance(time.Second)
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("again")}); err != nil {
		t.Fatalf("create 60 s after delete: %v", err)
	}
}

// New queues report SqsManagedSseEnabled true, as AWS's; a KMS key turns
// SSE-SQS off; asking for both is AWS's error; setting it works.
func TestSDKServerSideEncryptionAttributes(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	ctx := context.Background()
	names := []types.QueueAttributeName{"SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"}
	get := func(url *string) map[string]string {
		t.Helper()
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: names})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes
	}
	set := func(url *string, attrs map[string]string) error {
		_, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: url, Attributes: attrs})
		return err
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("sse")})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(q.QueueUrl); len(got) != 1 || got["SqsManagedSseEnabled"] != "true" {
		t.Fatalf("new queue: %v, want SqsManagedSseEnabled true only", got)
	}
	if err := set(q.QueueUrl, map[string]string{"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}); err != nil {
		t.Fatal(err)
	}
	if got := get(q.QueueUrl); got["SqsManagedSseEnabled"] != "false" || got["KmsMasterKeyId"] != "testKeyId" || got["KmsDataKeyReusePeriodSeconds"] != "6000" {
		t.Fatalf("with a KMS key: %v", got)
	}
	if err := set(q.QueueUrl, map[string]string{"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"}); err != nil {
		t.Fatal(err)
	}
	if got := get(q.QueueUrl); len(got) != 1 || got["SqsManagedSseEnabled"] != "false" {
		t.Fatalf("KMS set back to the defaults: %v (AWS: SqsManagedSseEnabled false only)", got)
	}
	if err := set(q.QueueUrl, map[string]string{"SqsManagedSseEnabled": "TRUE"}); err != nil {
		t.Fatal(err)
	}
	if got := get(q.QueueUrl); got["SqsManagedSseEnabled"] != "true" {
		t.Fatalf("SSE-SQS set on again: %v", got)
	}
	wantAPIError(t, "both kinds", set(q.QueueUrl, map[string]string{"KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"}),
		"InvalidAttributeName", "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	wantAPIError(t, "not a boolean", set(q.QueueUrl, map[string]string{"SqsManagedSseEnabled": "yes"}),
		"InvalidAttributeValue", "Invalid value for the parameter SqsManagedSseEnabled.")
	kms, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("kms"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sqs"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(kms.QueueUrl); got["SqsManagedSseEnabled"] != "false" || got["KmsMasterKeyId"] != "alias/aws/sqs" || got["KmsDataKeyReusePeriodSeconds"] != "300" {
		t.Fatalf("created with a KMS key: %v", got)
	}
}

// knownTraceHeader and its MD5OfMessageSystemAttributes are AWS's, from
// LocalStack's AWS-validated test_system_attributes_have_no_effect_on_attr_md5.
const (
	knownTraceHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	knownTraceMD5    = "5ae4d5d7636402d80f4eb6d213245a88"
)

// SendMessage and SendMessageBatch with an AWSTraceHeader answer
// MD5OfMessageSystemAttributes, computed as AWS does (the message
// attributes' algorithm), and it leaves MD5OfMessageAttributes alone.
func TestSDKMD5OfMessageSystemAttributes(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("traced")})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]types.MessageAttributeValue{"timestamp": {DataType: aws.String("Number"), StringValue: aws.String("1493147359900")}}
	trace := map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(knownTraceHeader)}}
	plain, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("test"), MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	traced, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("test"), MessageAttributes: attrs,
		MessageSystemAttributes: trace})
	if err != nil {
		t.Fatal(err)
	}
	if plain.MD5OfMessageSystemAttributes != nil || aws.ToString(traced.MD5OfMessageSystemAttributes) != knownTraceMD5 ||
		aws.ToString(traced.MD5OfMessageAttributes) != aws.ToString(plain.MD5OfMessageAttributes) {
		t.Fatalf("MD5OfMessageSystemAttributes: plain %v, traced %q (want %s); attributes' MD5 %q vs %q",
			plain.MD5OfMessageSystemAttributes, aws.ToString(traced.MD5OfMessageSystemAttributes), knownTraceMD5,
			aws.ToString(traced.MD5OfMessageAttributes), aws.ToString(plain.MD5OfMessageAttributes))
	}
	batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("x"), MessageSystemAttributes: trace}, {Id: aws.String("b"), MessageBody: aws.String("y")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 2 || aws.ToString(batch.Successful[0].MD5OfMessageSystemAttributes) != knownTraceMD5 || batch.Successful[1].MD5OfMessageSystemAttributes != nil {
		t.Fatalf("batch = %+v", batch.Successful)
	}
	if got := md5OfSystemAttributes(knownTraceHeader); got != knownTraceMD5 {
		t.Errorf("Go API: %s", got)
	}
}

// An SQS operation the package does not serve answers what AWS answers an
// operation it does not know: HTTP 400 with the type
// com.amazon.coral.service#UnknownOperationException, no query error code,
// which the SDK reports as UnknownOperationException.
func TestUnservedOperationsAnswerUnknownOperation(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), b.Service()))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"QueueUrl":"q","Label":"l","AWSAccountIds":["1"],"Actions":["*"]}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.AddPermission")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var body map[string]string
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	if resp.StatusCode != http.StatusBadRequest || body["__type"] != "com.amazon.coral.service#UnknownOperationException" ||
		resp.Header.Get("x-amzn-query-error") != "" || !strings.Contains(body["message"], "AmazonSQS.AddPermission") {
		t.Fatalf("AddPermission: %d %s (query error %q)", resp.StatusCode, raw, resp.Header.Get("x-amzn-query-error"))
	}
	c := newSDKClient(t, b)
	_, err = c.RemovePermission(context.Background(), &sqs.RemovePermissionInput{QueueUrl: aws.String(b.QueueURL("q")), Label: aws.String("l")})
	if apiCode(err) != "UnknownOperationException" {
		t.Errorf("RemovePermission through the SDK: %v (code %q)", err, apiCode(err))
	}
}

// The operation registry lists what Service serves, and with the unserved
// operations covers botocore's SQS model exactly.
func TestOperationsRegistry(t *testing.T) {
	ops := Operations()
	if !slices.IsSorted(ops) {
		t.Errorf("not sorted: %v", ops)
	}
	svc := (&Broker{}).Service()
	for _, name := range ops {
		if svc.Ops[name] == nil {
			t.Errorf("%s is registered but not served", name)
		}
	}
	for _, name := range []string{"ListMessageMoveTasks", "CancelMessageMoveTask", "TagQueue", "UntagQueue", "ListQueueTags", "SendMessage"} {
		if !slices.Contains(ops, name) {
			t.Errorf("%s missing from the registry", name)
		}
	}
	if len(svc.Ops) != len(ops)+len(unservedOperations) {
		t.Errorf("Service has %d operations, the registry %d and %d unserved", len(svc.Ops), len(ops), len(unservedOperations))
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH: botocore's model not checked")
	}
	out, err := exec.Command("python3", "-c", `import botocore.session, json; print(json.dumps(botocore.session.get_session().get_service_model("sqs").operation_names))`).Output()
	if err != nil {
		t.Skipf("botocore not importable: %v", err)
	}
	var model []string
	if err := json.Unmarshal(out, &model); err != nil {
		t.Fatal(err)
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(ops), unservedOperations...)))
	slices.Sort(model)
	if !slices.Equal(all, model) {
		t.Errorf("served + unserved = %v\nbotocore's sqs model = %v", all, model)
	}
}

// A receive with a visibility timeout of 0 returns each message once: the
// messages it has just released are not offered again in the same receive
// (it used to return one message ten times).
func TestReceiveWithVisibilityZeroReturnsEachMessageOnce(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	mustCreate(t, b, "zero", nil)
	mustSend(t, b, "zero", NewMessage{Body: "only"})
	got, err := b.Receive(context.Background(), "zero", ReceiveOptions{MaxMessages: 10, VisibilityTimeout: dur(0), WaitTime: dur(0)})
	if err != nil || len(got) != 1 || got[0].ReceiveCount != 1 {
		t.Fatalf("received %d messages (%v), want the one message once", len(got), err)
	}
}
