package sns

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

func TestRestartKeepsTopicsSubscriptionsAndDeliveries(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("durable")
	if _, err := st.client.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(topicARN),
		AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Durable")}); err != nil {
		t.Fatal(err)
	}
	queueSub := st.subscribe(topicARN, "sqs", st.createQueue("q"), map[string]string{"FilterPolicy": `{"keep":["yes"]}`})
	var up atomic.Bool
	ep := newEndpoint(t, func(n int) int {
		if n == 1 || up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	// One retry, an hour later.
	httpSub := st.subscribe(topicARN, "http", ep.srv.URL, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":3600,"maxDelayTarget":3600}}`})
	conf := decodeEnvelope(t, ep.waitPosts(t, 1)[0].body)
	if _, err := st.svc.ConfirmSubscription(ctx, topicARN, conf.Token, true, false); err != nil {
		t.Fatal(err)
	}
	pending := newEndpoint(t, nil)
	st.subscribe(topicARN, "http", pending.srv.URL, nil) // never confirmed
	pending.waitPosts(t, 1)
	keep := map[string]MessageAttribute{"keep": {DataType: "String", StringValue: "yes"}}

	// m1: into the queue at once; the endpoint is down, so its delivery
	// waits for its retry.
	m1, err := st.svc.Publish(ctx, topicARN, "", "m1", keep)
	if err != nil {
		t.Fatal(err)
	}
	if decodeEnvelope(t, st.receive("q").Body).MessageID != m1 {
		t.Fatal("m1 is not in the queue")
	}
	waitFor(t, "m1's failed attempt", func() bool {
		var attempts int
		_ = st.db.QueryRow(`SELECT attempts FROM sns_deliveries WHERE message_id = ? AND sub_arn = ?`, m1, httpSub).Scan(&attempts)
		return attempts == 1
	})
	certURL := decodeEnvelope(t, ep.posts()[1].body).SigningCertURL

	// m2 is stored by a service that has stopped: as if it crashed right
	// after the publish committed, before any delivery.
	st.svc.Close()
	m2, err := st.svc.Publish(ctx, topicARN, "", "m2", keep)
	if err != nil {
		t.Fatal(err)
	}

	up.Store(true)
	st.opts.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // past the retry and the lease
	st.restart()

	attrs, err := st.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if err != nil || attrs.Attributes["DisplayName"] != "Durable" || attrs.Attributes["SubscriptionsConfirmed"] != "2" ||
		attrs.Attributes["SubscriptionsPending"] != "1" {
		t.Fatalf("after restart: %v, %v", attrs, err)
	}
	sa, err := st.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(queueSub)})
	if err != nil || sa.Attributes["FilterPolicy"] != `{"keep":["yes"]}` {
		t.Fatalf("queue subscription after restart: %v, %v", sa, err)
	}
	if n := decodeEnvelope(t, st.receive("q").Body); n.MessageID != m2 {
		t.Errorf("the queue got %s, want m2 %s", n.MessageID, m2)
	}
	posts := ep.waitPosts(t, 4)
	got := map[string]bool{}
	for _, p := range posts[2:] {
		n := decodeEnvelope(t, p.body)
		got[n.MessageID] = true
		if n.SigningCertURL != certURL {
			t.Errorf("SigningCertURL changed across the restart: %s, was %s", n.SigningCertURL, certURL)
		}
		verifySignature(t, n)
	}
	if !got[m1] || !got[m2] {
		t.Errorf("after restart the endpoint got %v, want m1 %s and m2 %s", got, m1, m2)
	}
	waitFor(t, "every delivery to be recorded", func() bool {
		return st.deliveryStates(m1)[stateDelivered] == 2 && st.deliveryStates(m2)[stateDelivered] == 2
	})
	// Nothing was delivered twice to the queue.
	if !st.queueEmpty("q") {
		t.Error("the queue holds a duplicate")
	}
	// The pending subscription can still be confirmed with its token.
	pconf := decodeEnvelope(t, pending.posts()[0].body)
	if _, err := st.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(topicARN), Token: aws.String(pconf.Token)}); err != nil {
		t.Errorf("confirming after restart: %v", err)
	}
}

func TestTopicsOverview(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("overview")
	st.subscribe(topicARN, "sqs", st.createQueue("q"), map[string]string{"RawMessageDelivery": "true"})
	st.subscribe(topicARN, "sqs", st.queues.QueueARN("missing-queue"), nil)
	id, err := st.svc.Publish(ctx, topicARN, "Subj", "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	topics, err := st.svc.Topics(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != 1 || len(topics[0].Subscriptions) != 2 || len(topics[0].Recent) != 1 {
		t.Fatalf("Topics = %+v", topics)
	}
	p := topics[0].Recent[0]
	if p.MessageID != id || p.Subject != "Subj" || p.Message != "hello" || p.Matched != 2 || p.Delivered != 1 || p.Failed != 1 || p.LastError == "" {
		t.Errorf("recent = %+v", p)
	}
	raw := 0
	for _, sub := range topics[0].Subscriptions {
		if sub.RawMessageDelivery {
			raw++
		}
	}
	if raw != 1 {
		t.Errorf("subscriptions = %+v", topics[0].Subscriptions)
	}
}

func TestDeliveryCutShortIsResumedAtRestart(t *testing.T) {
	st := newStack(t, Options{DeliveryTimeout: time.Hour}) // a lease far longer than the test
	ctx := context.Background()
	topicARN := st.createTopic("crash")
	st.subscribe(topicARN, "sqs", st.createQueue("q"), nil)
	st.svc.Close() // stops deliveries: the publish below commits and is never delivered
	id, err := st.svc.Publish(ctx, topicARN, "", "after the crash", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.queueEmpty("q") {
		t.Fatal("a stopped service delivered")
	}
	st.restart()
	if n := decodeEnvelope(t, st.receive("q").Body); n.MessageID != id {
		t.Errorf("got %s, want %s", n.MessageID, id)
	}
}
