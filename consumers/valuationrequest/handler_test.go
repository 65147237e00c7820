package valuationrequest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationrequest"
	"loanflow/contracts"
)

var now = time.Date(2026, 11, 25, 10, 0, 5, 0, time.UTC)

// fakeTasks records SendTaskFailure calls; err, when set, is returned instead.
type fakeTasks struct {
	mu       sync.Mutex
	failures []sfn.SendTaskFailureInput
	err      error
}

func (f *fakeTasks) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.failures = append(f.failures, *in)
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeTasks) calls() []sfn.SendTaskFailureInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sfn.SendTaskFailureInput(nil), f.failures...)
}

// service is a fake valuation service: answer decides each response.
type service struct {
	mu       sync.Mutex
	requests []recorded
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	answer   func(n int, r *http.Request, req contracts.ValuationRequest) (int, string)
}

type recorded struct {
	key  string
	body contracts.ValuationRequest
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxSeen.Load()
		if cur <= m || s.maxSeen.CompareAndSwap(m, cur) {
			break
		}
	}
	raw, _ := io.ReadAll(r.Body)
	var req contracts.ValuationRequest
	if err := contracts.Decode(contracts.SchemaValuationRequest, raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, recorded{key: r.Header.Get(contracts.HeaderIdempotencyKey), body: req})
	n := len(s.requests)
	s.mu.Unlock()
	status, body := http.StatusCreated, `{"valuationReference":"VAL-`+r.Header.Get(contracts.HeaderIdempotencyKey)[:8]+`"}`
	if s.answer != nil {
		status, body = s.answer(n, r, req)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *service) posts() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

type rig struct {
	h     *valuationrequest.Handler
	store *tokenstore.MemoryStore
	tasks *fakeTasks
	svc   *service
	cfg   valuationrequest.Config
}

func newRig(t *testing.T, svc *service, tweak ...func(*valuationrequest.Config)) *rig {
	t.Helper()
	if svc == nil {
		svc = &service{}
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	cfg := valuationrequest.Config{
		TableName:           "tokens",
		ValuationServiceURL: srv.URL + "/valuations",
		WebhookBaseURL:      "https://webhook.example.com/prod",
		CallbackTimeout:     time.Hour,
		TokenGrace:          2 * time.Hour,
		MaxReceiveCount:     3,
		RequestTimeout:      2 * time.Second,
		RequestAttempts:     3,
		BaseBackoff:         time.Millisecond,
		BatchConcurrency:    10,
		ServiceAuth:         valuationrequest.AuthNone,
		LogLevel:            "DEBUG",
	}
	for _, f := range tweak {
		f(&cfg)
	}
	r := &rig{store: tokenstore.NewMemoryStore(), tasks: &fakeTasks{}, svc: svc, cfg: cfg}
	h, err := valuationrequest.NewHandler(cfg, valuationrequest.Deps{
		Store: r.store, Tasks: r.tasks, HTTP: srv.Client(),
		Logger: lambdalog.New(testWriter{t}, "DEBUG"), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func message(t *testing.T, id, token string, receive int, edit ...func(map[string]any)) events.SQSMessage {
	t.Helper()
	raw, err := fixture("valuation-request-message.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["taskToken"] = token
	for _, f := range edit {
		f(m)
	}
	b, _ := json.Marshal(m)
	return events.SQSMessage{
		MessageId:  id,
		Body:       string(b),
		Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(receive)},
	}
}

func fixture(name string) ([]byte, error) {
	return readFile("../../contracts/testdata/valid/" + name)
}

func handle(t *testing.T, r *rig, msgs ...events.SQSMessage) []string {
	t.Helper()
	resp, err := r.h.Handle(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func record(t *testing.T, r *rig, token string) tokenstore.Record {
	t.Helper()
	rec, err := r.store.Get(context.Background(), valuationrequest.CallbackID(token))
	if err != nil {
		t.Fatalf("Get record: %v", err)
	}
	return rec
}

func TestHappyPathStoresTokenThenOrdersValuation(t *testing.T) {
	r := newRig(t, nil)
	if failed := handle(t, r, message(t, "m1", "token-happy", 1)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	id := valuationrequest.CallbackID("token-happy")
	posts := r.svc.posts()
	if len(posts) != 1 {
		t.Fatalf("%d POSTs; want 1", len(posts))
	}
	if posts[0].key != id {
		t.Errorf("Idempotency-Key = %q; want the callback id %q", posts[0].key, id)
	}
	if want := "https://webhook.example.com/prod/valuations/" + id; posts[0].body.CallbackURL != want {
		t.Errorf("callbackUrl = %q; want %q", posts[0].body.CallbackURL, want)
	}
	if posts[0].body.Property.Address.Postcode != "SW1A 1AA" {
		t.Errorf("property not forwarded: %+v", posts[0].body.Property)
	}
	rec := record(t, r, "token-happy")
	requested := time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC) // the fixture's requestedAt, to the second
	want := tokenstore.Record{
		CallbackID: id, TaskToken: "token-happy",
		ExecutionID:   "arn:aws:states:us-east-1:000000000000:execution:LoanProcessor:APP-0001",
		ApplicationID: "APP-0001", LoanAmount: 25000000, Status: tokenstore.StatusPending,
		ValuationReference: "VAL-" + id[:8], CreatedAt: now, ExpiresAt: requested.Add(3 * time.Hour),
	}
	if rec != want {
		t.Errorf("record =\n%+v\nwant\n%+v", rec, want)
	}
	if len(r.tasks.calls()) != 0 {
		t.Errorf("task failures sent on the happy path: %+v", r.tasks.calls())
	}
}

func TestCallbackIDIsStableUnguessableAndURLSafe(t *testing.T) {
	a, b := valuationrequest.CallbackID("token-a"), valuationrequest.CallbackID("token-a")
	if a != b || len(a) != 43 || strings.ContainsAny(a, "+/=") {
		t.Fatalf("CallbackID = %q, %q", a, b)
	}
	if strings.Contains(a, "token") || a == valuationrequest.CallbackID("token-b") {
		t.Fatalf("CallbackID %q leaks or collides", a)
	}
}

func TestRedeliveryAfterAcceptanceDoesNotOrderTwice(t *testing.T) {
	r := newRig(t, nil)
	handle(t, r, message(t, "m1", "token-redeliver", 1))
	if failed := handle(t, r, message(t, "m1", "token-redeliver", 2)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if n := len(r.svc.posts()); n != 1 {
		t.Fatalf("%d POSTs; want 1", n)
	}
}

func TestRedeliveryBeforeAcceptanceAsksAgainWithTheSameKey(t *testing.T) {
	svc := &service{answer: func(n int, r *http.Request, _ contracts.ValuationRequest) (int, string) {
		if n <= 3 { // the whole first receive fails
			return http.StatusBadGateway, `{"message":"upstream"}`
		}
		return http.StatusCreated, `{"valuationReference":"VAL-2"}`
	}}
	r := newRig(t, svc)
	if failed := handle(t, r, message(t, "m1", "token-retry", 1)); len(failed) != 1 {
		t.Fatalf("first receive: failed = %v; want m1", failed)
	}
	if rec := record(t, r, "token-retry"); rec.Status != tokenstore.StatusPending || rec.ValuationReference != "" {
		t.Fatalf("after first receive: %+v", rec)
	}
	if failed := handle(t, r, message(t, "m1", "token-retry", 2)); len(failed) != 0 {
		t.Fatalf("second receive: failed = %v", failed)
	}
	posts := r.svc.posts()
	if len(posts) != 4 {
		t.Fatalf("%d POSTs; want 3 attempts then 1", len(posts))
	}
	for _, p := range posts {
		if p.key != valuationrequest.CallbackID("token-retry") {
			t.Fatalf("key changed across attempts: %q", p.key)
		}
	}
	if rec := record(t, r, "token-retry"); rec.ValuationReference != "VAL-2" {
		t.Fatalf("reference = %q", rec.ValuationReference)
	}
}

func TestCallbackBeforeThe201IsNotClobbered(t *testing.T) {
	var store *tokenstore.MemoryStore
	svc := &service{answer: func(_ int, r *http.Request, _ contracts.ValuationRequest) (int, string) {
		// The valuation is so fast that the resolver settles the record
		// before the service has even answered the request.
		id := r.Header.Get(contracts.HeaderIdempotencyKey)
		if _, err := store.Claim(r.Context(), id, "evt-fast"); err != nil {
			return http.StatusInternalServerError, err.Error()
		}
		if err := store.Resolve(r.Context(), id, "evt-fast", "SUCCEEDED", "", now); err != nil {
			return http.StatusInternalServerError, err.Error()
		}
		return http.StatusCreated, `{"valuationReference":"VAL-FAST"}`
	}}
	r := newRig(t, svc)
	store = r.store
	if failed := handle(t, r, message(t, "m1", "token-race", 1)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	rec := record(t, r, "token-race")
	if rec.Status != tokenstore.StatusResolved || rec.Outcome != "SUCCEEDED" || rec.ValuationReference != "VAL-FAST" {
		t.Fatalf("record = %+v; want RESOLVED with the reference", rec)
	}
	if len(r.tasks.calls()) != 0 {
		t.Fatalf("task failed: %+v", r.tasks.calls())
	}
}

// A crash after the service's 201 but before the reference was recorded; the
// callback settles the record meanwhile. The redelivery asks again with the
// same key (the service answers the same reference, orders nothing) and
// records the reference without touching the status.
func TestRedeliveryRecordsAReferenceACrashLost(t *testing.T) {
	r := newRig(t, nil)
	id := valuationrequest.CallbackID("token-lost")
	if _, _, err := r.store.Put(context.Background(), tokenstore.Record{CallbackID: id, TaskToken: "token-lost",
		Status: tokenstore.StatusPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Claim(context.Background(), id, "evt-1"); err != nil {
		t.Fatal(err)
	}
	if err := r.store.Resolve(context.Background(), id, "evt-1", "SUCCEEDED", "", now); err != nil {
		t.Fatal(err)
	}
	if failed := handle(t, r, message(t, "m1", "token-lost", 2)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	rec := record(t, r, "token-lost")
	if rec.Status != tokenstore.StatusResolved || rec.ValuationReference == "" {
		t.Fatalf("record = %+v; want RESOLVED with its reference", rec)
	}
	if posts := r.svc.posts(); len(posts) != 1 || posts[0].key != id {
		t.Fatalf("POSTs = %+v; want one, with the same idempotency key", posts)
	}
	if len(r.tasks.calls()) != 0 {
		t.Fatalf("task failed: %+v", r.tasks.calls())
	}
}

func TestRejectedRequestFailsTheExecution(t *testing.T) {
	svc := &service{answer: func(int, *http.Request, contracts.ValuationRequest) (int, string) {
		return http.StatusUnprocessableEntity, `{"message":"we do not value castles"}`
	}}
	r := newRig(t, svc)
	if failed := handle(t, r, message(t, "m1", "token-4xx", 1)); len(failed) != 0 {
		t.Fatalf("failed = %v; a rejection is permanent, the message must be deleted", failed)
	}
	calls := r.tasks.calls()
	if len(calls) != 1 || *calls[0].Error != valuationrequest.ErrorRequestRejected || *calls[0].TaskToken != "token-4xx" {
		t.Fatalf("task failures = %+v", calls)
	}
	if c := *calls[0].Cause; !strings.Contains(c, "422") || !strings.Contains(c, "we do not value castles") {
		t.Errorf("cause %q lacks the status or the body", c)
	}
	if n := len(r.svc.posts()); n != 1 {
		t.Errorf("%d POSTs; a 4xx must not be retried", n)
	}
	if rec := record(t, r, "token-4xx"); rec.Status != tokenstore.StatusFailed || rec.Outcome != valuationrequest.ErrorRequestRejected {
		t.Errorf("record = %+v", rec)
	}
}

func TestServerErrorIsTransient(t *testing.T) {
	svc := &service{answer: func(int, *http.Request, contracts.ValuationRequest) (int, string) {
		return http.StatusServiceUnavailable, `busy`
	}}
	r := newRig(t, svc)
	failed := handle(t, r, message(t, "m1", "token-5xx", 1))
	if len(failed) != 1 || failed[0] != "m1" {
		t.Fatalf("failed = %v; want [m1]", failed)
	}
	if n := len(r.svc.posts()); n != r.cfg.RequestAttempts {
		t.Errorf("%d POSTs; want %d attempts", n, r.cfg.RequestAttempts)
	}
	if len(r.tasks.calls()) != 0 {
		t.Errorf("task failed before the last receive: %+v", r.tasks.calls())
	}
	if rec := record(t, r, "token-5xx"); rec.Status != tokenstore.StatusPending {
		t.Errorf("record = %+v", rec)
	}
}

func TestTransientFailureThenSuccessWithinOneInvocation(t *testing.T) {
	svc := &service{answer: func(n int, _ *http.Request, _ contracts.ValuationRequest) (int, string) {
		if n == 1 {
			return http.StatusTooManyRequests, `slow down`
		}
		return http.StatusCreated, `{"valuationReference":"VAL-OK"}`
	}}
	r := newRig(t, svc)
	if failed := handle(t, r, message(t, "m1", "token-flaky", 1)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if n := len(r.svc.posts()); n != 2 {
		t.Errorf("%d POSTs; want 2", n)
	}
	if rec := record(t, r, "token-flaky"); rec.ValuationReference != "VAL-OK" {
		t.Errorf("record = %+v", rec)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	svc := &service{answer: func(_ int, r *http.Request, _ contracts.ValuationRequest) (int, string) {
		<-r.Context().Done() // never answers in time
		return http.StatusCreated, `{"valuationReference":"VAL-LATE"}`
	}}
	r := newRig(t, svc, func(c *valuationrequest.Config) {
		c.RequestTimeout = 50 * time.Millisecond
		c.RequestAttempts = 2
	})
	if failed := handle(t, r, message(t, "m1", "token-timeout", 1)); len(failed) != 1 {
		t.Fatalf("failed = %v; want [m1]", failed)
	}
}

func TestLastReceiveFailsTheExecutionAndKeepsTheEvidence(t *testing.T) {
	svc := &service{answer: func(int, *http.Request, contracts.ValuationRequest) (int, string) {
		return http.StatusServiceUnavailable, `down for maintenance`
	}}
	r := newRig(t, svc)
	failed := handle(t, r, message(t, "m1", "token-last", r.cfg.MaxReceiveCount))
	if len(failed) != 1 {
		t.Fatalf("failed = %v; the message must still fail so it lands in the DLQ", failed)
	}
	calls := r.tasks.calls()
	if len(calls) != 1 || *calls[0].Error != valuationrequest.ErrorServiceUnavailable {
		t.Fatalf("task failures = %+v", calls)
	}
	if c := *calls[0].Cause; !strings.Contains(c, "503") || !strings.Contains(c, "receive 3 of 3") {
		t.Errorf("cause %q is not clear", c)
	}
	if rec := record(t, r, "token-last"); rec.Status != tokenstore.StatusFailed {
		t.Errorf("record = %+v", rec)
	}
}

func TestLastReceiveAfterTheCallbackSettledDoesNotFail(t *testing.T) {
	var store *tokenstore.MemoryStore
	svc := &service{answer: func(n int, r *http.Request, _ contracts.ValuationRequest) (int, string) {
		// The callback settles the record during the first attempt; the
		// retries find it settled.
		if err := store.Resolve(r.Context(), r.Header.Get(contracts.HeaderIdempotencyKey), "", "SUCCEEDED", "", now); n == 1 && err != nil {
			t.Errorf("settle the record: %v", err)
		}
		return http.StatusBadGateway, `lost the answer`
	}}
	r := newRig(t, svc)
	store = r.store
	if failed := handle(t, r, message(t, "m1", "token-settled", r.cfg.MaxReceiveCount)); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	if len(r.tasks.calls()) != 0 {
		t.Fatalf("failed a task that was already resolved: %+v", r.tasks.calls())
	}
}

func TestInvalidMessageWithTokenFailsFast(t *testing.T) {
	r := newRig(t, nil)
	msg := message(t, "m1", "token-invalid", 1, func(m map[string]any) {
		m["loanApplication"].(map[string]any)["loanAmount"] = 0
	})
	if failed := handle(t, r, msg); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
	calls := r.tasks.calls()
	if len(calls) != 1 || *calls[0].Error != valuationrequest.ErrorRequestInvalid || *calls[0].TaskToken != "token-invalid" {
		t.Fatalf("task failures = %+v", calls)
	}
	if c := *calls[0].Cause; !strings.Contains(c, "loanApplication.loanAmount: must be > 0") {
		t.Errorf("cause %q does not name the field and rule", c)
	}
	if len(r.svc.posts()) != 0 {
		t.Errorf("an invalid message ordered a valuation")
	}
}

func TestInvalidMessageOnAClosedTaskIsDropped(t *testing.T) {
	r := newRig(t, nil)
	r.tasks.err = &types.TaskTimedOut{Message: ptr("Task Timed Out")}
	msg := message(t, "m1", "token-closed", 1, func(m map[string]any) { delete(m, "executionId") })
	if failed := handle(t, r, msg); len(failed) != 0 {
		t.Fatalf("failed = %v", failed)
	}
}

func TestInvalidMessageWhenStepFunctionsIsThrottlingIsRetried(t *testing.T) {
	r := newRig(t, nil)
	r.tasks.err = errors.New("ThrottlingException: rate exceeded")
	msg := message(t, "m1", "token-throttled", 1, func(m map[string]any) { m["version"] = 2 })
	if failed := handle(t, r, msg); len(failed) != 1 {
		t.Fatalf("failed = %v; want [m1]", failed)
	}
}

func TestMessageWithoutTokenGoesToTheDLQ(t *testing.T) {
	r := newRig(t, nil)
	for _, body := range []string{`{"version":1}`, `not json`, ``} {
		msg := events.SQSMessage{MessageId: "m-" + body, Body: body}
		if failed := handle(t, r, msg); len(failed) != 1 {
			t.Errorf("body %q: failed = %v; want the message", body, failed)
		}
	}
	if len(r.tasks.calls()) != 0 || len(r.svc.posts()) != 0 {
		t.Fatal("a message without a token did something")
	}
}

func TestBatchReportsExactlyTheTransientFailuresWithBoundedConcurrency(t *testing.T) {
	svc := &service{answer: func(_ int, _ *http.Request, req contracts.ValuationRequest) (int, string) {
		switch req.Property.Name {
		case "down":
			return http.StatusServiceUnavailable, `down`
		case "bad":
			return http.StatusBadRequest, `{"message":"bad"}`
		}
		return http.StatusCreated, `{"valuationReference":"VAL-B"}`
	}}
	r := newRig(t, svc, func(c *valuationrequest.Config) { c.BatchConcurrency = 3 })
	var msgs []events.SQSMessage
	var want []string
	for i := range 10 {
		name := []string{"ok", "down", "bad"}[i%3]
		id := fmt.Sprintf("m%d", i)
		msgs = append(msgs, message(t, id, "token-batch-"+id, 1, func(m map[string]any) {
			m["loanApplication"].(map[string]any)["property"].(map[string]any)["name"] = name
		}))
		if name == "down" {
			want = append(want, id)
		}
	}
	failed := handle(t, r, msgs...)
	if fmt.Sprint(failed) != fmt.Sprint(want) {
		t.Fatalf("failed = %v; want %v", failed, want)
	}
	if m := svc.maxSeen.Load(); m > 3 {
		t.Errorf("%d requests in flight; bound is 3", m)
	}
	if n := len(r.tasks.calls()); n != 3 {
		t.Errorf("%d task failures; want 3 rejections", n)
	}
}

func TestRetriesStopAtTheInvocationDeadline(t *testing.T) {
	svc := &service{answer: func(int, *http.Request, contracts.ValuationRequest) (int, string) {
		return http.StatusServiceUnavailable, `down`
	}}
	r := newRig(t, svc, func(c *valuationrequest.Config) {
		c.RequestAttempts = 10
		c.BaseBackoff = time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	start := time.Now()
	resp, err := r.h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{message(t, "m1", "token-deadline", 1)}})
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
	if el := time.Since(start); el > 1200*time.Millisecond {
		t.Errorf("took %s; the deadline was 1.2s", el)
	}
	if n := len(svc.posts()); n >= 10 {
		t.Errorf("%d attempts despite the deadline", n)
	}
}

func ptr[T any](v T) *T { return &v }
