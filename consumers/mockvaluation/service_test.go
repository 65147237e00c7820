package mockvaluation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"loanflow/consumers/signature"
	"loanflow/contracts"
)

var (
	now    = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	secret = []byte("webhook-secret")
)

// fakeSFN behaves as Step Functions does for StartExecution on a Standard
// state machine: the same name with the same input returns the running
// execution; the same name with another input is ExecutionAlreadyExists.
type fakeSFN struct {
	mu     sync.Mutex
	inputs map[string]string
	starts int
	err    error
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if f.inputs == nil {
		f.inputs = map[string]string{}
	}
	arn := "arn:aws:states:eu-west-2:000000000000:execution:ValuationService:" + *in.Name
	if old, ok := f.inputs[*in.Name]; ok {
		if old != *in.Input {
			return nil, &types.ExecutionAlreadyExists{Message: ptr("Execution Already Exists: '" + arn + "'")}
		}
		return &sfn.StartExecutionOutput{ExecutionArn: &arn}, nil
	}
	f.inputs[*in.Name] = *in.Input
	f.starts++
	return &sfn.StartExecutionOutput{ExecutionArn: &arn}, nil
}

func (f *fakeSFN) input(t *testing.T, name string) ExecutionInput {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var in ExecutionInput
	if err := json.Unmarshal([]byte(f.inputs[name]), &in); err != nil {
		t.Fatalf("execution %s input: %v", name, err)
	}
	return in
}

// testConfig is a configuration with every tunable set, as the typed
// config's defaults would set them.
func testConfig() Config {
	return Config{
		CallbackDelay:    30 * time.Second,
		LateDelay:        25 * time.Hour,
		SlowResponse:     3 * time.Second,
		SecretCacheTTL:   5 * time.Minute,
		CallbackAttempts: 3,
		CallbackTimeout:  10 * time.Second,
		LogLevel:         "INFO",
	}
}

func newAPI(t *testing.T) (*APIHandler, *fakeSFN, *[]time.Duration) {
	t.Helper()
	f := &fakeSFN{}
	cfg := testConfig()
	cfg.StateMachineARN = "arn:aws:states:eu-west-2:000000000000:stateMachine:ValuationService"
	cfg.CallbackDelay = 2 * time.Second
	cfg.LateDelay = 10 * time.Minute
	cfg.AllowedCallbackPrefix = "https://hook.example.com/prod/valuations/"
	h, err := NewAPIHandler(cfg, APIDeps{Executions: f})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	h.wait = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return h, f, &waits
}

func request(t *testing.T, name, key string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	body, _ := json.Marshal(contracts.ValuationRequest{
		Property:    contracts.Property{Name: name, Address: contracts.Address{Line1: "12 Analytical Row", Town: "London", Postcode: "SW1A 1AA"}},
		CallbackURL: "https://hook.example.com/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE",
	})
	req := events.APIGatewayV2HTTPRequest{RawPath: "/valuations", Body: string(body), Headers: map[string]string{}}
	req.RequestContext.HTTP.Method = http.MethodPost
	if key != "" {
		req.Headers["idempotency-key"] = key // API Gateway lowercases header names
	}
	return req
}

func call(t *testing.T, h *APIHandler, req events.APIGatewayV2HTTPRequest) (int, map[string]any) {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	if resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
	}
	return resp.StatusCode, body
}

func TestAPIAcceptsAndStartsTheSurvey(t *testing.T) {
	h, f, _ := newAPI(t)
	status, body := call(t, h, request(t, "12", "key-1"))
	if status != http.StatusCreated || body["valuationReference"] != Reference("key-1") {
		t.Fatalf("%d %v", status, body)
	}
	in := f.input(t, Reference("key-1"))
	if in.Mode != ModeNormal || in.DelaySeconds != 2 || in.ValuationReference != Reference("key-1") ||
		!strings.HasSuffix(in.CallbackURL, "/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE") ||
		in.Property.Address.Postcode != "SW1A 1AA" {
		t.Errorf("execution input = %+v", in)
	}
	if err := contracts.Validate(contracts.SchemaValuationRequestResponse, []byte(`{"valuationReference":"`+Reference("key-1")+`"}`)); err != nil {
		t.Errorf("reference breaks the contract: %v", err)
	}
}

func TestAPIIsIdempotentOnTheKey(t *testing.T) {
	h, f, _ := newAPI(t)
	_, first := call(t, h, request(t, "12", "key-1"))
	status, again := call(t, h, request(t, "12", "key-1"))
	if status != http.StatusCreated || again["valuationReference"] != first["valuationReference"] {
		t.Fatalf("replay = %d %v; want 201 with %v", status, again, first)
	}
	// Same key, different body: Step Functions says ExecutionAlreadyExists,
	// which also means "already accepted".
	status, other := call(t, h, request(t, "12 mock:late", "key-1"))
	if status != http.StatusCreated || other["valuationReference"] != first["valuationReference"] {
		t.Fatalf("reuse = %d %v", status, other)
	}
	if f.starts != 1 {
		t.Fatalf("%d executions started; want 1", f.starts)
	}
	_, b := call(t, h, request(t, "12", "key-2"))
	if b["valuationReference"] == first["valuationReference"] || f.starts != 2 {
		t.Fatalf("a new key did not start a new valuation")
	}
}

func TestAPIRejectsInvalidRequests(t *testing.T) {
	h, f, _ := newAPI(t)
	req := request(t, "12", "key-1")
	req.Body = `{"property":{"address":{"line1":"x","town":"y","postcode":"nope"}},"callbackUrl":"ftp://x"}`
	status, body := call(t, h, req)
	if status != http.StatusBadRequest {
		t.Fatalf("status = %d", status)
	}
	b, _ := json.Marshal(body["problems"])
	if !strings.Contains(string(b), "property.address.postcode") || !strings.Contains(string(b), "callbackUrl") {
		t.Errorf("problems = %s", b)
	}
	bad := request(t, "12", "key with spaces")
	if status, _ := call(t, h, bad); status != http.StatusBadRequest {
		t.Errorf("bad key: status = %d", status)
	}
	notFound := request(t, "12", "k")
	notFound.RawPath = "/other"
	if status, _ := call(t, h, notFound); status != http.StatusNotFound {
		t.Errorf("other path: status = %d", status)
	}
	get := request(t, "12", "k")
	get.RequestContext.HTTP.Method = http.MethodGet
	if status, _ := call(t, h, get); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: status = %d", status)
	}
	if f.starts != 0 {
		t.Errorf("an invalid request started a valuation")
	}
}

func TestAPIBase64BodyAndMissingKey(t *testing.T) {
	h, f, _ := newAPI(t)
	req := request(t, "12", "")
	req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(req.Body)), true
	if status, _ := call(t, h, req); status != http.StatusCreated || f.starts != 1 {
		t.Fatalf("status = %d, starts = %d", status, f.starts)
	}
}

func TestAPIFaultModes(t *testing.T) {
	h, f, waits := newAPI(t)
	if status, _ := call(t, h, request(t, "Rose Cottage mock:server-error", "k1")); status != http.StatusServiceUnavailable {
		t.Errorf("server-error: status = %d", status)
	}
	if status, _ := call(t, h, request(t, "Rose Cottage mock:server-error", "k1")); status != http.StatusServiceUnavailable {
		t.Errorf("server-error must answer 503 every time: status = %d", status)
	}
	if f.starts != 0 {
		t.Errorf("server-error started a valuation")
	}
	if status, _ := call(t, h, request(t, "12 mock:slow", "k2")); status != http.StatusCreated || len(*waits) != 1 || (*waits)[0] != h.cfg.SlowResponse {
		t.Errorf("slow: status = %d, waits = %v", status, *waits)
	}
	if status, _ := call(t, h, request(t, "12 mock:flaky", "k5")); status != http.StatusServiceUnavailable {
		t.Errorf("flaky first attempt: status = %d", status)
	}
	if status, body := call(t, h, request(t, "12 mock:flaky", "k5")); status != http.StatusCreated || body["valuationReference"] != Reference("k5") {
		t.Errorf("flaky retry: status = %d body = %v", status, body)
	}
	call(t, h, request(t, "12 mock:late", "k3"))
	if in := f.input(t, Reference("k3")); in.Mode != ModeLate || in.DelaySeconds != 600 {
		t.Errorf("late input = %+v", in)
	}
	call(t, h, request(t, "12 MOCK:No-Callback", "k4"))
	if in := f.input(t, Reference("k4")); in.Mode != ModeNoCallback {
		t.Errorf("no-callback input = %+v", in)
	}
}

func TestAPIStartFailureIsA503(t *testing.T) {
	h, f, _ := newAPI(t)
	f.err = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	if status, _ := call(t, h, request(t, "12", "k")); status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d", status)
	}
}

func TestParseModeAndValue(t *testing.T) {
	for name, want := range map[string]Mode{
		"12": ModeNormal, "mock:failed": ModeFailed, "Flat 2 mock:duplicate": ModeDuplicate,
		"mock:unknown-reference": ModeUnknownReference, "mock:forged": ModeForged, "mock:stale": ModeStale,
		"mock:nonsense": ModeNormal, "mockingbird": ModeNormal,
	} {
		if got := ParseMode(name); got != want {
			t.Errorf("ParseMode(%q) = %s; want %s", name, got, want)
		}
	}
	p := contracts.Property{Name: "12", Address: contracts.Address{Line1: "12 Analytical Row", Town: "London", Postcode: "SW1A 1AA"}}
	v := PropertyValue(p)
	if v != PropertyValue(p) || v < 15000000 || v > 89900000 || v%100000 != 0 {
		t.Errorf("value = %d", v)
	}
	p.Name = "12 value=40000000 mock:failed"
	if v := PropertyValue(p); v != 40000000 {
		t.Errorf("pinned value = %d", v)
	}
}

// webhook is a fake webhook that records what it received.
type webhook struct {
	mu     sync.Mutex
	status int
	// statuses are answered first, one per request, before status.
	statuses []int
	got      []received
}

type received struct {
	path, ts, sig, apiKey string
	body                  []byte
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.got = append(w.got, received{r.URL.Path, r.Header.Get(contracts.HeaderSignatureTimestamp), r.Header.Get(contracts.HeaderSignature), r.Header.Get(contracts.HeaderAPIKey), b})
	status := w.status
	if len(w.statuses) > 0 {
		status, w.statuses = w.statuses[0], w.statuses[1:]
	}
	w.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, `{"message":"ok"}`)
}

func newSender(t *testing.T, hook *webhook) (*CallbackSender, string) {
	t.Helper()
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	cfg := testConfig()
	cfg.SigningSecret = secret
	cfg.WebhookAPIKey = "provider-api-key"
	s, err := NewCallbackSender(cfg, SenderDeps{HTTP: srv.Client(), Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv.URL + "/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE"
}

func input(url string, mode Mode) ExecutionInput {
	return ExecutionInput{
		ValuationReference: "VAL-1", CallbackURL: url, Mode: mode,
		Property: contracts.Property{Name: "12 value=32500000", Address: contracts.Address{Line1: "12 Analytical Row", Town: "London", Postcode: "SW1A 1AA"}},
	}
}

func TestSenderSignsAndPosts(t *testing.T) {
	for _, tt := range []struct {
		mode       Mode
		verify     error
		wantStatus string
	}{
		{ModeNormal, nil, contracts.StatusCompleted},
		{ModeDuplicate, nil, contracts.StatusCompleted},
		{ModeFailed, nil, contracts.StatusFailed},
		{ModeForged, signature.ErrForged, contracts.StatusCompleted},
		{ModeStale, signature.ErrStale, contracts.StatusCompleted},
	} {
		t.Run(string(tt.mode), func(t *testing.T) {
			hook := &webhook{}
			s, url := newSender(t, hook)
			out, err := s.Handle(context.Background(), input(url, tt.mode))
			if err != nil || out.StatusCode != http.StatusOK {
				t.Fatalf("Handle = %+v, %v", out, err)
			}
			got := hook.got[0]
			if got.path != "/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE" {
				t.Errorf("path = %s", got.path)
			}
			m := signature.Message{CallbackID: "cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE", Body: got.body}
			if _, err := signature.Verify([][]byte{secret}, got.ts, got.sig, m, now, 5*time.Minute); !errors.Is(err, tt.verify) || (tt.verify == nil && err != nil) {
				t.Errorf("Verify = %v; want %v", err, tt.verify)
			}
			if got.apiKey != "provider-api-key" {
				t.Errorf("x-api-key = %q", got.apiKey)
			}
			var resp contracts.ValuationResponse
			if err := contracts.Decode(contracts.SchemaValuationResponse, got.body, &resp); err != nil {
				t.Fatalf("body breaks the contract: %v", err)
			}
			if resp.Status != tt.wantStatus || resp.ValuationReference != "VAL-1" {
				t.Errorf("response = %+v", resp)
			}
			if tt.wantStatus == contracts.StatusCompleted && resp.PropertyValue != 32500000 {
				t.Errorf("value = %d", resp.PropertyValue)
			}
		})
	}
}

func TestSenderUnknownReferenceCallsARandomID(t *testing.T) {
	hook := &webhook{}
	s, url := newSender(t, hook)
	if _, err := s.Handle(context.Background(), input(url, ModeUnknownReference)); err != nil {
		t.Fatal(err)
	}
	p := hook.got[0].path
	id := strings.TrimPrefix(p, "/prod/valuations/")
	if id == p || len(id) != 43 || strings.HasSuffix(p, "cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE") {
		t.Fatalf("path = %s", p)
	}
}

func TestSenderServerErrorIsACallbackDeliveryError(t *testing.T) {
	hook := &webhook{status: http.StatusBadGateway}
	s, url := newSender(t, hook)
	_, err := s.Handle(context.Background(), input(url, ModeNormal))
	var cde *CallbackDeliveryError
	if !errors.As(err, &cde) || cde.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v", err)
	}
	if n := len(hook.got); n != testConfig().CallbackAttempts {
		t.Fatalf("%d attempts; want %d before giving up to the state machine's retry", n, testConfig().CallbackAttempts)
	}
	// aws-lambda-go names the error type after the pointer's element type:
	// the state machine retries on exactly this name.
	if name := reflect.TypeOf(err).Elem().Name(); name != "CallbackDeliveryError" {
		t.Fatalf("Lambda error type = %s", name)
	}
}

func TestSenderNetworkErrorIsACallbackDeliveryError(t *testing.T) {
	hook := &webhook{}
	s, _ := newSender(t, hook)
	srv := httptest.NewServer(hook)
	dead := srv.URL
	srv.Close()
	_, err := s.Handle(context.Background(), input(dead+"/valuations/cb_x", ModeNormal))
	var cde *CallbackDeliveryError
	if !errors.As(err, &cde) {
		t.Fatalf("err = %v", err)
	}
}

func TestSender4xxIsAResultNotAnError(t *testing.T) {
	hook := &webhook{status: http.StatusBadRequest}
	s, url := newSender(t, hook)
	out, err := s.Handle(context.Background(), input(url, ModeNormal))
	if err != nil || out.StatusCode != http.StatusBadRequest {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
}

// A throttled or failing webhook is tried again with backoff: a real
// callback is not lost to a 429.
func TestSenderRetriesThrottlingAndServerErrors(t *testing.T) {
	hook := &webhook{statuses: []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}}
	s, url := newSender(t, hook)
	var waits []time.Duration
	s.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	out, err := s.Handle(context.Background(), input(url, ModeNormal))
	if err != nil || out.StatusCode != http.StatusOK {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
	if len(hook.got) != 3 || len(waits) != 2 {
		t.Fatalf("%d attempts, %d waits; want 3 and 2", len(hook.got), len(waits))
	}
	for _, w := range waits {
		if w < 0 || w > 5*time.Second {
			t.Errorf("backoff %s", w)
		}
	}
}

func TestAPIRefusesCallbackURLsOutsideItsWebhook(t *testing.T) {
	h, f, _ := newAPI(t)
	for _, u := range []string{
		"https://attacker.example/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE",
		"https://hook.example.com/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE/../../x",
		"https://hook.example.com/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE?next=https://attacker.example",
		"https://hook.example.com.attacker.example/prod/valuations/cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE",
	} {
		req := request(t, "12", "key-1")
		var vr contracts.ValuationRequest
		_ = json.Unmarshal([]byte(req.Body), &vr)
		vr.CallbackURL = u
		b, _ := json.Marshal(vr)
		req.Body = string(b)
		resp, err := h.Handle(context.Background(), req)
		if err != nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "callbackUrl") {
			t.Errorf("%s: %d %s, %v", u, resp.StatusCode, resp.Body, err)
		}
	}
	if f.starts != 0 {
		t.Fatalf("started %d valuations for strangers' URLs", f.starts)
	}
	cfg := testConfig()
	cfg.StateMachineARN = "arn:aws:states:eu-west-2:000000000000:stateMachine:ValuationService"
	if _, err := NewAPIHandler(cfg, APIDeps{Executions: f}); err == nil || !strings.Contains(err.Error(), EnvAllowedCallbackPrefix) {
		t.Fatalf("an API with no allowed callback prefix started: %v", err)
	}
}

func TestSenderNeedsASecret(t *testing.T) {
	if _, err := NewCallbackSender(testConfig(), SenderDeps{}); err == nil || !strings.Contains(err.Error(), EnvSigningSecret) {
		t.Fatalf("err = %v", err)
	}
}

// fullEnv sets every variable the functions read, as the typed config does
// locally.
func fullEnv() map[string]string {
	return map[string]string{
		EnvCallbackDelay:         "5",
		EnvLateDelay:             "6m",
		EnvSlowResponse:          "1s",
		EnvSigningSecretCacheTTL: "5m",
		EnvCallbackAttempts:      "2",
		EnvCallbackTimeout:       "4s",
		EnvLogLevel:              "ERROR",
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := fullEnv()
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.LateDelay != 6*time.Minute || c.CallbackDelay != 5*time.Second || c.SlowResponse != time.Second ||
		c.CallbackAttempts != 2 || c.CallbackTimeout != 4*time.Second || c.LogLevel != "ERROR" {
		t.Fatalf("config = %+v, %v", c, err)
	}
	env[EnvLateDelay] = "bogus"
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvLateDelay) {
		t.Fatalf("err = %v", err)
	}
	// The defaults live in the typed config only: a variable it did not
	// set is an error that names it.
	for name := range fullEnv() {
		env := fullEnv()
		delete(env, name)
		if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), name+": must be set") {
			t.Errorf("without %s: err = %v", name, err)
		}
	}
}
