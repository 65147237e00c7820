package sns

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

func TestHTTPSubscriptionConfirmationAndDelivery(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("hooks")
	ep := newEndpoint(t, nil)

	out, err := st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"),
		Endpoint: aws.String(ep.srv.URL + "/sns")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubscriptionArn) != "pending confirmation" {
		t.Errorf("SubscriptionArn = %q, want \"pending confirmation\"", aws.ToString(out.SubscriptionArn))
	}
	post := ep.waitPosts(t, 1)[0]
	conf := decodeEnvelope(t, post.body)
	if conf.Type != "SubscriptionConfirmation" || conf.TopicARN != topicARN || len(conf.Token) < 100 ||
		conf.SubscribeURL != st.srv.URL+"/?Action=ConfirmSubscription&TopicArn="+topicARN+"&Token="+conf.Token ||
		!strings.Contains(conf.Message, "You have chosen to subscribe to the topic "+topicARN) {
		t.Errorf("confirmation = %+v", conf)
	}
	for h, want := range map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation", "x-amz-sns-message-id": conf.MessageID,
		"x-amz-sns-topic-arn": topicARN, "Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent"} {
		if got := post.header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	verifySignature(t, conf)

	list, err := st.client.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil || len(list.Subscriptions) != 1 || aws.ToString(list.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" {
		t.Fatalf("ListSubscriptionsByTopic = %+v, %v", list, err)
	}
	attrs, _ := st.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if attrs.Attributes["SubscriptionsPending"] != "1" {
		t.Errorf("SubscriptionsPending = %s", attrs.Attributes["SubscriptionsPending"])
	}
	// Nothing is delivered to a pending subscription.
	if _, err := st.svc.Publish(ctx, topicARN, "", "before", nil); err != nil {
		t.Fatal(err)
	}

	_, err = st.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(topicARN), Token: aws.String("bogus")})
	if apiCode(err) != "InvalidParameter" || apiMessage(err) != "Invalid parameter: Token" {
		t.Errorf("ConfirmSubscription with a bad token: %v", err)
	}
	// The endpoint confirms by visiting SubscribeURL, as most do.
	resp, err := http.Get(conf.SubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<ConfirmSubscriptionResult><SubscriptionArn>"+topicARN+":") {
		t.Fatalf("GET SubscribeURL: %d %s", resp.StatusCode, body)
	}
	subARN := strings.TrimSuffix(strings.Split(string(body), "<SubscriptionArn>")[1], "</SubscriptionArn></ConfirmSubscriptionResult>")
	subARN = subARN[:strings.Index(subARN, "<")]
	// Confirming again is answered with the same ARN.
	again, err := st.client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{TopicArn: aws.String(topicARN), Token: aws.String(conf.Token)})
	if err != nil || aws.ToString(again.SubscriptionArn) != subARN {
		t.Errorf("ConfirmSubscription again = %v, %v; want %s", again, err, subARN)
	}
	sa, err := st.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil || sa.Attributes["PendingConfirmation"] != "false" || sa.Attributes["ConfirmationWasAuthenticated"] != "false" {
		t.Errorf("subscription attributes = %v, %v", sa, err)
	}

	id, err := st.svc.Publish(ctx, topicARN, "Hello", "after", map[string]MessageAttribute{"k": {DataType: "String", StringValue: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	posts := ep.waitPosts(t, 2)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2 (nothing while pending)", len(posts))
	}
	n := decodeEnvelope(t, posts[1].body)
	if n.Type != "Notification" || n.MessageID != id || n.Message != "after" || n.Subject != "Hello" || n.MessageAttributes["k"].Value != "v" {
		t.Errorf("notification = %+v", n)
	}
	for h, want := range map[string]string{"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": id,
		"x-amz-sns-topic-arn": topicARN, "x-amz-sns-subscription-arn": subARN} {
		if got := posts[1].header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	verifySignature(t, n)

	// Raw delivery over HTTP: the message as the body, flagged by a header.
	if _, err := st.client.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.Publish(ctx, topicARN, "", "raw body", nil); err != nil {
		t.Fatal(err)
	}
	raw := ep.waitPosts(t, 3)[2]
	if raw.body != "raw body" || raw.header.Get("x-amz-sns-rawdelivery") != "true" {
		t.Errorf("raw post = %q %v", raw.body, raw.header)
	}

	// The UnsubscribeURL works unsigned, and the subscription counts as deleted.
	resp, err = http.Get(n.UnsubscribeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET UnsubscribeURL: %d", resp.StatusCode)
	}
	attrs, _ = st.client.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)})
	if attrs.Attributes["SubscriptionsConfirmed"] != "0" || attrs.Attributes["SubscriptionsDeleted"] != "1" {
		t.Errorf("counts after unsubscribe = %v", attrs.Attributes)
	}
	_, err = st.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if apiCode(err) != "NotFound" {
		t.Errorf("GetSubscriptionAttributes after unsubscribe: %v", err)
	}
}

func TestHTTPRetriesThenDeadLetterQueue(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("flaky")
	dlq := st.createQueue("sns-dlq")

	// Fails twice, then takes it: delivered on the third attempt.
	flaky := newEndpoint(t, func(n int) int {
		if n == 2 || n == 3 { // the first request is the confirmation
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	st.subscribe(topicARN, "http", flaky.srv.URL, nil)
	conf := decodeEnvelope(t, flaky.waitPosts(t, 1)[0].body)
	if _, err := st.svc.ConfirmSubscription(ctx, topicARN, conf.Token, true, false); err != nil {
		t.Fatal(err)
	}
	id, err := st.svc.Publish(ctx, topicARN, "", "eventually", nil)
	if err != nil {
		t.Fatal(err)
	}
	posts := flaky.waitPosts(t, 4)
	if n := decodeEnvelope(t, posts[3].body); n.MessageID != id {
		t.Errorf("fourth post = %+v", n)
	}
	waitFor(t, "the delivery to be recorded", func() bool { return st.deliveryStates(id)[stateDelivered] == 1 })

	// Always failing, with a policy of 1 retry and a dead-letter queue.
	down := newEndpoint(t, func(n int) int {
		if n == 1 {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	downARN := st.subscribe(topicARN, "http", down.srv.URL, map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":1,"maxDelayTarget":1}}`,
		"RedrivePolicy":  `{"deadLetterTargetArn":"` + dlq + `"}`,
	})
	conf = decodeEnvelope(t, down.waitPosts(t, 1)[0].body)
	if _, err := st.svc.ConfirmSubscription(ctx, topicARN, conf.Token, true, false); err != nil {
		t.Fatal(err)
	}
	sa, _ := st.client.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(downARN)})
	if !strings.Contains(sa.Attributes["EffectiveDeliveryPolicy"], `"numRetries":1`) {
		t.Errorf("EffectiveDeliveryPolicy = %s", sa.Attributes["EffectiveDeliveryPolicy"])
	}
	id, err = st.svc.Publish(ctx, topicARN, "", "never", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := st.receive("sns-dlq")
	if n := decodeEnvelope(t, m.Body); n.MessageID != id || m.Attributes["ErrorCode"].StringValue != "ServerError" ||
		!strings.Contains(m.Attributes["ErrorMessage"].StringValue, "HTTP 503") {
		t.Errorf("dead-lettered = %s %+v", m.Body, m.Attributes)
	}
	if got := len(down.posts()); got != 3 { // confirmation, attempt, one retry
		t.Errorf("%d posts to the failing endpoint, want 3", got)
	}
	waitFor(t, "the failure to be recorded", func() bool { return st.deliveryStates(id)[stateFailed] == 1 })

	_, err = st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("http"),
		Endpoint: aws.String(down.srv.URL + "/x"), Attributes: map[string]string{"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":101}}`}})
	if apiCode(err) != "InvalidParameter" {
		t.Errorf("a delivery policy of 101 retries: %v", err)
	}
}

func TestSubscribeValidation(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	topicARN := st.createTopic("checked")
	queue := st.createQueue("q")
	first := st.subscribe(topicARN, "sqs", queue, nil)
	if again := st.subscribe(topicARN, "sqs", queue, nil); again != first {
		t.Errorf("subscribing the same queue again = %s, want %s", again, first)
	}
	for _, c := range []struct{ protocol, endpoint, code, msg string }{
		{"email", "a@example.com", "InvalidParameter", "not supported by the loanflow local stack"},
		{"carrier-pigeon", "x", "InvalidParameter", "does not support this protocol string"},
		{"sqs", "not-an-arn", "InvalidParameter", "Invalid parameter: SQS endpoint ARN"},
		{"lambda", "arn:aws:sqs:us-east-1:000000000000:q", "InvalidParameter", "Invalid parameter: Lambda endpoint ARN"},
		{"http", "https://example.com", "InvalidParameter", "Endpoint must match the specified protocol"},
		{"http", "", "InvalidParameter", "Endpoint"},
	} {
		_, err := st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String(c.protocol), Endpoint: aws.String(c.endpoint)})
		if apiCode(err) != c.code || !strings.Contains(apiMessage(err), c.msg) {
			t.Errorf("Subscribe %s %q: %v; want %s containing %q", c.protocol, c.endpoint, err, c.code, c.msg)
		}
	}
	_, err := st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN + "-missing"), Protocol: aws.String("sqs"), Endpoint: aws.String(queue)})
	if apiCode(err) != "NotFound" {
		t.Errorf("Subscribe to a missing topic: %v", err)
	}
	_, err = st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(queue),
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	if apiCode(err) != "InvalidParameter" || !strings.Contains(apiMessage(err), "different attributes") {
		t.Errorf("Subscribe again with other attributes: %v", err)
	}
	fn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	_, err = st.client.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("lambda"), Endpoint: aws.String(fn),
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	if apiCode(err) != "InvalidParameter" || !strings.Contains(apiMessage(err), "does not support raw message delivery") {
		t.Errorf("raw delivery to lambda: %v", err)
	}
	_, err = st.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String("garbage")})
	if apiCode(err) != "InvalidParameter" {
		t.Errorf("Unsubscribe garbage: %v", err)
	}
	if _, err := st.client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(topicARN + ":no-such-id")}); err != nil {
		t.Errorf("Unsubscribe of an unknown subscription: %v, want success", err)
	}
	all, err := st.client.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 1 || aws.ToString(all.Subscriptions[0].Endpoint) != queue ||
		aws.ToString(all.Subscriptions[0].Owner) != "000000000000" || aws.ToString(all.Subscriptions[0].Protocol) != "sqs" {
		t.Errorf("ListSubscriptions = %+v, %v", all, err)
	}
}
