package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// notificationJSON is the envelope of a notification.
type notificationJSON struct {
	Type                                        string
	MessageID                                   string `json:"MessageId"`
	TopicARN                                    string `json:"TopicArn"`
	Subject, Message, Timestamp                 string
	SignatureVersion, Signature, SigningCertURL string
	UnsubscribeURL, Token, SubscribeURL         string
	MessageAttributes                           map[string]struct{ Type, Value string }
}

func decodeEnvelope(t *testing.T, body string) notificationJSON {
	t.Helper()
	var n notificationJSON
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		t.Fatalf("envelope %q: %v", body, err)
	}
	return n
}

// verifySignature checks an envelope's signature as the SNS message
// validators do: fetch SigningCertURL, rebuild the canonical string.
func verifySignature(t *testing.T, n notificationJSON) {
	t.Helper()
	resp, err := http.Get(n.SigningCertURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	block, _ := pem.Decode(raw)
	if resp.StatusCode != 200 || block == nil {
		t.Fatalf("GET %s: %d %q", n.SigningCertURL, resp.StatusCode, raw)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var fields [][2]string
	if n.Type == "Notification" {
		fields = [][2]string{{"Message", n.Message}, {"MessageId", n.MessageID}, {"Subject", n.Subject},
			{"Timestamp", n.Timestamp}, {"TopicArn", n.TopicARN}, {"Type", n.Type}}
	} else {
		fields = [][2]string{{"Message", n.Message}, {"MessageId", n.MessageID}, {"SubscribeURL", n.SubscribeURL},
			{"Timestamp", n.Timestamp}, {"Token", n.Token}, {"TopicArn", n.TopicARN}, {"Type", n.Type}}
	}
	var b strings.Builder
	for _, f := range fields {
		if f[0] == "Subject" && f[1] == "" {
			continue
		}
		b.WriteString(f[0] + "\n" + f[1] + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(n.Signature)
	if err != nil {
		t.Fatal(err)
	}
	var digest []byte
	hash := crypto.SHA1
	if n.SignatureVersion == "2" {
		sum := sha256.Sum256([]byte(b.String()))
		digest, hash = sum[:], crypto.SHA256
	} else {
		sum := sha1.Sum([]byte(b.String()))
		digest = sum[:]
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), hash, digest, sig); err != nil {
		t.Errorf("signature (version %s) does not verify: %v", n.SignatureVersion, err)
	}
}

func TestSQSSubscriptionGetsTheEnvelope(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("loan-decisions")
	subARN := st.subscribe(topicARN, "sqs", st.createQueue("notifications"), nil)
	if !strings.HasPrefix(subARN, topicARN+":") {
		t.Fatalf("SubscriptionArn = %s", subARN)
	}
	out, err := st.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Subject: aws.String("Loan referred"),
		Message: aws.String(`{"applicationId":"app-1","decision":"Referred"} <&>`),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"decision": {DataType: aws.String("String"), StringValue: aws.String("Referred")},
			"amount":   {DataType: aws.String("Number"), StringValue: aws.String("250000")},
			"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Publish has answered: the queue already holds the notification.
	if st.queueEmpty("notifications") {
		t.Fatal("the queue is empty right after Publish answered")
	}
	m := st.receive("notifications")
	if !strings.HasPrefix(m.Body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ") {
		t.Errorf("the envelope is not laid out as SNS lays it out:\n%s", m.Body)
	}
	n := decodeEnvelope(t, m.Body)
	if n.Type != "Notification" || n.MessageID != aws.ToString(out.MessageId) || n.TopicARN != topicARN ||
		n.Subject != "Loan referred" || n.Message != `{"applicationId":"app-1","decision":"Referred"} <&>` ||
		n.SignatureVersion != "1" || !strings.HasPrefix(n.SigningCertURL, st.srv.URL+"/SimpleNotificationService-") ||
		n.UnsubscribeURL != st.srv.URL+"/?Action=Unsubscribe&SubscriptionArn="+subARN {
		t.Errorf("envelope = %+v", n)
	}
	if len(n.Timestamp) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(n.Timestamp, "Z") {
		t.Errorf("Timestamp = %q", n.Timestamp)
	}
	if a := n.MessageAttributes; a["decision"].Type != "String" || a["decision"].Value != "Referred" ||
		a["amount"].Type != "Number" || a["amount"].Value != "250000" || a["blob"].Type != "Binary" || a["blob"].Value != "AAEC" {
		t.Errorf("MessageAttributes = %+v", a)
	}
	if strings.Contains(m.Body, `\u003c`) {
		t.Errorf("the envelope escapes HTML characters; SNS does not: %s", m.Body)
	}
	if len(m.Attributes) != 0 {
		t.Errorf("a non-raw delivery carries SQS attributes: %v", m.Attributes)
	}
	verifySignature(t, n)

	// SignatureVersion 2 signs with SHA256; no subject leaves Subject out.
	if _, err := st.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(topicARN),
		AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.Publish(ctx, topicARN, "", "second", nil); err != nil {
		t.Fatal(err)
	}
	m = st.receive("notifications")
	n = decodeEnvelope(t, m.Body)
	if n.SignatureVersion != "2" || strings.Contains(m.Body, `"Subject"`) || strings.Contains(m.Body, "MessageAttributes") {
		t.Errorf("second envelope = %s", m.Body)
	}
	verifySignature(t, n)
	if got := st.deliveryStates(n.MessageID); got[stateDelivered] != 1 {
		t.Errorf("delivery states = %v", got)
	}
}

func TestRawMessageDelivery(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("raw")
	subARN := st.subscribe(topicARN, "sqs", st.createQueue("raw-q"), map[string]string{"RawMessageDelivery": "true"})
	attrs, err := st.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"RawMessageDelivery": "true", "Protocol": "sqs", "TopicArn": topicARN,
		"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true", "Owner": "000000000000", "SubscriptionArn": subARN} {
		if attrs.Attributes[k] != want {
			t.Errorf("subscription attribute %s = %q, want %q", k, attrs.Attributes[k], want)
		}
	}
	if !strings.Contains(attrs.Attributes["EffectiveDeliveryPolicy"], `"healthyRetryPolicy"`) {
		t.Errorf("EffectiveDeliveryPolicy = %s", attrs.Attributes["EffectiveDeliveryPolicy"])
	}
	_, err = st.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("just the text"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("loan")},
			"tags": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","b"]`)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	m := st.receive("raw-q")
	if m.Body != "just the text" || m.Attributes["kind"].StringValue != "loan" || m.Attributes["tags"].DataType != "String.Array" {
		t.Errorf("raw message = %q %+v", m.Body, m.Attributes)
	}
	// Turned off again: the envelope.
	if _, err := st.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.Publish(ctx, topicARN, "", "wrapped", nil); err != nil {
		t.Fatal(err)
	}
	if n := decodeEnvelope(t, st.receive("raw-q").Body); n.Message != "wrapped" {
		t.Errorf("envelope = %+v", n)
	}
	_, err = st.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("maybe")})
	if apiCode(err) != "InvalidParameter" {
		t.Errorf("RawMessageDelivery=maybe: %v", err)
	}
}

func TestFilterPolicies(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("filtered")
	st.subscribe(topicARN, "sqs", st.createQueue("referred"), map[string]string{
		"FilterPolicy": `{"decision":["Referred"],"amount":[{"numeric":[">=",100000]}],"reason":[{"anything-but":["test"]}]}`})
	st.subscribe(topicARN, "sqs", st.createQueue("tagged"), map[string]string{"FilterPolicy": `{"tags":["urgent"]}`})
	st.subscribe(topicARN, "sqs", st.createQueue("by-body"), map[string]string{
		"FilterPolicy": `{"detail":{"decision":[{"prefix":"Ref"}]}}`, "FilterPolicyScope": "MessageBody"})
	st.subscribe(topicARN, "sqs", st.createQueue("everything"), nil)

	attr := func(kv ...string) map[string]MessageAttribute {
		m := map[string]MessageAttribute{}
		for i := 0; i < len(kv); i += 3 {
			m[kv[i]] = MessageAttribute{DataType: kv[i+1], StringValue: kv[i+2]}
		}
		return m
	}
	publish := func(msg string, attrs map[string]MessageAttribute) string {
		id, err := st.svc.Publish(ctx, topicARN, "", msg, attrs)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	publish("match", attr("decision", "String", "Referred", "amount", "Number", "250000", "reason", "String", "timeout"))
	publish("too small", attr("decision", "String", "Referred", "amount", "Number", "99999.5", "reason", "String", "timeout"))
	publish("amount as string", attr("decision", "String", "Referred", "amount", "String", "250000", "reason", "String", "x"))
	publish("excluded reason", attr("decision", "String", "Referred", "amount", "Number", "1e6", "reason", "String", "test"))
	publish("array", attr("tags", "String.Array", `["low","urgent"]`))
	publish(`{"detail":{"decision":"Referred"}}`, nil)
	publish(`not json`, nil)

	if m := st.receive("referred"); m.Body == "" || decodeEnvelope(t, m.Body).Message != "match" {
		t.Errorf("referred got %s", m.Body)
	}
	if m := st.receive("tagged"); decodeEnvelope(t, m.Body).Message != "array" {
		t.Errorf("tagged got %s", m.Body)
	}
	if m := st.receive("by-body"); decodeEnvelope(t, m.Body).Message != `{"detail":{"decision":"Referred"}}` {
		t.Errorf("by-body got %s", m.Body)
	}
	for _, q := range []string{"referred", "tagged", "by-body"} {
		if !st.queueEmpty(q) {
			t.Errorf("queue %s got a message its filter policy excludes", q)
		}
	}
	qs, _ := st.queues.QueueStats(ctx, "everything")
	if qs.Visible != 7 {
		t.Errorf("the unfiltered queue holds %d messages, want 7", qs.Visible)
	}

	for _, bad := range []map[string]string{
		{"FilterPolicy": `{"a":{"b":["c"]}}`}, // nesting needs the MessageBody scope
		{"FilterPolicy": `not json`},
		{"FilterPolicy": `{"a":"b"}`},
		{"FilterPolicy": `{"a":[{"numeric":["<"]}]}`},
		{"FilterPolicy": `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`},
		{"FilterPolicyScope": "Everything"},
	} {
		_, err := st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
			Endpoint: aws.String(st.queues.QueueARN("bad")), Attributes: bad})
		if apiCode(err) != "InvalidParameter" {
			t.Errorf("Subscribe with %v: %v, want InvalidParameter", bad, err)
		} else if !strings.Contains(apiMessage(err), "Invalid parameter") {
			t.Errorf("message %q", apiMessage(err))
		}
	}
}

func TestMessageStructureJSON(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("structured")
	st.subscribe(topicARN, "sqs", st.createQueue("q"), nil)
	ep := newEndpoint(t, nil)
	st.subscribe(topicARN, "http", ep.srv.URL, nil)
	conf := decodeEnvelope(t, ep.waitPosts(t, 1)[0].body)
	if _, err := st.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(topicARN), Token: aws.String(conf.Token)}); err != nil {
		t.Fatal(err)
	}
	_, err := st.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","sqs":"for queues","email":7}`)})
	if err != nil {
		t.Fatal(err)
	}
	if n := decodeEnvelope(t, st.receive("q").Body); n.Message != "for queues" {
		t.Errorf("sqs got %q", n.Message)
	}
	if n := decodeEnvelope(t, ep.waitPosts(t, 2)[1].body); n.Message != "for everyone" {
		t.Errorf("http got %q", n.Message)
	}
	for _, bad := range []string{`{"sqs":"no default"}`, `not json`, `{"default":"a","default":"b"}`, `{"default":"a"} trailing`} {
		_, err := st.client.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(topicARN), MessageStructure: aws.String("json"), Message: aws.String(bad)})
		if apiCode(err) != "InvalidParameter" || !strings.Contains(apiMessage(err), "Message Structure") {
			t.Errorf("MessageStructure json %q: %v", bad, err)
		}
	}
}

func TestPublishBatch(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("batch")
	st.subscribe(topicARN, "sqs", st.createQueue("q"), map[string]string{"RawMessageDelivery": "true"})
	out, err := st.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("one"), Message: aws.String("first")},
		{Id: aws.String("two"), Message: aws.String("second"), Subject: aws.String("bad\nsubject")},
		{Id: aws.String("three"), Message: aws.String("third"), MessageAttributes: map[string]types.MessageAttributeValue{
			"n": {DataType: aws.String("Number"), StringValue: aws.String("42")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "two" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameter" || !out.Failed[0].SenderFault {
		t.Fatalf("PublishBatch = %+v", out)
	}
	qs, _ := st.queues.QueueStats(ctx, "q")
	if qs.Visible != 2 {
		t.Errorf("queue holds %d, want 2", qs.Visible)
	}
	_, err = st.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("x"), Message: aws.String("a")}, {Id: aws.String("x"), Message: aws.String("b")}}})
	var dup *types.BatchEntryIdsNotDistinctException
	if !errors.As(err, &dup) {
		t.Errorf("duplicate ids: %v", err)
	}
	entries := make([]types.PublishBatchRequestEntry, 11)
	for i := range entries {
		entries[i] = types.PublishBatchRequestEntry{Id: aws.String(string(rune('a' + i))), Message: aws.String("m")}
	}
	_, err = st.client.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: entries})
	if apiCode(err) != "TooManyEntriesInBatchRequest" {
		t.Errorf("11 entries: %v", err)
	}
}
