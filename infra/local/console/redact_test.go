package console

import (
	"encoding/base64"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"loanflow/consumers/lambdalog"
)

var links = regexp.MustCompile(`href="(/[^"#]*)"`)

// crawl serves every page the console links to from its overview, each
// whole and as its live fragment, and pages that name a secret in their
// URL; it returns the bodies by URL.
func crawl(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	pages := map[string]string{}
	queue := []string{"/", "/executions/detail?arn=" + url.QueryEscape(secretToken), "/queues/detail?name=" + secretCallbackID}
	for len(queue) > 0 && len(pages) < 200 {
		target := queue[0]
		queue = queue[1:]
		if _, done := pages[target]; done {
			continue
		}
		_, body := get(t, h, target)
		pages[target] = body
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		_, pages[target+sep+"fragment=1"] = get(t, h, target+sep+"fragment=1")
		for _, m := range links.FindAllStringSubmatch(body, -1) {
			queue = append(queue, html.UnescapeString(m[1]))
		}
	}
	return pages
}

// forms are the ways a secret can be written in a page.
func forms(secret string) []string {
	return []string{secret, html.EscapeString(secret), strings.ReplaceAll(html.EscapeString(secret), "+", "&#43;"), url.QueryEscape(secret)}
}

func TestNoPageShowsAWholeSecret(t *testing.T) {
	pages := crawl(t, newTestConsole(newFakeSource(), nil))
	for _, want := range []string{"/", "/executions", "/queues/detail?name=valuation-requests", "/queues/detail?name=valuation-requests-dlq",
		"/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1004")), "/topics"} {
		if _, ok := pages[want]; !ok {
			t.Errorf("the crawl missed %s", want)
		}
	}
	body64 := base64.StdEncoding.EncodeToString([]byte(callbackBody))
	for target, body := range pages {
		for _, secret := range []string{secretToken, goneToken, secretCallbackID, secretSignature, body64, secretSigningKey} {
			for _, form := range forms(secret) {
				if strings.Contains(body, form) || strings.Contains(html.UnescapeString(body), secret) {
					t.Errorf("%s shows a whole secret %.12s…", target, secret)
					break
				}
			}
		}
	}
	// What is left lets an operator correlate with the logs.
	running := "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1004"))
	for target, wants := range map[string][]string{
		"/": {lambdalog.ID(secretCallbackID), lambdalog.ID(secretSignature), "(" + strconv.Itoa(callbackBodyBytes) + " bytes)",
			`"valuationReference": "VAL-88231"`, `"receivedAt": "1741946400123"`},
		running: {lambdalog.Token(secretToken), lambdalog.ID(secretCallbackID), `"applicationId": "app-1004"`},
		"/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1001")): {lambdalog.Token(goneToken)},
		"/queues/detail?name=valuation-requests":                              {lambdalog.Token(secretToken)},
		"/queues/detail?name=valuation-requests-dlq":                          {lambdalog.Token(goneToken), "app-1003"},
		"/executions/detail?arn=" + url.QueryEscape(secretToken):              {"describe execution " + lambdalog.Token(secretToken)},
		"/topics": {`"taskToken": "` + lambdalog.Token(goneToken) + `"`, "signed with " + keyShown},
	} {
		mustContain(t, target, html.UnescapeString(pages[target]), wants...)
	}
}

// A page whose secrets cannot be listed is not shown.
func TestPagesFailClosedWithoutTheSecrets(t *testing.T) {
	src := newFakeSource()
	src.secretsErr = errors.New("scan token table: throttled")
	h := newTestConsole(src, nil)
	for _, target := range []string{"/", "/queues/detail?name=valuation-requests", "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1004")), "/topics"} {
		code, body := get(t, h, target)
		if code != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500", target, code)
		}
		mustContain(t, target, text(body), "scan token table: throttled")
		if strings.Contains(html.UnescapeString(body), `"applicationId"`) {
			t.Errorf("%s: shown without its secrets hidden", target)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not JSON", "queue valuation-requests does not exist", "queue valuation-requests does not exist"},
		{"no secret keeps its formatting", "{\n  \"a\": 1,\n  \"b\": [true, null]\n}", "{\n  \"a\": 1,\n  \"b\": [true, null]\n}"},
		{"keys keep their order", `{"z":1,"taskToken":"v1abcdefghijklmnop","a":"<&>"}`,
			`{"z":1,"taskToken":"` + lambdalog.Token("v1abcdefghijklmnop") + `","a":"<&>"}`},
		{"any depth, any case", `[{"x":{"TaskToken":"AAAAAAAAAAAAAAAA","CallbackId":"cb7f3a9e1d2c4b5a"}}]`,
			`[{"x":{"TaskToken":"` + lambdalog.Token("AAAAAAAAAAAAAAAA") + `","CallbackId":"cb7f3a9e…"}}]`},
		{"JSON in a string", `{"parameters":"{\"MessageBody\":{\"taskToken\":\"v1abcdefghijklmnop\"}}"}`,
			`{"parameters":"{\"MessageBody\":{\"taskToken\":\"` + lambdalog.Token("v1abcdefghijklmnop") + `\"}}"}`},
		{"signature object and body", `{"signature":{"timestamp":"1","value":"v1=00ff00ff00ff00ff00ff"},"bodyBase64":"aGVsbG8="}`,
			`{"signature":{"timestamp":"1","value":"v1=00ff0…"},"bodyBase64":"(5 bytes)"}`},
		{"signatures and callback URLs in text", `Valuation-Signature: v1=00ff00ff00ff00ff00ff to http://h/valuations/cb7f3a9e1d2c4b5a6f7`,
			`Valuation-Signature: v1=00ff0… to http://h/valuations/cb7f3a9e…`},
		{"callback URL in JSON", `{"callbackUrl":"http://h/valuations/cb7f3a9e1d2c4b5a6f7","mode":"ok"}`,
			`{"callbackUrl":"http://h/valuations/cb7f3a9e…","mode":"ok"}`},
		{"a secret key with no string", `{"callbackId":null,"signature":{}}`, `{"callbackId":null,"signature":{}}`},
		{"broken JSON gets the text pass", `{"taskToken":"v1=00ff00ff00ff00ff00ff`, `{"taskToken":"v1=00ff0…`},
	} {
		if got := redactJSON(tc.in); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestValueRedactorReplacesEveryForm(t *testing.T) {
	r := valueRedactor(Secrets{TaskTokens: []string{secretToken, ""}, CallbackIDs: []string{secretCallbackID, "short"}})
	for _, form := range forms(secretToken) {
		if got := r.Replace("<p>" + form + "</p>"); got != "<p>"+lambdalog.Token(secretToken)+"</p>" {
			t.Errorf("%s: %s", form, got)
		}
	}
	if got := r.Replace("id " + secretCallbackID + ", short"); got != "id cb7f3a9e…, short" {
		t.Errorf("callback id: %s", got)
	}
}

// A page that shows the beginning of a long text hides the known secrets
// in it first: the cut must not leave a long prefix of one, which the
// value pass over the whole page would no longer recognise.
func TestCutTextKeepsNoPrefixOfASecret(t *testing.T) {
	src := newFakeSource()
	src.messages["valuation-requests"] = append(src.messages["valuation-requests"],
		Message{ID: "m-note", Body: "operator note: token " + secretToken + " and key " + secretSigningKey, SentAt: now})
	h := newTestConsole(src, nil)
	for _, target := range []string{"/queues/detail?name=valuation-requests", "/topics"} {
		_, body := get(t, h, target)
		shown := html.UnescapeString(body)
		mustContain(t, target, shown, "operator note: token "+lambdalog.Token(secretToken))
		for _, secret := range []string{secretToken, secretSigningKey} {
			if strings.Contains(shown, secret[:12]) {
				t.Errorf("%s shows the first 12 characters of a secret %.8s…", target, secret)
			}
		}
	}
}
