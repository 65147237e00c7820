package console

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newTestConsole(src Source, logs io.Writer) http.Handler {
	if logs == nil {
		logs = io.Discard
	}
	return New(src, Options{Title: "loanflow", Now: func() time.Time { return now }, Location: time.UTC,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
}

// get serves one GET and returns the status and body.
func get(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

var (
	hiddenParts = regexp.MustCompile(`(?is)<(style|script|title)\b.*?</(style|script|title)>`)
	tags        = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces      = regexp.MustCompile(`\s+`)
)

// text is what a person reads on the page: tags dropped, entities decoded,
// white space collapsed.
func text(page string) string {
	s := hiddenParts.ReplaceAllString(page, " ")
	s = tags.ReplaceAllString(s, " ")
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(s), " "))
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func TestOverviewShowsEveryPanel(t *testing.T) {
	code, body := get(t, newTestConsole(newFakeSource(), nil), "/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200:\n%s", code, text(body))
	}
	page := text(body)
	mustContain(t, "overview", page,
		// queues: name, visible, in flight, delayed, DLQ depth, oldest message
		"valuation-requests", "valuation-requests-dlq", "1m 35s", "2h 00m",
		"dead letters of valuation-requests", "to valuation-requests-dlq after 5 receives",
		// executions by status
		"1 Running", "2 Succeeded", "1 Failed", "0 Timed out", "0 Aborted",
		// pending callbacks: short id, execution, application, age, expiry
		"cb7f3a9e…", "loan-app-1004", "app-1004", "2m 00s ago", "in 3m 00s",
		// callback outcomes
		"12 resolved", "1 failed", "2 late", "3 duplicate", "4 unknown", "5 rejected",
		// bus events and the rules they matched
		"Valuation Completed", "valuation-completed-to-callback", "Unrelated Thing", "no rule matched",
		// failed deliveries
		"valuation-failed-to-callback", "handler returned: resolve cb7f3a9e…: dynamodb throttled", "callback-events-dlq",
		// functions
		"valuation-request", "42",
	)
	if strings.Contains(body, secretToken) || strings.Contains(body, secretCallbackID) {
		t.Error("overview shows a whole task token or callback id")
	}
	// The queue row: 3 visible, 2 in flight, 1 delayed, 4 in its DLQ, 1m 35s.
	mustContain(t, "queue row", page, "valuation-requests to valuation-requests-dlq after 5 receives 3 2 1 4 1m 35s")
	mustContain(t, "links", body, `href="/executions?status=FAILED"`, `href="/queues/detail?name=valuation-requests-dlq"`)
}

func TestExecutionsFilterByStatus(t *testing.T) {
	h := newTestConsole(newFakeSource(), nil)
	code, body := get(t, h, "/executions?status=FAILED")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	page := text(body)
	mustContain(t, "failed list", page, "loan-app-1003", "Failed", "1s")
	if strings.Contains(page, "loan-app-1001") {
		t.Error("the FAILED filter lists a succeeded execution")
	}
	_, body = get(t, h, "/executions")
	mustContain(t, "all", text(body), "loan-app-1001", "loan-app-1002", "loan-app-1003", "loan-app-1004", "All 4")
	_, body = get(t, h, "/executions?q=1002")
	if p := text(body); !strings.Contains(p, "loan-app-1002") || strings.Contains(p, "loan-app-1001") {
		t.Errorf("q=1002 does not filter by name: %s", p)
	}
	if code, _ := get(t, h, "/executions?status=BOGUS"); code != http.StatusBadRequest {
		t.Errorf("unknown status = %d, want 400", code)
	}
}

func TestFailedExecutionDetail(t *testing.T) {
	code, body := get(t, newTestConsole(newFakeSource(), nil), "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1003")))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, text(body))
	}
	page := text(body)
	mustContain(t, "detail", page, "loan-app-1003", "Failed", "States.TaskFailed",
		"SQS.AmazonSQSException: queue valuation-requests does not exist",
		"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskFailed", "ExecutionFailed",
		"RequestValuation", "sqs:sendMessage.waitForTaskToken", "Event history")
	mustContain(t, "folded payloads", body, `<details class="hwrap" id="ev-2">`, `<details class="hwrap failure" id="ev-4">`)

	d := parseSVG(t, body)
	if got := d.statuses(); len(got) != 7 {
		t.Errorf("drawing has %d state nodes, want 7: %v", len(got), got)
	}
	want := map[string]string{"RequestValuation": "failed"}
	if got := d.visited(); !equalMaps(got, want) {
		t.Errorf("highlighted %v, want %v", got, want)
	}
}

func TestRunningExecutionShowsItsCallback(t *testing.T) {
	_, body := get(t, newTestConsole(newFakeSource(), nil), "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1004")))
	mustContain(t, "running", text(body), "Running", "Waiting for callback cb7f3a9e…", "application app-1004",
		"valuation VAL-88231", "expires in 3m 00s", "TaskSubmitted")
	if strings.Contains(body, secretToken) || strings.Contains(body, secretCallbackID) {
		t.Error("the detail page shows a whole token or callback id")
	}
	if !strings.Contains(body, `<main data-live="on"`) {
		t.Error("a running execution's page does not refresh")
	}
}

func TestDrawingHighlightsTheTakenPath(t *testing.T) {
	h := newTestConsole(newFakeSource(), nil)
	for _, tc := range []struct {
		exec string
		want map[string]string
	}{
		{"loan-app-1001", map[string]string{"RequestValuation": "succeeded", "AssessLoan": "succeeded", "Approved": "succeeded"}},
		{"loan-app-1002", map[string]string{"RequestValuation": "failed", "ValuationTimedOut": "succeeded"}},
		{"loan-app-1004", map[string]string{"RequestValuation": "running"}},
	} {
		_, body := get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN(tc.exec)))
		d := parseSVG(t, body)
		if n := len(d.statuses()); n != 7 {
			t.Errorf("%s: %d state nodes, want 7", tc.exec, n)
		}
		if got := d.visited(); !equalMaps(got, tc.want) {
			t.Errorf("%s: highlighted %v, want %v", tc.exec, got, tc.want)
		}
	}
	_, body := get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1002")))
	d := parseSVG(t, body)
	if d.catchArrows != 2 {
		t.Errorf("%d catch arrows, want 2", d.catchArrows)
	}
	if want := []string{"RequestValuation → ValuationTimedOut (States.Timeout)", "Start → RequestValuation", "ValuationTimedOut → End"}; !equalSets(d.taken, want) {
		t.Errorf("taken arrows %v, want %v", d.taken, want)
	}
}

// svgDoc is what the tests read from the drawing.
type svgDoc struct {
	nodes       map[string]string // state -> status ("" when not visited)
	catchArrows int
	taken       []string
}

func (d svgDoc) statuses() map[string]string { return d.nodes }

func (d svgDoc) visited() map[string]string {
	v := map[string]string{}
	for k, s := range d.nodes {
		if s != "" {
			v[k] = s
		}
	}
	return v
}

// parseSVG reads the page's <svg> as XML: it must be well-formed.
func parseSVG(t *testing.T, page string) svgDoc {
	t.Helper()
	i, j := strings.Index(page, "<svg"), strings.Index(page, "</svg>")
	if i < 0 || j < i {
		t.Fatal("no <svg> in the page")
	}
	dec := xml.NewDecoder(strings.NewReader(page[i : j+len("</svg>")]))
	d := svgDoc{nodes: map[string]string{}}
	var inTaken bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the drawing is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			class := " " + attr["class"] + " "
			switch {
			case el.Name.Local == "g" && strings.Contains(class, " state "):
				if _, dup := d.nodes[attr["data-state"]]; dup {
					t.Errorf("state %s drawn twice", attr["data-state"])
				}
				d.nodes[attr["data-state"]] = attr["data-status"]
				if s := attr["data-status"]; s != "" && !strings.Contains(class, " st-"+s+" ") {
					t.Errorf("state %s is %s but has class %q", attr["data-state"], s, attr["class"])
				}
			case el.Name.Local == "g" && strings.Contains(class, " edge "):
				if strings.Contains(class, " e-catch ") {
					d.catchArrows++
				}
				inTaken = strings.Contains(class, " taken ")
			case el.Name.Local == "title" && inTaken:
				var s string
				if err := dec.DecodeElement(&s, &el); err != nil {
					t.Fatal(err)
				}
				d.taken = append(d.taken, s)
				inTaken = false
			}
		}
	}
	return d
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalSets(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestQueueDetailEscapesBodies(t *testing.T) {
	code, body := get(t, newTestConsole(newFakeSource(), nil), "/queues/detail?name=valuation-requests-dlq")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, text(body))
	}
	if strings.Contains(body, hostileBody) {
		t.Fatal("a message body reached the page unescaped")
	}
	mustContain(t, "escaped body", body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	mustContain(t, "dlq page", text(body), "valuation-requests-dlq", "dead-letter queue", "m-dead-1", "m-dead-2",
		"app-1003", "Redrive all", "4 visible", "ApproximateReceiveCount")
	mustContain(t, "redrive form", body, `<form class="redrive card" method="post" action="/queues/redrive">`,
		`<input type="hidden" name="name" value="valuation-requests-dlq">`)

	_, body = get(t, newTestConsole(newFakeSource(), nil), "/queues/detail?name=valuation-requests")
	if strings.Contains(body, "Redrive all") {
		t.Error("a source queue offers a redrive")
	}
	mustContain(t, "source queue", text(body), "3 visible", "2 in flight", "1 delayed", "4 in valuation-requests-dlq")
}

func TestHostileStringsAreEscapedEverywhere(t *testing.T) {
	src := newFakeSource()
	const evil = `"><img src=x onerror=alert(1)>`
	src.queues = append(src.queues, Queue{Name: evil})
	src.events[0].Matched = append(src.events[0].Matched, evil)
	src.execs[3].Error = evil
	src.execs[3].History[1].Details["name"] = evil
	src.execs[3].Definition = strings.ReplaceAll(loanProcessor, `"RequestValuation"`, `"`+strings.ReplaceAll(evil, `"`, `\"`)+`"`)
	h := newTestConsole(src, nil)
	for _, target := range []string{"/", "/executions/detail?arn=" + url.QueryEscape(execARN("loan-app-1003"))} {
		_, body := get(t, h, target)
		if strings.Contains(body, "<img") {
			t.Errorf("%s: a hostile string reached the page unescaped", target)
		}
	}
	_, body := get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1003")))
	d := parseSVG(t, body)
	if d.nodes[evil] != "failed" {
		t.Errorf("the hostile state name lost its node: %v", d.nodes)
	}
}

func post(h http.Handler, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/queues/redrive", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRedrive(t *testing.T) {
	src := newFakeSource()
	h := newTestConsole(src, nil)
	form := url.Values{"name": {"valuation-requests-dlq"}}

	rec := post(h, form, map[string]string{"Origin": "http://127.0.0.1:4566"})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("same-origin redrive = %d, want 303: %s", rec.Code, text(rec.Body.String()))
	}
	if got := rec.Header().Get("Location"); got != "/queues/detail?name=valuation-requests-dlq&redriven=2" {
		t.Errorf("redirect to %q", got)
	}
	if got := src.redrives(); len(got) != 1 || got[0] != "valuation-requests-dlq" {
		t.Fatalf("Redrive calls %v", got)
	}
	_, body := get(t, h, rec.Header().Get("Location"))
	mustContain(t, "after redrive", text(body), "Redrive done: 2 message(s) moved back to valuation-requests")

	if rec := post(h, form, map[string]string{"Referer": "http://127.0.0.1:4566/queues/detail?name=x"}); rec.Code != http.StatusSeeOther {
		t.Errorf("redrive with a same-origin Referer = %d, want 303", rec.Code)
	}

	for name, header := range map[string]map[string]string{
		"other origin":         {"Origin": "http://evil.example"},
		"other port":           {"Origin": "http://127.0.0.1:8080"},
		"other referer":        {"Referer": "http://evil.example/page"},
		"cross-site fetch":     {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:4566"},
		"no origin or referer": {},
	} {
		before := len(src.redrives())
		rec := post(h, form, header)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, rec.Code)
		}
		if len(src.redrives()) != before {
			t.Errorf("%s: Redrive was called", name)
		}
	}
	if rec := post(h, url.Values{}, map[string]string{"Origin": "http://127.0.0.1:4566"}); rec.Code != http.StatusBadRequest {
		t.Errorf("redrive without a name = %d, want 400", rec.Code)
	}
}

// withExecutions adds n loan executions to src, older than its own, named
// loan-app-0000 (the newest) to loan-app-<n-1> (the oldest).
func withExecutions(src *fakeSource, n int) *fakeSource {
	for i := range n {
		name := fmt.Sprintf("loan-app-%04d", i)
		src.execs = append(src.execs, ExecutionDetail{Execution: Execution{ARN: execARN(name), Name: name,
			StateMachine: loanProcessorARN, Status: "SUCCEEDED", Started: now.Add(-2*time.Hour - time.Duration(i)*time.Second)}})
	}
	return src
}

// listOnly is a Source that cannot search: the console searches the newest
// executions itself.
type listOnly struct{ Source }

// rows are the execution names a list page shows.
func rows(body string) []string {
	return regexp.MustCompile(`<td><a href="/executions/detail\?arn=[^"]*">([^<]*)</a></td>`).FindAllString(body, -1)
}

// The search finds any execution, however old, by name, loan id or ARN,
// and shows at most Limit of them (issue 14: it saw only the newest 50).
func TestSearchFindsAnyExecution(t *testing.T) {
	h := newTestConsole(withExecutions(newFakeSource(), 500), nil)
	for _, q := range []string{"loan-app-0437", "APP-0437", url.QueryEscape(execARN("loan-app-0437"))} {
		_, body := get(t, h, "/executions?q="+q)
		if p := text(body); !strings.Contains(p, "loan-app-0437") || len(rows(body)) != 1 {
			t.Errorf("q=%s: %d rows, want only loan-app-0437: %.300s", q, len(rows(body)), p)
		}
	}
	_, body := get(t, h, "/executions?q=loan-app-04&status=SUCCEEDED")
	if n := len(rows(body)); n != 50 || !strings.Contains(text(body), "Showing the newest 50 matches") {
		t.Errorf("q=loan-app-04 (100 match): %d rows, want the newest 50 and a note", n)
	}
	mustContain(t, "newest match first", text(body), "loan-app-0400")
	if _, body := get(t, h, "/executions?q=loan-app-9999"); !strings.Contains(text(body), "No executions matching “loan-app-9999”") {
		t.Errorf("no match: %.300s", text(body))
	}
	code, body := get(t, h, "/executions?q="+strings.Repeat("x", MaxSearchLength+1))
	if code != http.StatusBadRequest || !strings.Contains(text(body), "q: the search must be at most 256 characters, got 257") {
		t.Errorf("overlong search = %d: %.300s", code, text(body))
	}
}

// A Source that cannot search is searched over its newest
// FallbackSearchScan executions, and the page says so when there may be more.
func TestSearchWithoutAnExecutionSearcher(t *testing.T) {
	h := newTestConsole(listOnly{withExecutions(newFakeSource(), 500)}, nil)
	if _, body := get(t, h, "/executions?q=loan-app-0437"); len(rows(body)) != 1 || strings.Contains(text(body), "Searched the newest") {
		t.Errorf("500 executions, fallback search: %d rows: %.300s", len(rows(body)), text(body))
	}
	h = newTestConsole(listOnly{withExecutions(newFakeSource(), 2000)}, nil)
	_, body := get(t, h, "/executions?q=loan-app-1999")
	mustContain(t, "partial search", text(body), "No executions matching", "Searched the newest 1000 executions only")
}

// Redriving a queue that is not a dead-letter queue is a 400 page that says
// why, and the Source is not asked (issue 14: it was a 500); an unknown
// queue is a 404; a Source that refuses with ErrInvalid gets a 400 too.
func TestRedriveOfAQueueThatIsNotADLQIs400(t *testing.T) {
	src := newFakeSource()
	h := newTestConsole(src, nil)
	origin := map[string]string{"Origin": "http://127.0.0.1:4566"}
	rec := post(h, url.Values{"name": {"valuation-requests"}}, origin)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("redrive of a source queue = %d, want 400: %s", rec.Code, text(rec.Body.String()))
	}
	mustContain(t, "not a DLQ", text(rec.Body.String()), "Bad request",
		"cannot redrive valuation-requests: it is not a dead-letter queue (no queue's RedrivePolicy targets it)")
	if got := src.redrives(); len(got) != 0 {
		t.Errorf("Redrive was called for %v", got)
	}
	if rec := post(h, url.Values{"name": {"no-such-queue"}}, origin); rec.Code != http.StatusNotFound {
		t.Errorf("redrive of an unknown queue = %d, want 404: %s", rec.Code, text(rec.Body.String()))
	}
	src.redriveErr = fmt.Errorf("valuation-requests-dlq no longer has a source queue: %w", ErrInvalid)
	rec = post(h, url.Values{"name": {"valuation-requests-dlq"}}, origin)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("redrive refused by the Source with ErrInvalid = %d, want 400", rec.Code)
	}
	mustContain(t, "refused by the Source", text(rec.Body.String()), "no longer has a source queue")
}

func TestSourceErrorsRenderAPage(t *testing.T) {
	var logs bytes.Buffer
	src := newFakeSource()
	src.err = errors.New("sqlite: database is locked")
	h := newTestConsole(src, &logs)
	for _, target := range []string{"/", "/executions", "/executions/detail?arn=x", "/queues/detail?name=q", "/topics"} {
		code, body := get(t, h, target)
		if code != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500", target, code)
		}
		mustContain(t, target, text(body), "sqlite: database is locked")
	}
	mustContain(t, "logs", logs.String(), "sqlite: database is locked", "level=ERROR")
}

func TestUnknownThingsAre404(t *testing.T) {
	h := newTestConsole(newFakeSource(), nil)
	for _, target := range []string{
		"/executions/detail?arn=" + url.QueryEscape(execARN("nope")),
		"/executions/detail",
		"/queues/detail?name=nope",
		"/no/such/page",
	} {
		code, body := get(t, h, target)
		if code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, code)
		}
		mustContain(t, target, text(body), "Not found")
	}
}

func TestFragmentIsTheLivePartOnly(t *testing.T) {
	h := newTestConsole(newFakeSource(), nil)
	_, body := get(t, h, "/?fragment=1")
	if !strings.HasPrefix(body, `<main data-live="on"`) || strings.Contains(body, "<html") {
		t.Errorf("fragment is not just <main>: %.80s", body)
	}
	mustContain(t, "fragment", text(body), "valuation-requests")

	// A finished execution cannot change: its page stops refreshing.
	_, body = get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1001"))+"&fragment=1")
	if !strings.HasPrefix(body, `<main data-live="off"`) {
		t.Errorf("a finished execution keeps refreshing: %.60s", body)
	}
}

func TestPagesCarryAContentSecurityPolicy(t *testing.T) {
	rec := httptest.NewRecorder()
	newTestConsole(newFakeSource(), nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no script nonce in %q", csp)
	}
	mustContain(t, "script", rec.Body.String(), `<script nonce="`+m[1]+`">`)
	if strings.Contains(rec.Body.String(), "http://") || strings.Contains(rec.Body.String(), "https://") {
		if regexp.MustCompile(`(src|href)="https?://`).MatchString(rec.Body.String()) {
			t.Error("the page loads an external asset")
		}
	}
}

// panicky is a Source whose Functions panics, as a bug in the stack would.
type panicky struct{ *fakeSource }

func (panicky) Functions(context.Context) ([]Function, error) { panic("nil map in functions") }

func TestAPanickingSourceIsA500NotACrash(t *testing.T) {
	var logs bytes.Buffer
	code, body := get(t, newTestConsole(panicky{newFakeSource()}, &logs), "/")
	if code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", code)
	}
	mustContain(t, "page", text(body), "Something went wrong", "panic: nil map in functions")
	mustContain(t, "logs", logs.String(), "nil map in functions")
}

// A record left PENDING by a task that has ended (it timed out, and the
// execution retried with a new token) is not listed as waiting, neither on
// the overview nor on its execution's page; the overview lists it apart.
func TestEndedTaskRecordIsNotWaiting(t *testing.T) {
	src := newFakeSource()
	const staleID = "0d5e1c44f00d4bd7a51c2e9b8a7f6e5d"
	src.callbacks = append(src.callbacks, Callback{
		CallbackID: staleID, ExecutionARN: execARN("loan-app-1004"), ApplicationID: "app-1004",
		Status: "PENDING", CreatedAt: now.Add(-20 * time.Minute), ExpiresAt: now.Add(40 * time.Minute), Ended: true,
	})
	h := newTestConsole(src, nil)
	_, body := get(t, h, "/")
	mustContain(t, "the list keeps its open state across refreshes", body, `<details class="ended" id="cb-ended">`)
	page := text(body)
	mustContain(t, "overview", page, "Pending callbacks 1 ", "1 record of ended tasks", "0d5e1c44…", "task ended", "20m 00s ago", "in 40m 00s")
	pending, ended, ok := strings.Cut(page, "record of ended tasks")
	if !ok || strings.Contains(pending, "0d5e1c44") || !strings.Contains(ended, "0d5e1c44") {
		t.Errorf("the ended record is listed among the pending callbacks: %.600s", page)
	}
	_, body = get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1004")))
	page = text(body)
	mustContain(t, "running", page, "Waiting for callback cb7f3a9e…")
	if strings.Contains(page, "0d5e1c44") {
		t.Errorf("the execution's page shows the ended record as waiting: %.600s", page)
	}
}

// With more records than the console's limit, each list shows its newest
// and the true totals, and an execution's page still finds its callback
// when it is not among the newest.
func TestManyPendingCallbacks(t *testing.T) {
	src := newFakeSource() // its one waiting record is loan-app-1004's, 2 minutes old
	for i := range 60 {
		src.callbacks = append(src.callbacks, Callback{CallbackID: fmt.Sprintf("w%031d", i), ExecutionARN: execARN(fmt.Sprintf("w-%d", i)),
			Status: "PENDING", CreatedAt: now.Add(-time.Duration(i) * time.Second), ExpiresAt: now.Add(time.Hour)})
	}
	for i := range 70 {
		src.callbacks = append(src.callbacks, Callback{CallbackID: fmt.Sprintf("e%031d", i), ExecutionARN: execARN(fmt.Sprintf("e-%d", i)),
			Status: "PENDING", CreatedAt: now.Add(-time.Duration(i) * time.Minute), ExpiresAt: now.Add(time.Hour), Ended: true})
	}
	h := newTestConsole(src, nil)
	_, body := get(t, h, "/")
	page := text(body)
	mustContain(t, "overview", page, "Pending callbacks 61 ", "The newest 50 of 61.", "70 records of ended tasks", "The newest 50 are listed.")
	_, pending, _ := strings.Cut(page, "Pending callbacks")
	pending, _, _ = strings.Cut(pending, "records of ended tasks")
	if strings.Contains(pending, "cb7f3a9e") {
		t.Error("the overview lists a waiting record older than the newest 50")
	}
	_, body = get(t, h, "/executions/detail?arn="+url.QueryEscape(execARN("loan-app-1004")))
	mustContain(t, "the execution's page", text(body), "Waiting for callback cb7f3a9e…")
}
