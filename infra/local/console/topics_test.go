package console

import (
	"context"
	"errors"
	"html"
	"net/http"
	"strings"
	"testing"

	"loanflow/consumers/lambdalog"
)

// Issue 15: the console shows the topics, their subscriptions and what
// became of their recent messages.
func TestTopicsPageShowsTopicsSubscriptionsAndMessages(t *testing.T) {
	code, body := get(t, newTestConsole(newFakeSource(), nil), "/topics")
	if code != http.StatusOK {
		t.Fatalf("GET /topics = %d, want 200:\n%s", code, text(body))
	}
	page := text(body)
	mustContain(t, "topics", page,
		"Topics 2", "loanflow-loan-notifications", "loanflow loan notifications", topicARN("loanflow-loan-notifications"),
		// figures: subscriptions, confirmed, pending, recent messages, failed deliveries
		"2 subscriptions 1 confirmed 1 pending confirmation 3 recent messages 1 failed deliveries",
		// subscriptions: protocol, endpoint, status, raw delivery, filter policy
		"sqs arn:aws:sqs:us-east-1:000000000000:referrals 0f3c9a52-6f1e-4d4b-9c1a-2b7e8d9f0a11 confirmed yes every message",
		"https https://ops.example/hooks/referrals 7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d pending no",
		`"decision": [`,
		// messages, newest first: id, time, subject, size, deliveries, last error
		"5e1d7c0a-93b… 09:59:00 1m 00s ago Operator note",
		"09:57:00 3m 00s ago – ≥ 500 B 1 delivered · 0 pending · 0 failed to 1 subscription(s)",
		"Only the beginning of the message is shown.",
		"Loan referred", "1 delivered · 0 pending · 1 failed to 2 subscription(s)",
		"POST https://ops.example/hooks/referrals: 503 Service Unavailable",
		// a topic with nothing
		"quiet", "No subscriptions: a message published here reaches no one.", "Nothing published to this topic yet.",
	)
	if i, j := strings.Index(page, "Operator note"), strings.Index(page, "Loan referred"); i < 0 || j < i {
		t.Error("messages are not newest first")
	}
	mustContain(t, "markup", body, `<a href="/topics" aria-current="page">Topics</a>`,
		`<section class="card topic" id="topic-loanflow-loan-notifications"`, `<span class="badge s-pending">pending</span>`,
		`<details id="tmsg-5e1d7c0a-93b2-4f7e-a1c4-000000000001">`, `<main data-live="on"`)
}

func TestOverviewCountsAndLinksTopics(t *testing.T) {
	_, body := get(t, newTestConsole(newFakeSource(), nil), "/")
	// name, display name, confirmed, pending, recent messages, failed deliveries
	mustContain(t, "topics panel", text(body), "Topics 2 All topics →",
		"loanflow-loan-notifications loanflow loan notifications 1 1 3 1", "quiet 0 0 0 0")
	mustContain(t, "links", body, `href="/topics"`, `href="/topics#topic-loanflow-loan-notifications"`)

	src := newFakeSource()
	src.topics = nil
	_, body = get(t, newTestConsole(src, nil), "/")
	mustContain(t, "no topics", text(body), "Topics 0", "No topics.")
}

// topicsFailing is a Source whose Topics fails: the overview shows the
// other panels, the topics page an error.
type topicsFailingSource struct{ *fakeSource }

func (topicsFailingSource) Topics(context.Context, int) ([]Topic, error) {
	return nil, errors.New("sns: database is locked")
}

func TestTopicsErrors(t *testing.T) {
	h := newTestConsole(topicsFailingSource{newFakeSource()}, nil)
	code, body := get(t, h, "/")
	if code != http.StatusInternalServerError {
		t.Errorf("overview with failing topics = %d, want 500", code)
	}
	mustContain(t, "overview", text(body), "Could not load. topics: sns: database is locked", "valuation-requests-dlq")
	code, body = get(t, h, "/topics")
	if code != http.StatusInternalServerError {
		t.Errorf("topics page with failing topics = %d, want 500", code)
	}
	mustContain(t, "topics page", text(body), "list topics: sns: database is locked")
}

func TestTopicsPageEscapesHostileStrings(t *testing.T) {
	const evil = `"><img src=x onerror=alert(1)>`
	src := newFakeSource()
	tp := &src.topics[0]
	tp.Name, tp.DisplayName, tp.ARN = evil, evil, evil
	tp.Subscriptions[0].Protocol, tp.Subscriptions[0].Endpoint, tp.Subscriptions[0].ARN = evil, evil, evil
	tp.Subscriptions[1].FilterPolicy = `{"x":["</script><script>alert(1)</script>"]}`
	tp.Recent[0].ID, tp.Recent[0].Subject, tp.Recent[0].Body, tp.Recent[0].LastError = evil, evil, hostileBody, evil
	tp.Recent[1].Body = `{"html":"` + hostileBody + `"`
	h := newTestConsole(src, nil)
	for _, target := range []string{"/topics", "/topics?fragment=1", "/"} {
		code, body := get(t, h, target)
		if code != http.StatusOK {
			t.Fatalf("%s = %d: %s", target, code, text(body))
		}
		if strings.Contains(body, "<img") || strings.Contains(body, hostileBody) || strings.Contains(body, "</script><script>") {
			t.Errorf("%s: a hostile string reached the page unescaped", target)
		}
		if strings.Count(body, "<script") > 1 {
			t.Errorf("%s: more than the console's own script", target)
		}
	}
	_, body := get(t, h, "/topics")
	mustContain(t, "escaped", body, "&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	mustContain(t, "still shown", text(body), evil, hostileBody)
}

// Task tokens, callback ids and keys in a topic's messages, subjects,
// errors, endpoints and filter policies are hidden like anywhere else:
// by structure, in JSON the Source cut short too, and by value.
func TestTopicsPageHidesSecrets(t *testing.T) {
	src := newFakeSource()
	tp := &src.topics[0]
	tp.Subscriptions[1].Endpoint = "https://ops.example/valuations/" + secretCallbackID
	tp.Subscriptions[1].FilterPolicy = `{"taskToken":["` + goneToken + `"]}`
	tp.Recent[0].Subject = "signed " + secretSignature
	tp.Recent[2].LastError = "POST http://127.0.0.1:4566/valuations/" + secretCallbackID + ": 410 Gone"
	_, body := get(t, newTestConsole(src, nil), "/topics")
	shown := html.UnescapeString(body)
	for _, secret := range []string{secretToken, goneToken, secretCallbackID, secretSignature, secretSigningKey} {
		for _, form := range forms(secret) {
			if strings.Contains(body, form) || strings.Contains(shown, secret) {
				t.Errorf("/topics shows a whole secret %.12s…", secret)
				break
			}
		}
	}
	mustContain(t, "what is left", shown,
		`"taskToken": "`+lambdalog.Token(goneToken)+`"`,                               // a whole message, by structure
		`"taskToken":"`+lambdalog.Token(goneToken)+`","reason":"VALUATION_TI`,         // a cut message
		"operator note: token "+lambdalog.Token(secretToken)+" signed with "+keyShown, // by value
		"https://ops.example/valuations/"+lambdalog.ID(secretCallbackID),
		"signed "+lambdalog.ID(secretSignature),
		"/valuations/"+lambdalog.ID(secretCallbackID)+": 410 Gone",
		`"taskToken": [`)
	if strings.Contains(shown, secretSigningKey[:8]) {
		t.Error("/topics shows a prefix of the signing key")
	}
}

func TestRedactCut(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"whole JSON as redactJSON", `{"taskToken":"v1abcdefghijklmnop"}`, `{"taskToken":"` + lambdalog.Token("v1abcdefghijklmnop") + `"}`},
		{"cut after the value", `{"a":1,"TaskToken":"v1abcdefghijklmnop","b":"x`,
			`{"a":1,"TaskToken":"` + lambdalog.Token("v1abcdefghijklmnop") + `","b":"x`},
		{"cut inside the value", `{"callbackId":"cb7f3a9e1d2c4b5a6f7`, `{"callbackId":"cb7f3a9e…`},
		{"cut JSON in a string", `{"Message":"{\"taskToken\" : \"v1abcdefghijklmnop\",\"x`,
			`{"Message":"{\"taskToken\" : \"` + lambdalog.Token("v1abcdefghijklmnop") + `\",\"x`},
		{"cut base64 body", `{"bodyBase64":"aGVsbG8=","sig`, `{"bodyBase64":"(5 bytes)","sig`},
		{"plain text", "nothing secret here", "nothing secret here"},
	} {
		if got := redactCut(tc.in); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int]string{0: "0 B", 500: "500 B", 1536: "1.5 KB", 256 * 1024: "256.0 KB", 3 << 20: "3.0 MB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
