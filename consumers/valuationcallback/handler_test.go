package valuationcallback_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/signature"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationcallback"
	"loanflow/contracts"
	"loanflow/events"
)

var (
	now    = time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)
	secret = []byte("webhook-secret")
)

const (
	callbackID      = "cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE"
	otherCallbackID = "cb_ANOTHERLOAN_0123456789abcdefghijklmnopqrs"
)

// fakeTasks is a fake Step Functions: it records what resumed and returns
// queued errors first.
type fakeTasks struct {
	mu        sync.Mutex
	successes []sfn.SendTaskSuccessInput
	failures  []sfn.SendTaskFailureInput
	errs      []error
}

func (f *fakeTasks) next() error {
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeTasks) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.next(); err != nil {
		return nil, err
	}
	f.successes = append(f.successes, *in)
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (f *fakeTasks) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.next(); err != nil {
		return nil, err
	}
	f.failures = append(f.failures, *in)
	return &sfn.SendTaskFailureOutput{}, nil
}

func (f *fakeTasks) resumed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.successes) + len(f.failures)
}

// logBuffer collects log lines safely.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

type rig struct {
	h       *valuationcallback.Handler
	store   tokenstore.Store
	tasks   *fakeTasks
	metrics *valuationcallback.Tally
	logs    *logBuffer
	now     time.Time
}

func newRig(t *testing.T, store tokenstore.Store) *rig {
	t.Helper()
	if store == nil {
		store = tokenstore.NewMemoryStore()
	}
	r := &rig{store: store, tasks: &fakeTasks{}, metrics: &valuationcallback.Tally{}, logs: &logBuffer{}, now: now}
	h, err := valuationcallback.NewHandler(
		valuationcallback.Config{TableName: "tokens", SigningSecret: secret, SignatureTolerance: 5 * time.Minute},
		valuationcallback.Deps{
			Store: store, Tasks: r.tasks, Metrics: r.metrics,
			Logger: lambdalog.New(r.logs, "DEBUG"), Now: func() time.Time { return r.now },
		})
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", r.logs.buf.String())
		}
	})
	return r
}

func (r *rig) pending(t *testing.T, edit ...func(*tokenstore.Record)) {
	t.Helper()
	rec := tokenstore.Record{
		CallbackID: callbackID, TaskToken: "token-abcdef-0123456789", ExecutionID: "arn:aws:states:eu-west-2:000000000000:execution:LoanProcessor:APP-1",
		ApplicationID: "APP-1", LoanAmount: 25000000, Status: tokenstore.StatusPending,
		CreatedAt: now.Add(-5 * time.Minute), ExpiresAt: now.Add(time.Hour),
	}
	for _, f := range edit {
		f(&rec)
	}
	if _, _, err := r.store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) record(t *testing.T) tokenstore.Record {
	t.Helper()
	rec, err := r.store.Get(context.Background(), callbackID)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

const completedBody = `{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":32500000,"currency":"GBP","valuedAt":"2026-11-25T10:04:00Z"}`
const failedBody = `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"ACCESS_REFUSED","reason":"No access to the property."}}`

// event builds the event the webhook would publish for body, signed with key
// at signedAt and received at now plus a few milliseconds that depend on id:
// one event id is one receipt by the webhook.
func event(t *testing.T, id, cbID, body string, key []byte, signedAt time.Time) lambdaevents.CloudWatchEvent {
	t.Helper()
	offset := 0
	for _, c := range id {
		offset += int(c)
	}
	return eventAt(t, id, cbID, []byte(body), key, signedAt, now.Add(time.Duration(offset)*time.Millisecond))
}

// eventAt builds the event for the raw body, signed at signedAt, received at receivedAt.
func eventAt(t *testing.T, id, cbID string, body, key []byte, signedAt, receivedAt time.Time) lambdaevents.CloudWatchEvent {
	t.Helper()
	var resp contracts.ValuationResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	ts, sig := signature.Sign(signedAt, signature.Message{CallbackID: cbID, Body: body}, key)
	detail, err := json.Marshal(contracts.ValuationCallbackDetail{
		Version: contracts.CallbackDetailVersion, CallbackID: cbID, Signature: contracts.Signature{Timestamp: ts, Value: sig},
		BodyBase64: base64.StdEncoding.EncodeToString(body), ReceivedAt: strconv.FormatInt(receivedAt.UnixMilli(), 10), ReceiptID: "req-" + id, Response: resp,
	})
	if err != nil {
		t.Fatal(err)
	}
	return lambdaevents.CloudWatchEvent{
		ID: id, Source: contracts.EventSource, DetailType: contracts.DetailType(resp.Status), Detail: detail,
	}
}

// claimOf is the claim id the resolver gives ev's callback.
func claimOf(t *testing.T, ev lambdaevents.CloudWatchEvent) string {
	t.Helper()
	var d contracts.ValuationCallbackDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	body, err := base64.StdEncoding.DecodeString(d.BodyBase64)
	if err != nil {
		t.Fatal(err)
	}
	return "cb-" + signature.Digest(d.Signature.Timestamp, d.Signature.Value, signature.Message{CallbackID: d.CallbackID, Body: body}, d.ReceiptID)
}

func (r *rig) handle(t *testing.T, ev lambdaevents.CloudWatchEvent) error {
	t.Helper()
	return r.h.Handle(context.Background(), ev)
}

// wantOnly checks that exactly one metric was counted, n times, in all.
func (r *rig) wantOnly(t *testing.T, metric string, n int64) {
	t.Helper()
	snap := r.metrics.Snapshot()
	for _, m := range valuationcallback.MetricNames {
		want := int64(0)
		if m == metric {
			want = n
		}
		if snap[m] != want {
			t.Errorf("metric %s = %d; want %d (all: %v)", m, snap[m], want, snap)
		}
	}
}

func TestCompletedValuationResumesWithTheResult(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if len(r.tasks.successes) != 1 {
		t.Fatalf("successes = %d", len(r.tasks.successes))
	}
	in := r.tasks.successes[0]
	if *in.TaskToken != "token-abcdef-0123456789" {
		t.Errorf("token = %q", *in.TaskToken)
	}
	var got contracts.ValuationResult
	if err := contracts.Decode(contracts.SchemaValuationResult, []byte(*in.Output), &got); err != nil {
		t.Fatalf("output breaks the ValuationResult contract: %v", err)
	}
	want := contracts.ValuationResult{ValuationReference: "VAL-1", PropertyValue: 32500000, Currency: "GBP",
		ValuedAt: "2026-11-25T10:04:00Z", LoanToValueBps: 7693}
	if got != want {
		t.Errorf("output = %+v; want %+v", got, want)
	}
	rec := r.record(t)
	if rec.Status != tokenstore.StatusResolved || rec.ClaimedBy != claimOf(t, event(t, "evt-1", callbackID, completedBody, secret, now)) || rec.Outcome != valuationcallback.OutcomeSucceeded {
		t.Errorf("record = %+v", rec)
	}
	r.wantOnly(t, valuationcallback.CallbacksResolved, 1)
	lines := r.logs.lines(t)
	if len(lines) != 1 || lines[0]["reason"] != valuationcallback.ReasonResolved || lines[0]["level"] != "INFO" ||
		lines[0]["callbackId"] != lambdalog.ID(callbackID) || lines[0]["eventId"] != "evt-1" {
		t.Errorf("log lines = %v", lines)
	}
	if strings.Contains(r.logs.buf.String(), "token-abcdef-0123456789") {
		t.Error("the whole task token was logged")
	}
}

func TestFailedValuationFailsTheTask(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	if err := r.handle(t, event(t, "evt-1", callbackID, failedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if len(r.tasks.failures) != 1 || len(r.tasks.successes) != 0 {
		t.Fatalf("failures %d, successes %d", len(r.tasks.failures), len(r.tasks.successes))
	}
	f := r.tasks.failures[0]
	if *f.Error != valuationcallback.ErrorValuationFailed || *f.Cause != "ACCESS_REFUSED: No access to the property." {
		t.Errorf("failure = %s / %s", *f.Error, *f.Cause)
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusResolved || rec.Outcome != valuationcallback.OutcomeFailed {
		t.Errorf("record = %+v", rec)
	}
	r.wantOnly(t, valuationcallback.CallbacksFailed, 1)
}

func TestSampleEventFromTheEventsPackageResolves(t *testing.T) {
	entries, err := events.Sample(events.SampleCompleted)
	if err != nil {
		t.Fatal(err)
	}
	var d contracts.ValuationCallbackDetail
	if err := json.Unmarshal([]byte(entries[0].Detail), &d); err != nil {
		t.Fatal(err)
	}
	d.CallbackID = callbackID
	body, err := base64.StdEncoding.DecodeString(d.BodyBase64)
	if err != nil {
		t.Fatal(err)
	}
	d.Signature.Timestamp, d.Signature.Value = signature.Sign(now, signature.Message{CallbackID: callbackID, Body: body}, secret)
	d.ReceivedAt = strconv.FormatInt(now.UnixMilli(), 10)
	d.ReceiptID = "req-sample"
	detail, _ := json.Marshal(d)
	r := newRig(t, nil)
	r.pending(t)
	ev := lambdaevents.CloudWatchEvent{ID: "evt-sample", Source: entries[0].Source, DetailType: entries[0].DetailType, Detail: detail}
	if err := r.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	r.wantOnly(t, valuationcallback.CallbacksResolved, 1)
}

func TestDuplicateCallbackResumesNothing(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if err := r.handle(t, event(t, "evt-2", callbackID, completedBody, secret, now)); err != nil {
		t.Fatalf("a duplicate must be acknowledged: %v", err)
	}
	if n := r.tasks.resumed(); n != 1 {
		t.Fatalf("resumed %d times", n)
	}
	if r.metrics.Get(valuationcallback.CallbacksDuplicate) != 1 || r.metrics.Get(valuationcallback.CallbacksResolved) != 1 {
		t.Errorf("metrics = %v", r.metrics.Snapshot())
	}
	lines := r.logs.lines(t)
	if len(lines) != 2 || lines[1]["reason"] != valuationcallback.ReasonDuplicate || lines[1]["metric"] != valuationcallback.CallbacksDuplicate {
		t.Errorf("log lines = %v", lines)
	}
}

func TestSameEventAfterResolutionIsNotADuplicate(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	ev := event(t, "evt-1", callbackID, completedBody, secret, now)
	for range 2 {
		if err := r.handle(t, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.tasks.resumed(); n != 1 {
		t.Fatalf("resumed %d times", n)
	}
	r.wantOnly(t, valuationcallback.CallbacksResolved, 1)
}

func TestRetryAfterTransientFailureIsNotADuplicate(t *testing.T) {
	for _, transient := range []error{
		&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
		&smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "try later", Fault: smithy.FaultServer},
		errors.New("dial tcp: connection reset"),
	} {
		t.Run(fmt.Sprint(transient), func(t *testing.T) {
			r := newRig(t, nil)
			r.pending(t)
			r.tasks.errs = []error{transient}
			ev := event(t, "evt-1", callbackID, completedBody, secret, now)
			if err := r.handle(t, ev); err == nil {
				t.Fatal("a transient failure must return an error so EventBridge retries")
			}
			if rec := r.record(t); rec.Status != tokenstore.StatusClaimed || rec.ClaimedBy != claimOf(t, ev) {
				t.Fatalf("after the failure: %+v", rec)
			}
			// Meanwhile a different event (the service's duplicate) arrives.
			if err := r.handle(t, event(t, "evt-2", callbackID, completedBody, secret, now)); err != nil {
				t.Fatal(err)
			}
			// EventBridge retries the same event.
			if err := r.handle(t, ev); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := r.tasks.resumed(); n != 1 {
				t.Fatalf("resumed %d times; want once", n)
			}
			if rec := r.record(t); rec.Status != tokenstore.StatusResolved || rec.ClaimedBy != claimOf(t, ev) {
				t.Errorf("record = %+v", rec)
			}
			if r.metrics.Get(valuationcallback.CallbacksResolved) != 1 || r.metrics.Get(valuationcallback.CallbacksDuplicate) != 1 {
				t.Errorf("metrics = %v", r.metrics.Snapshot())
			}
		})
	}
}

// A crash or a lost response after SendTaskSuccess went through: the retry of
// the same event finds the task gone (TaskDoesNotExist). Its own earlier
// attempt resumed the execution, so the record is resolved, not expired.
func TestRetryThatFindsItsOwnAnswerDeliveredResolves(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	r.tasks.errs = []error{errors.New("read tcp: connection reset (response lost)"), &types.TaskDoesNotExist{Message: ptr("Task does not exist")}}
	ev := event(t, "evt-1", callbackID, completedBody, secret, now)
	if err := r.handle(t, ev); err == nil {
		t.Fatal("the lost response must return an error so EventBridge retries")
	}
	if err := r.handle(t, ev); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusResolved || rec.ClaimedBy != claimOf(t, ev) {
		t.Fatalf("record = %+v; want RESOLVED by evt-1", rec)
	}
	if r.metrics.Get(valuationcallback.CallbacksLate) != 0 || r.metrics.Get(valuationcallback.CallbacksResolved) != 1 {
		t.Errorf("metrics = %v", r.metrics.Snapshot())
	}
}

func TestLateWhenStepFunctionsSaysTheTaskIsGone(t *testing.T) {
	for _, late := range []error{
		&types.TaskTimedOut{Message: ptr("Task Timed Out")},
		&types.TaskDoesNotExist{Message: ptr("Task does not exist")},
		&types.InvalidToken{Message: ptr("Invalid token")},
	} {
		t.Run(fmt.Sprintf("%T", late), func(t *testing.T) {
			r := newRig(t, nil)
			r.pending(t)
			r.tasks.errs = []error{late}
			if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
				t.Fatalf("a late callback must be acknowledged: %v", err)
			}
			if rec := r.record(t); rec.Status != tokenstore.StatusExpired {
				t.Errorf("record = %+v", rec)
			}
			r.wantOnly(t, valuationcallback.CallbacksLate, 1)
			if lines := r.logs.lines(t); len(lines) != 1 || lines[0]["reason"] != valuationcallback.ReasonTaskClosed {
				t.Errorf("log lines = %v", lines)
			}
		})
	}
}

func TestLatePastTheRecordsExpiryNeverCallsStepFunctions(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t, func(rec *tokenstore.Record) { rec.ExpiresAt = now.Add(-time.Second) })
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 0 {
		t.Fatal("resumed an expired token")
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusExpired {
		t.Errorf("record = %+v", rec)
	}
	r.wantOnly(t, valuationcallback.CallbacksLate, 1)
}

func TestCallbackAfterTheRequestFailedIsLate(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	if err := r.store.Fail(context.Background(), callbackID, "ValuationServiceUnavailable", "503", now); err != nil {
		t.Fatal(err)
	}
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 0 {
		t.Fatal("resumed a failed task")
	}
	r.wantOnly(t, valuationcallback.CallbacksLate, 1)
}

func TestUnknownCallbackID(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	if err := r.handle(t, event(t, "evt-1", "cb_someone_elses_callback_id_xxxxxxxxxxxxx", completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 0 {
		t.Fatal("resumed something")
	}
	r.wantOnly(t, valuationcallback.CallbacksUnknown, 1)
}

func TestRejectedCallbacksTouchNothing(t *testing.T) {
	signed := event(t, "evt-1", callbackID, completedBody, secret, now)
	withDetail := func(edit func(*contracts.ValuationCallbackDetail)) lambdaevents.CloudWatchEvent {
		var d contracts.ValuationCallbackDetail
		if err := json.Unmarshal(signed.Detail, &d); err != nil {
			t.Fatal(err)
		}
		edit(&d)
		ev := signed
		ev.Detail, _ = json.Marshal(d)
		return ev
	}
	tests := []struct {
		name   string
		ev     lambdaevents.CloudWatchEvent
		reason string
	}{
		{"forged", event(t, "evt-1", callbackID, completedBody, []byte("not-the-key"), now), valuationcallback.ReasonSignatureForged},
		{"stale", event(t, "evt-1", callbackID, completedBody, secret, now.Add(-time.Hour)), valuationcallback.ReasonSignatureStale},
		{"from the future", event(t, "evt-1", callbackID, completedBody, secret, now.Add(time.Hour)), valuationcallback.ReasonSignatureStale},
		{"unsigned", withDetail(func(d *contracts.ValuationCallbackDetail) { d.Signature = contracts.Signature{} }), valuationcallback.ReasonSignatureMissing},
		{"body tampered after signing", withDetail(func(d *contracts.ValuationCallbackDetail) {
			d.BodyBase64 = base64.StdEncoding.EncodeToString([]byte(strings.Replace(completedBody, "32500000", "99500000", 1)))
		}), valuationcallback.ReasonSignatureForged},
		{"detail not JSON", func() lambdaevents.CloudWatchEvent { ev := signed; ev.Detail = json.RawMessage(`"x"`); return ev }(), valuationcallback.ReasonMalformed},
		{"no callback id", withDetail(func(d *contracts.ValuationCallbackDetail) { d.CallbackID = "" }), valuationcallback.ReasonMalformed},
		{"re-addressed to another loan's callback id", withDetail(func(d *contracts.ValuationCallbackDetail) {
			*d = detailOf(t, event(t, "evt-1", otherCallbackID, completedBody, secret, now))
			d.CallbackID = callbackID
		}), valuationcallback.ReasonSignatureForged},
		{"old unversioned scheme", withDetail(func(d *contracts.ValuationCallbackDetail) {
			d.Signature.Value = strings.TrimPrefix(d.Signature.Value, "v1=")
		}), valuationcallback.ReasonSignatureScheme},
		{"detail version 1", withDetail(func(d *contracts.ValuationCallbackDetail) { d.Version = "1" }), valuationcallback.ReasonMalformed},
		{"receipt time in the future", withDetail(func(d *contracts.ValuationCallbackDetail) {
			*d = detailOf(t, eventAt(t, "evt-1", callbackID, []byte(completedBody), secret, now.Add(time.Hour), now.Add(time.Hour)))
		}), valuationcallback.ReasonReceiptInFuture},
		{"received before the token was stored", withDetail(func(d *contracts.ValuationCallbackDetail) {
			*d = detailOf(t, eventAt(t, "evt-1", callbackID, []byte(completedBody), secret, now.Add(-time.Hour), now.Add(-time.Hour)))
		}), valuationcallback.ReasonReceiptBeforeIssue},
		{"unsupported detail type", func() lambdaevents.CloudWatchEvent { ev := signed; ev.DetailType = "Valuation Started"; return ev }(), valuationcallback.ReasonUnsupportedType},
		{"status does not match the detail type", func() lambdaevents.CloudWatchEvent {
			ev := signed
			ev.DetailType = contracts.DetailTypeFailed
			return ev
		}(), valuationcallback.ReasonMalformed},
		{"signed body breaks its contract", event(t, "evt-1", callbackID, `{"valuationReference":"VAL-1","status":"COMPLETED","currency":"GBP"}`, secret, now), valuationcallback.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.pending(t)
			if err := r.handle(t, tt.ev); err != nil {
				t.Fatalf("must be acknowledged: %v", err)
			}
			if r.tasks.resumed() != 0 {
				t.Fatal("resumed the execution")
			}
			if rec := r.record(t); rec.Status != tokenstore.StatusPending {
				t.Fatalf("record changed: %+v", rec)
			}
			r.wantOnly(t, valuationcallback.CallbacksRejected, 1)
			lines := r.logs.lines(t)
			if len(lines) != 1 || lines[0]["reason"] != tt.reason || lines[0]["level"] != "WARN" {
				t.Errorf("log lines = %v; want one WARN line with reason %s", lines, tt.reason)
			}
		})
	}
}

func TestReferenceMismatchIsRejected(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t, func(rec *tokenstore.Record) { rec.ValuationReference = "VAL-OTHER" })
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 0 {
		t.Fatal("resumed")
	}
	r.wantOnly(t, valuationcallback.CallbacksRejected, 1)
}

func TestNoSigningKeyNoResolver(t *testing.T) {
	if _, err := valuationcallback.NewHandler(valuationcallback.Config{}, valuationcallback.Deps{Store: tokenstore.NewMemoryStore(), Tasks: &fakeTasks{}}); err == nil {
		t.Fatal("a resolver without a signing key started")
	}
	env := fullEnv()
	delete(env, valuationcallback.EnvSigningSecret)
	if _, err := valuationcallback.ConfigFromEnv(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), valuationcallback.EnvSigningSecretARN) {
		t.Fatalf("config without a key = %v; want an error naming %s", err, valuationcallback.EnvSigningSecretARN)
	}
}

// failingStore fails every read, as DynamoDB does when it throttles.
type failingStore struct{ tokenstore.Store }

func (failingStore) Get(context.Context, string) (tokenstore.Record, error) {
	return tokenstore.Record{}, errors.New("ProvisionedThroughputExceededException")
}

func (failingStore) ClaimIf(context.Context, string, string, tokenstore.ClaimGuard) (tokenstore.Record, error) {
	return tokenstore.Record{}, errors.New("ProvisionedThroughputExceededException")
}

func TestStoreFailureIsRetried(t *testing.T) {
	r := newRig(t, failingStore{tokenstore.NewMemoryStore()})
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err == nil {
		t.Fatal("want an error so EventBridge retries")
	}
	if lines := r.logs.lines(t); len(lines) != 1 || lines[0]["level"] != "ERROR" {
		t.Errorf("log lines = %v", lines)
	}
}

func TestConcurrentCallbacksResumeOnce(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	var wg sync.WaitGroup
	for i := range 8 {
		ev := event(t, fmt.Sprintf("evt-%d", i), callbackID, completedBody, secret, now)
		wg.Go(func() {
			if err := r.h.Handle(context.Background(), ev); err != nil {
				t.Errorf("Handle: %v", err)
			}
		})
	}
	wg.Wait()
	if n := r.tasks.resumed(); n != 1 {
		t.Fatalf("resumed %d times", n)
	}
	if r.metrics.Get(valuationcallback.CallbacksResolved) != 1 || r.metrics.Get(valuationcallback.CallbacksDuplicate) != 7 {
		t.Errorf("metrics = %v", r.metrics.Snapshot())
	}
}

func TestEMFLineIsAMetric(t *testing.T) {
	var buf bytes.Buffer
	valuationcallback.NewEMF(&buf, valuationcallback.EMFOptions{LogLevel: "INFO"}).Count(valuationcallback.CallbacksLate)
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Late    int    `json:"CallbacksLate"`
		Service string `json:"Service"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc.AWS.CloudWatchMetrics
	if doc.AWS.Timestamp == 0 || len(d) != 1 || d[0].Namespace != "Loanflow" || d[0].Metrics[0].Name != "CallbacksLate" ||
		d[0].Metrics[0].Unit != "Count" || doc.Late != 1 || strings.Count(buf.String(), "\n") != 1 ||
		len(d[0].Dimensions) != 1 || len(d[0].Dimensions[0]) != 1 || d[0].Dimensions[0][0] != "Service" || doc.Service != valuationcallback.MetricsService {
		t.Fatalf("EMF line = %s", buf.String())
	}
}

// fullEnv sets every variable the function reads, as the typed config does
// locally (the key itself rather than a secret's ARN).
func fullEnv() map[string]string {
	return map[string]string{
		valuationcallback.EnvTableName:          "tokens",
		valuationcallback.EnvSigningSecret:      "k",
		valuationcallback.EnvSignatureTolerance: "2m",
		valuationcallback.EnvSecretCacheTTL:     "90",
		valuationcallback.EnvLogLevel:           "WARN",
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := fullEnv()
	c, err := valuationcallback.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.TableName != "tokens" || string(c.SigningSecret) != "k" || c.SignatureTolerance != 2*time.Minute ||
		c.SecretCacheTTL != 90*time.Second || c.LogLevel != "WARN" {
		t.Fatalf("config = %+v, %v", c, err)
	}
	// The defaults live in the typed config only: a variable it did not
	// set is an error that names it.
	for _, name := range []string{valuationcallback.EnvTableName, valuationcallback.EnvSignatureTolerance,
		valuationcallback.EnvSecretCacheTTL, valuationcallback.EnvLogLevel} {
		env := fullEnv()
		delete(env, name)
		if _, err := valuationcallback.ConfigFromEnv(func(k string) string { return env[k] }); err == nil ||
			!strings.Contains(err.Error(), name+": must be set") {
			t.Errorf("without %s: err = %v", name, err)
		}
	}
	env[valuationcallback.EnvSignatureTolerance] = "0s"
	if _, err := valuationcallback.ConfigFromEnv(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), valuationcallback.EnvSignatureTolerance+": must be > 0") {
		t.Errorf("a zero tolerance: err = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func detailOf(t *testing.T, ev lambdaevents.CloudWatchEvent) contracts.ValuationCallbackDetail {
	t.Helper()
	var d contracts.ValuationCallbackDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// Loan A's signed answer, re-addressed to loan B while B's record has no
// valuation reference yet (issue 13's first finding), resumes neither.
func TestReaddressedSignedCallbackResumesNothing(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t) // loan B, waiting, no reference yet
	forA := detailOf(t, event(t, "evt-1", otherCallbackID, completedBody, secret, now))
	forA.CallbackID = callbackID
	ev := event(t, "evt-1", callbackID, completedBody, secret, now)
	ev.Detail, _ = json.Marshal(forA)
	if err := r.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 0 || r.record(t).Status != tokenstore.StatusPending {
		t.Fatal("a callback signed for another loan resumed this one")
	}
	r.wantOnly(t, valuationcallback.CallbacksRejected, 1)
}

// The signature covers the bytes as received, which need not be UTF-8.
func TestSignedBodyWithInvalidUTF8Resolves(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	body := []byte("{\"valuationReference\":\"VAL-1\",\"status\":\"FAILED\",\"failure\":{\"reasonCode\":\"ACCESS_REFUSED\",\"reason\":\"Caf\xe9 owner refused \xff\"}}")
	if err := r.handle(t, eventAt(t, "evt-1", callbackID, body, secret, now, now)); err != nil {
		t.Fatal(err)
	}
	if r.tasks.resumed() != 1 || r.record(t).Status != tokenstore.StatusResolved {
		t.Fatalf("not resolved: %+v", r.record(t))
	}
	r.wantOnly(t, valuationcallback.CallbacksFailed, 1)
}

// Freshness is judged at receipt: a callback delivered ten minutes after the
// webhook received it (EventBridge retries, a DLQ redrive) resumes its loan,
// once; the same callback again resumes nothing.
func TestCallbackDeliveredLongAfterReceiptResolvesOnce(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	ev := eventAt(t, "evt-1", callbackID, []byte(completedBody), secret, now.Add(-2*time.Second), now)
	r.now = now.Add(10 * time.Minute)
	if err := r.handle(t, ev); err != nil {
		t.Fatal(err)
	}
	replay := ev
	replay.ID = "evt-replayed" // a redrive or an archive replay is a new event
	if err := r.handle(t, replay); err != nil {
		t.Fatal(err)
	}
	if n := r.tasks.resumed(); n != 1 {
		t.Fatalf("resumed %d times; want once", n)
	}
	r.wantOnly(t, valuationcallback.CallbacksResolved, 1)
	if lines := r.logs.lines(t); len(lines) != 2 || lines[1]["reason"] != valuationcallback.ReasonAlreadyResolved {
		t.Errorf("log lines = %v", lines)
	}
	// A body signed long before it was received is stale however it travels.
	stale := eventAt(t, "evt-2", callbackID, []byte(completedBody), secret, now.Add(-time.Hour), now)
	r2 := newRig(t, nil)
	r2.pending(t)
	if err := r2.handle(t, stale); err != nil {
		t.Fatal(err)
	}
	r2.wantOnly(t, valuationcallback.CallbacksRejected, 1)
}

// A record left CLAIMED (the resolver's retries ran out between the claim
// and the resume) is resumed when the same callback is redriven as a new
// event: the claim belongs to the callback, not to the event.
func TestRedriveResumesARecordLeftClaimed(t *testing.T) {
	r := newRig(t, nil)
	r.pending(t)
	r.tasks.errs = []error{&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}}
	ev := event(t, "evt-1", callbackID, completedBody, secret, now)
	if err := r.handle(t, ev); err == nil {
		t.Fatal("want an error so EventBridge retries")
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusClaimed {
		t.Fatalf("record = %+v", rec)
	}
	redriven := ev
	redriven.ID = "evt-redriven"
	r.now = now.Add(3 * time.Hour)
	if err := r.handle(t, redriven); err != nil {
		t.Fatal(err)
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusResolved || r.tasks.resumed() != 1 {
		t.Fatalf("record = %+v, resumed %d", rec, r.tasks.resumed())
	}
}

// rotatingKeys is a key source whose keys can change under the handler, with
// a cache the handler refreshes only when it asks for fresh keys.
type rotatingKeys struct {
	mu             sync.Mutex
	current, prev  []byte
	cached         [][]byte
	reads, freshes int
}

func (k *rotatingKeys) rotate(next []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.prev, k.current = k.current, next
}

func (k *rotatingKeys) Keys(_ context.Context, fresh bool) ([][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cached == nil || fresh {
		k.reads++
		if fresh {
			k.freshes++
		}
		k.cached = [][]byte{k.current}
		if k.prev != nil {
			k.cached = append(k.cached, k.prev)
		}
	}
	return k.cached, nil
}

// Key rotation mid-stream loses nothing: callbacks signed with the old key
// before the rotation and delivered after it, and callbacks signed with the
// new key before the resolver's cache has seen it, all resolve.
func TestKeyRotationMidStreamLosesNothing(t *testing.T) {
	keys := &rotatingKeys{current: []byte("key-1")}
	store := tokenstore.NewMemoryStore()
	tasks := &fakeTasks{}
	h, err := valuationcallback.NewHandler(valuationcallback.Config{SignatureTolerance: 5 * time.Minute},
		valuationcallback.Deps{Store: store, Tasks: tasks, Keys: keys, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var evs []lambdaevents.CloudWatchEvent
	for i := range 30 {
		id := fmt.Sprintf("cb_loan_%02d_0123456789abcdefghijklmnopq", i)
		if _, _, err := store.Put(context.Background(), tokenstore.Record{CallbackID: id, TaskToken: "token-" + id,
			Status: tokenstore.StatusPending, CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			keys.rotate([]byte("key-2")) // the provider signs with the new key from here on
		}
		if i == 20 {
			keys.rotate([]byte("key-3"))
		}
		keys.mu.Lock()
		key := keys.current
		keys.mu.Unlock()
		evs = append(evs, eventAt(t, fmt.Sprintf("evt-%d", i), id, []byte(completedBody), key, now, now))
	}
	// Delivered out of order, the first ones after both rotations.
	for i := len(evs) - 1; i >= 0; i-- {
		if i >= 10 && i < 20 {
			continue
		}
		if err := h.Handle(context.Background(), evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := 10; i < 20; i++ { // signed with key-2, now the previous key
		if err := h.Handle(context.Background(), evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if n := tasks.resumed(); n != 20 {
		t.Fatalf("resumed %d of 30: callbacks signed with key-1 (two rotations back) are the only ones to lose", n)
	}
	if keys.freshes == 0 {
		t.Fatal("the handler never asked for fresh keys")
	}
}

// overtakenStore lets another delivery of the same callback mark the record
// RESOLVED just before this delivery's Resolve, as two overlapping
// deliveries of one event (one receipt: the same claim) can.
type overtakenStore struct{ tokenstore.Store }

func (s overtakenStore) Resolve(ctx context.Context, callbackID, claimID, outcome, reason string, at time.Time) error {
	if err := s.Store.Resolve(ctx, callbackID, claimID, outcome, reason, at); err != nil {
		return err
	}
	return s.Store.Resolve(ctx, callbackID, claimID, outcome, reason, at)
}

// TestOverlappingDeliveriesOfOneCallbackCountOnce: the delivery whose
// Resolve finds the record already RESOLVED by its own claim has nothing
// left to do. It is not an error (the record is marked), and the callback
// is counted once, by the delivery that marked it, not once per delivery.
func TestOverlappingDeliveriesOfOneCallbackCountOnce(t *testing.T) {
	r := newRig(t, overtakenStore{tokenstore.NewMemoryStore()})
	r.pending(t)
	ev := event(t, "evt-1", callbackID, completedBody, secret, now)
	if err := r.handle(t, ev); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if rec := r.record(t); rec.Status != tokenstore.StatusResolved || rec.ClaimedBy != claimOf(t, ev) {
		t.Fatalf("record = %+v; want RESOLVED by evt-1", rec)
	}
	r.wantOnly(t, valuationcallback.CallbacksResolved, 0)
	outcomes := 0
	for _, l := range r.logs.lines(t) {
		if l["level"] == "ERROR" {
			t.Errorf("log line %v at ERROR", l)
		}
		if reason, ok := l["reason"]; ok {
			outcomes++
			if reason != valuationcallback.ReasonAlreadyResolved || l["level"] != "INFO" {
				t.Errorf("outcome %v; want reason %s at INFO", l, valuationcallback.ReasonAlreadyResolved)
			}
		}
	}
	if outcomes != 1 {
		t.Errorf("%d outcome lines, want 1", outcomes)
	}
}
