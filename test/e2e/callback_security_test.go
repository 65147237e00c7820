package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/consumers/signature"
	"loanflow/contracts"
	"loanflow/infra/local"
	"loanflow/infra/local/localtest"
	"loanflow/infra/redrive"
)

// completedBody is the valuation service's answer for reference.
func completedBody(reference string) []byte {
	b, _ := json.Marshal(contracts.ValuationResponse{ValuationReference: reference, Status: contracts.StatusCompleted,
		PropertyValue: 40000000, Currency: "GBP"})
	return b
}

// post sends a signed callback to the webhook as a valuation provider would.
func (e *env) post(t *testing.T, callbackID string, body []byte, ts, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.stack.Outputs.Endpoint+"/valuations/"+callbackID, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contracts.HeaderAPIKey, e.stack.WebhookAPIKey())
	req.Header.Set(contracts.HeaderSignatureTimestamp, ts)
	req.Header.Set(contracts.HeaderSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// forgetReference puts a record back in the window between storing the
// token and the service's 201, when it has no valuation reference yet.
func (e *env) forgetReference(t *testing.T, callbackID string) {
	t.Helper()
	if _, err := e.ddb.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(local.TableName),
		Key:              map[string]ddbtypes.AttributeValue{"callbackId": &ddbtypes.AttributeValueMemberS{Value: callbackID}},
		UpdateExpression: aws.String("REMOVE valuationReference")}); err != nil {
		t.Fatal(err)
	}
}

// backdate moves a token record's creation back to at.
func (e *env) backdate(t *testing.T, callbackID string, at time.Time) {
	t.Helper()
	if _, err := e.ddb.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(local.TableName),
		Key:                       map[string]ddbtypes.AttributeValue{"callbackId": &ddbtypes.AttributeValueMemberS{Value: callbackID}},
		UpdateExpression:          aws.String("SET createdAt = :at"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":at": &ddbtypes.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339Nano)}}}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) waitCounter(t *testing.T, name string, above int64) {
	t.Helper()
	localtest.Eventually(t, 10*time.Second, name+" to be counted", func() (bool, string) {
		n := e.stack.Metrics.Snapshot()[name]
		return n > above, strconv.FormatInt(n, 10)
	})
}

// Issue 13's first finding: loan A's signed answer, re-addressed to loan B
// before B's record has a valuation reference, resumed B with A's valuation.
// Through the webhook and through put-events, it now resumes nothing.
func TestReaddressedSignedCallbackResumesNothing(t *testing.T) {
	e := start(t, 60*time.Second)
	_, cbA, refA := e.startWaiting(t, "loan-a")
	arnB, cbB, _ := e.startWaiting(t, "loan-b")
	e.forgetReference(t, cbB)
	body := completedBody(refA)
	ts, sig := signature.Sign(time.Now(), signature.Message{CallbackID: cbA, Body: body}, e.stack.Secret())

	rejected := e.stack.Metrics.Snapshot()["CallbacksRejected"]
	if code := e.post(t, cbB, body, ts, sig); code != http.StatusAccepted {
		t.Fatalf("webhook answered %d", code)
	}
	e.waitCounter(t, "CallbacksRejected", rejected)

	rejected = e.stack.Metrics.Snapshot()["CallbacksRejected"]
	detail, _ := json.Marshal(contracts.ValuationCallbackDetail{Version: contracts.CallbackDetailVersion, CallbackID: cbB,
		Signature: contracts.Signature{Timestamp: ts, Value: sig}, BodyBase64: base64.StdEncoding.EncodeToString(body),
		ReceivedAt: strconv.FormatInt(time.Now().UnixMilli(), 10), ReceiptID: "by-hand-1",
		Response: contracts.ValuationResponse{ValuationReference: refA, Status: contracts.StatusCompleted, PropertyValue: 40000000, Currency: "GBP"}})
	out, err := e.evb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(contracts.EventSource), DetailType: aws.String(contracts.DetailTypeCompleted),
		Detail: aws.String(string(detail)), EventBusName: aws.String(e.stack.Outputs.EventBusName)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put-events: %v", err)
	}
	e.waitCounter(t, "CallbacksRejected", rejected)
	if st, _ := e.status(t, arnB); st != sfntypes.ExecutionStatusRunning {
		t.Fatalf("loan B was resumed by loan A's answer: %s", st)
	}
	if r := e.records(t)[arnB]; r.Status != "PENDING" {
		t.Fatalf("loan B's record: %+v", r)
	}
}

// A correctly signed body whose bytes are not UTF-8 resumes its loan: the
// webhook forwards the bytes it received.
func TestSignedBodyWithInvalidUTF8ResumesItsLoan(t *testing.T) {
	e := start(t, 60*time.Second)
	arn, cb, ref := e.startWaiting(t, "utf8")
	body := []byte(`{"valuationReference":"` + ref + `","status":"FAILED","failure":{"reasonCode":"ACCESS_REFUSED","reason":"Caf` + "\xe9 \xff" + `"}}`)
	ts, sig := signature.Sign(time.Now(), signature.Message{CallbackID: cb, Body: body}, e.stack.Secret())
	if code := e.post(t, cb, body, ts, sig); code != http.StatusAccepted {
		t.Fatalf("webhook answered %d", code)
	}
	localtest.Eventually(t, 10*time.Second, "the loan to resume", func() (bool, string) {
		st, _ := e.status(t, arn)
		return st != sfntypes.ExecutionStatusRunning, string(st)
	})
	if n := e.resumes(t, arn); n != 1 {
		t.Fatalf("resumed %d times", n)
	}
}

// The event the webhook published at receivedAt for a callback, as it lands
// in the resolver's DLQ once its delivery attempts run out.
func dlqMessage(t *testing.T, cb string, body []byte, key []byte, receivedAt time.Time, receipt string) string {
	t.Helper()
	ts, sig := signature.Sign(receivedAt.Add(-time.Second), signature.Message{CallbackID: cb, Body: body}, key)
	var resp contracts.ValuationResponse
	_ = json.Unmarshal(body, &resp)
	detail, _ := json.Marshal(contracts.ValuationCallbackDetail{Version: contracts.CallbackDetailVersion, CallbackID: cb,
		Signature: contracts.Signature{Timestamp: ts, Value: sig}, BodyBase64: base64.StdEncoding.EncodeToString(body),
		ReceivedAt: strconv.FormatInt(receivedAt.UnixMilli(), 10), ReceiptID: receipt, Response: resp})
	ev, _ := json.Marshal(map[string]any{"version": "0", "id": "evt-" + receipt, "detail-type": contracts.DetailTypeCompleted,
		"source": contracts.EventSource, "account": local.AccountID, "time": receivedAt.UTC().Format(time.RFC3339),
		"region": "us-east-1", "resources": []string{}, "detail": json.RawMessage(detail)})
	return string(ev)
}

// A callback whose delivery ran out of attempts is redriven from the DLQ ten
// minutes after the webhook received it: its loan resumes, once. A record
// left CLAIMED by an interrupted resolve is resumed by the same redrive.
// Redriving the same callback again resumes nothing.
func TestCallbackRedrivenTenMinutesAfterReceiptResumesOnce(t *testing.T) {
	e := start(t, 60*time.Second)
	ctx := context.Background()
	dlq := e.stack.Outputs.CallbackDLQURL
	arn1, cb1, ref1 := e.startWaiting(t, "redrive-1")
	arn2, cb2, ref2 := e.startWaiting(t, "redrive-2")
	// The timeline: the loans asked for their valuations eleven minutes ago,
	// the webhook received the answers ten minutes ago, and the resolver's
	// attempts ran out (EventBridge would retry for two hours).
	received := time.Now().Add(-10 * time.Minute)
	for _, cb := range []string{cb1, cb2} {
		e.backdate(t, cb, received.Add(-time.Minute))
	}
	msg1 := dlqMessage(t, cb1, completedBody(ref1), e.stack.Secret(), received, "r-1")
	msg2 := dlqMessage(t, cb2, completedBody(ref2), e.stack.Secret(), received, "r-2")

	// Loan 2's callback had claimed its record when the resolver gave up.
	var d contracts.ValuationCallbackDetail
	var ev struct{ Detail json.RawMessage }
	_ = json.Unmarshal([]byte(msg2), &ev)
	_ = json.Unmarshal(ev.Detail, &d)
	raw, _ := base64.StdEncoding.DecodeString(d.BodyBase64)
	claim := "cb-" + signature.Digest(d.Signature.Timestamp, d.Signature.Value, signature.Message{CallbackID: cb2, Body: raw}, d.ReceiptID)
	if _, err := e.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(local.TableName),
		Key:                       map[string]ddbtypes.AttributeValue{"callbackId": &ddbtypes.AttributeValueMemberS{Value: cb2}},
		UpdateExpression:          aws.String("SET #s = :c, claimedBy = :by"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":c": &ddbtypes.AttributeValueMemberS{Value: "CLAIMED"}, ":by": &ddbtypes.AttributeValueMemberS{Value: claim}}}); err != nil {
		t.Fatal(err)
	}

	redriveAll := func(msgs ...string) redrive.Result {
		t.Helper()
		for _, m := range msgs {
			if _, err := e.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlq), MessageBody: aws.String(m)}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := redrive.Run(ctx, e.sqs, e.evb, redrive.Options{QueueURL: dlq, BusName: e.stack.Outputs.EventBusName})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := redriveAll(msg1, msg2); res.Redriven != 2 || res.Skipped+res.Failed != 0 {
		t.Fatalf("redrive: %+v", res)
	}
	for _, arn := range []string{arn1, arn2} {
		localtest.Eventually(t, 10*time.Second, "the redriven loan to resume", func() (bool, string) {
			st, _ := e.status(t, arn)
			return st == sfntypes.ExecutionStatusSucceeded, string(st)
		})
	}
	resolved := e.stack.Metrics.Snapshot()["CallbacksResolved"]
	if res := redriveAll(msg1, msg2, `not an event`); res.Redriven != 2 || res.Skipped != 1 {
		t.Fatalf("second redrive: %+v", res)
	}
	time.Sleep(500 * time.Millisecond) // give a wrong second resume the time to happen
	for _, arn := range []string{arn1, arn2} {
		if n := e.resumes(t, arn); n != 1 {
			t.Fatalf("%s resumed %d times", arn, n)
		}
		if r := e.records(t)[arn]; r.Status != "RESOLVED" {
			t.Fatalf("record %+v", r)
		}
	}
	if n := e.stack.Metrics.Snapshot()["CallbacksResolved"]; n != resolved {
		t.Fatalf("the second redrive resolved %d more", n-resolved)
	}
}

// The signing key rotates mid-stream, as README's runbook does it
// (put-secret-value on the secret): callbacks signed with the old key and
// delivered after the rotation, callbacks signed with the new key before the
// resolver has read it, and loans the mock values across the rotation all
// resume; nothing is rejected.
func TestKeyRotationMidStreamLosesNothing(t *testing.T) {
	e := start(t, 60*time.Second)
	ctx := context.Background()
	type loan struct{ arn, cb, ref string }
	var waiting []loan
	for i := range 6 {
		arn, cb, ref := e.startWaiting(t, fmt.Sprintf("rotate-%d", i))
		waiting = append(waiting, loan{arn, cb, ref})
	}
	oldKey := e.stack.Secret()
	// In-flight: signed with the old key before the rotation.
	type signed struct{ ts, sig string }
	early := map[int]signed{}
	for i := range 3 {
		ts, sig := signature.Sign(time.Now(), signature.Message{CallbackID: waiting[i].cb, Body: completedBody(waiting[i].ref)}, oldKey)
		early[i] = signed{ts, sig}
	}
	// Loans the mock values while the key rotates.
	var valued []string
	for i := range 4 {
		app := fmt.Sprintf(`{"applicationId":"APP-ROT-%d","applicant":{"name":"Ada","email":"ada@example.com"},"property":{"name":"%d","address":{"line1":"%d Road","town":"Leeds","postcode":"LS1 1AA"}},"loanAmount":20000000,"currency":"GBP","termMonths":300}`, i, i, i)
		out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(e.stack.Outputs.LoanProcessorARN), Name: aws.String(fmt.Sprintf("APP-ROT-%d", i)), Input: aws.String(app)})
		if err != nil {
			t.Fatal(err)
		}
		valued = append(valued, aws.ToString(out.ExecutionArn))
	}
	sm := secretsmanager.NewFromConfig(e.cfg)
	newKey := "rotated-" + strconv.FormatInt(time.Now().UnixNano(), 16) + "0123456789abcdef0123456789abcdef0123456789"
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(e.stack.Config.Signature.SecretName), SecretString: aws.String(newKey)}); err != nil {
		t.Fatal(err)
	}
	rejected := e.stack.Metrics.Snapshot()["CallbacksRejected"]
	for i, l := range waiting {
		ts, sig := early[i].ts, early[i].sig
		if i >= 3 { // signed with the new key, before the resolver's cache has seen it
			ts, sig = signature.Sign(time.Now(), signature.Message{CallbackID: l.cb, Body: completedBody(l.ref)}, []byte(newKey))
		}
		if code := e.post(t, l.cb, completedBody(l.ref), ts, sig); code != http.StatusAccepted {
			t.Fatalf("webhook answered %d", code)
		}
	}
	arns := valued
	for _, l := range waiting {
		arns = append(arns, l.arn)
	}
	for _, arn := range arns {
		localtest.Eventually(t, 20*time.Second, "every loan to resume across the rotation", func() (bool, string) {
			st, _ := e.status(t, arn)
			return st == sfntypes.ExecutionStatusSucceeded, string(st)
		})
	}
	if n := e.stack.Metrics.Snapshot()["CallbacksRejected"]; n != rejected {
		t.Fatalf("%d callbacks rejected across the rotation", n-rejected)
	}
	if string(e.stack.Secret()) != newKey {
		t.Fatal("the stack does not sign with the rotated key")
	}
}
