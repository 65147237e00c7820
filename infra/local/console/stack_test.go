package console_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/consumers/lambdalog"
	"loanflow/infra/local"
)

// The local stack's console shows its notifications topic (issue 15), read
// through the stack's Source: a confirmed raw SQS subscription with a
// filter policy, an HTTP one that never confirms, one to a queue that does
// not exist; messages with what became of their deliveries; and no whole
// secret, the webhook's signing key included.
func TestTheLocalStackShowsItsTopics(t *testing.T) {
	ctx := context.Background()
	s, err := local.Start(ctx, local.Options{StateDir: t.TempDir(), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cfg := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	topics, queues := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic := s.Outputs.NotificationsTopicARN

	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("referrals-watch")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})) // never confirms
	defer hook.Close()
	missing := strings.Replace(qa.Attributes["QueueArn"], "referrals-watch", "no-such-queue", 1)
	for _, sub := range []*sns.SubscribeInput{
		{Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"]),
			Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"decision":["REFERRED"]}`}},
		{Protocol: aws.String("http"), Endpoint: aws.String(hook.URL + "/hooks/referrals")},
		{Protocol: aws.String("sqs"), Endpoint: aws.String(missing)},
	} {
		sub.TopicArn = aws.String(topic)
		if _, err := topics.Subscribe(ctx, sub); err != nil {
			t.Fatalf("subscribe %s: %v", aws.ToString(sub.Endpoint), err)
		}
	}
	const token = "AQCEAAAAKgAAAAMAAAAAAAAAAWhole+Stack+Task+Token+Value/e2e=="
	decision := map[string]snstypes.MessageAttributeValue{"decision": {DataType: aws.String("String"), StringValue: aws.String("REFERRED")}}
	key := string(s.Secret())
	for _, m := range []*sns.PublishInput{
		{Subject: aws.String("Loan referred"), Message: aws.String(`{"applicationId":"app-e2e","taskToken":"` + token + `"}`), MessageAttributes: decision},
		{Message: aws.String("note: signed with " + key + " <b>bold</b>")},
	} {
		m.TopicArn = aws.String(topic)
		if _, err := topics.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	var body, page string
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(s.Outputs.ConsoleURL + "topics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body, page = string(b), readable(string(b))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /topics = %d: %.500s", res.StatusCode, page)
		}
		if strings.Contains(page, "1 delivered · 0 pending · 1 failed") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		local.NotificationsTopic, "loanflow loan notifications", topic,
		"sqs " + qa.Attributes["QueueArn"], "confirmed yes", "http " + hook.URL + "/hooks/referrals", "pending no every message",
		hook.URL + "/hooks/referrals", "no-such-queue", `"decision":["REFERRED"]`,
		"Loan referred", "1 delivered · 0 pending · 1 failed to 2 subscription(s)", // the filter keeps the raw queue from the note
		"0 delivered · 0 pending · 1 failed to 1 subscription(s)",
		`"taskToken": "` + lambdalog.Token(token) + `"`, "note: signed with (key hidden) <b>bold</b>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/topics: missing %q in %s", want, page)
		}
	}
	if strings.Contains(body, "<b>bold") || !strings.Contains(body, "&lt;b&gt;bold") {
		t.Error("a message's markup reached the page unescaped")
	}
	for _, secret := range []string{token, key} {
		if strings.Contains(page, secret) || strings.Contains(page, secret[:12]) {
			t.Errorf("/topics shows the secret %.8s…", secret)
		}
	}
}

var tags, spaces = regexp.MustCompile(`(?s)<[^>]*>`), regexp.MustCompile(`\s+`)

// readable is the text of a page's <main>: tags dropped, entities decoded,
// white space collapsed.
func readable(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	return spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(page, " ")), " ")
}
