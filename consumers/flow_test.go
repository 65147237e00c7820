package consumers_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/contracts"
)

var secret = []byte("shared-webhook-secret")

// processor is a fake of the loan processor's Step Functions side: it
// records how each task token was completed.
type processor struct {
	mu      sync.Mutex
	outcome map[string][]string
}

func (p *processor) add(token, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outcome == nil {
		p.outcome = map[string][]string{}
	}
	p.outcome[token] = append(p.outcome[token], what)
}

func (p *processor) get(token string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.outcome[token]...)
}

func (p *processor) SendTaskSuccess(_ context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	var r contracts.ValuationResult
	if err := contracts.Decode(contracts.SchemaValuationResult, []byte(*in.Output), &r); err != nil {
		return nil, err
	}
	p.add(*in.TaskToken, fmt.Sprintf("success ltv=%d", r.LoanToValueBps))
	return &sfn.SendTaskSuccessOutput{}, nil
}

func (p *processor) SendTaskFailure(_ context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	p.add(*in.TaskToken, "failure "+*in.Error)
	return &sfn.SendTaskFailureOutput{}, nil
}

// serviceMachine stands in for the mock service's state machine: it keeps
// each execution's input; the test plays the states.
type serviceMachine struct {
	mu     sync.Mutex
	inputs []mockvaluation.ExecutionInput
}

func (m *serviceMachine) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	var ei mockvaluation.ExecutionInput
	if err := json.Unmarshal([]byte(*in.Input), &ei); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.inputs = append(m.inputs, ei)
	m.mu.Unlock()
	return &sfn.StartExecutionOutput{ExecutionArn: in.Name}, nil
}

func (m *serviceMachine) take() []mockvaluation.ExecutionInput {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.inputs
	m.inputs = nil
	return out
}

type world struct {
	store    *tokenstore.MemoryStore
	proc     *processor
	machine  *serviceMachine
	metrics  *valuationcallback.Tally
	consumer *valuationrequest.Handler
	sender   *mockvaluation.CallbackSender
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{store: tokenstore.NewMemoryStore(), proc: &processor{}, machine: &serviceMachine{}, metrics: &valuationcallback.Tally{}}
	scfg := mockvaluation.Config{
		StateMachineARN:  "arn:aws:states:eu-west-2:000000000000:stateMachine:ValuationService",
		CallbackDelay:    30 * time.Second,
		LateDelay:        25 * time.Hour,
		SlowResponse:     3 * time.Second,
		SigningSecret:    secret,
		SecretCacheTTL:   5 * time.Minute,
		WebhookAPIKey:    "provider-api-key",
		CallbackAttempts: 3,
		CallbackTimeout:  10 * time.Second,
		LogLevel:         "INFO",
	}
	hookPrefix := &lateBoundPrefix{}
	api, err := mockvaluation.NewAPIHandler(scfg, mockvaluation.APIDeps{Executions: w.machine, Callbacks: hookPrefix})
	if err != nil {
		t.Fatal(err)
	}
	// The mock service's HTTP API, as API Gateway would invoke it.
	apiSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := events.APIGatewayV2HTTPRequest{RawPath: r.URL.Path, Body: string(body), Headers: map[string]string{}}
		req.RequestContext.HTTP.Method = r.Method
		for k := range r.Header {
			req.Headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		resp, err := api.Handle(r.Context(), req)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(rw, resp.Body)
	}))
	t.Cleanup(apiSrv.Close)

	resolver, err := valuationcallback.NewHandler(
		valuationcallback.Config{SigningSecret: secret, SignatureTolerance: time.Minute},
		valuationcallback.Deps{Store: w.store, Tasks: w.proc, Metrics: w.metrics})
	if err != nil {
		t.Fatal(err)
	}
	// The webhook: API Gateway's mapping template and PutEvents, then the
	// rule invoking the resolver.
	var eventSeq, receipts atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(contracts.HeaderAPIKey) != "provider-api-key" {
			http.Error(rw, `{"message":"Forbidden"}`, http.StatusForbidden)
			return
		}
		var resp contracts.ValuationResponse
		if err := contracts.Decode(contracts.SchemaValuationResponse, body, &resp); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		detail, _ := json.Marshal(contracts.ValuationCallbackDetail{
			Version:    contracts.CallbackDetailVersion,
			CallbackID: strings.TrimPrefix(r.URL.Path, "/prod/valuations/"),
			Signature:  contracts.Signature{Timestamp: r.Header.Get(contracts.HeaderSignatureTimestamp), Value: r.Header.Get(contracts.HeaderSignature)},
			BodyBase64: base64.StdEncoding.EncodeToString(body),
			ReceivedAt: strconv.FormatInt(time.Now().UnixMilli(), 10),
			ReceiptID:  fmt.Sprintf("req-%d", receipts.Add(1)),
			Response:   resp,
		})
		ev := events.CloudWatchEvent{ID: fmt.Sprintf("evt-%d", eventSeq.Add(1)), Source: contracts.EventSource,
			DetailType: contracts.DetailType(resp.Status), Detail: detail}
		if err := resolver.Handle(r.Context(), ev); err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(rw, `{}`)
	}))
	t.Cleanup(hook.Close)

	rcfg := valuationrequest.Config{
		TableName:           "tokens",
		ValuationServiceURL: apiSrv.URL + "/valuations",
		WebhookBaseURL:      hook.URL + "/prod",
		CallbackTimeout:     24 * time.Hour,
		TokenGrace:          7 * 24 * time.Hour,
		MaxReceiveCount:     2,
		RequestTimeout:      5 * time.Second,
		RequestAttempts:     3,
		BaseBackoff:         time.Millisecond,
		BatchConcurrency:    10,
		ServiceAuth:         valuationrequest.AuthNone,
		LogLevel:            "INFO",
	}
	hookPrefix.prefix.Store(rcfg.WebhookBaseURL + "/valuations/")
	if w.consumer, err = valuationrequest.NewHandler(rcfg, valuationrequest.Deps{Store: w.store, Tasks: w.proc}); err != nil {
		t.Fatal(err)
	}
	if w.sender, err = mockvaluation.NewCallbackSender(scfg, mockvaluation.SenderDeps{}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) request(t *testing.T, token, propertyName string, receive int) []events.SQSBatchItemFailure {
	t.Helper()
	body, _ := json.Marshal(contracts.ValuationRequestMessage{
		Version: 1, TaskToken: token, RequestedAt: time.Now().UTC().Format(time.RFC3339),
		ExecutionID: "arn:aws:states:eu-west-2:000000000000:execution:LoanProcessor:" + token,
		LoanApplication: contracts.LoanApplication{
			ApplicationID: token, Applicant: contracts.Applicant{Name: "Ada", Email: "ada@example.com"},
			Property:   contracts.Property{Name: propertyName, Address: contracts.Address{Line1: "1 Lane", Town: "Bath", Postcode: "BA1 1AA"}},
			LoanAmount: 30000000, Currency: "GBP", TermMonths: 300,
		},
	})
	resp, err := w.consumer.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: "m-" + token, Body: string(body), Attributes: map[string]string{"ApproximateReceiveCount": fmt.Sprint(receive)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.BatchItemFailures
}

// survey plays the service's state machine for every started execution.
func (w *world) survey(t *testing.T) {
	t.Helper()
	for _, in := range w.machine.take() {
		if in.Mode == mockvaluation.ModeNoCallback {
			continue
		}
		sends := 1
		if in.Mode == mockvaluation.ModeDuplicate {
			sends = 2
		}
		for range sends {
			if _, err := w.sender.Handle(context.Background(), in); err != nil {
				t.Fatalf("callback sender: %v", err)
			}
		}
	}
}

func TestEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		marker string
		want   []string
		metric string
	}{
		{"happy", "12 value=40000000", []string{"success ltv=7500"}, valuationcallback.CallbacksResolved},
		{"failed valuation", "12 mock:failed", []string{"failure ValuationFailed"}, valuationcallback.CallbacksFailed},
		{"duplicate callback", "12 mock:duplicate value=40000000", []string{"success ltv=7500"}, valuationcallback.CallbacksDuplicate},
		{"unknown reference", "12 mock:unknown-reference", nil, valuationcallback.CallbacksUnknown},
		{"forged", "12 mock:forged", nil, valuationcallback.CallbacksRejected},
		{"stale", "12 mock:stale", nil, valuationcallback.CallbacksRejected},
		{"no callback", "12 mock:no-callback", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			token := "token-" + strings.ReplaceAll(tt.name, " ", "-")
			if f := w.request(t, token, tt.marker, 1); len(f) != 0 {
				t.Fatalf("batch failures: %v", f)
			}
			// A redelivery of the same message must not order a second valuation.
			if f := w.request(t, token, tt.marker, 2); len(f) != 0 {
				t.Fatalf("redelivery failures: %v", f)
			}
			w.survey(t)
			if got := w.proc.get(token); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("execution got %v; want %v", got, tt.want)
			}
			if tt.metric != "" && w.metrics.Get(tt.metric) != 1 {
				t.Errorf("metrics = %v; want %s once", w.metrics.Snapshot(), tt.metric)
			}
		})
	}
}

func TestEndToEndServiceDown(t *testing.T) {
	w := newWorld(t)
	if f := w.request(t, "token-down", "mock:server-error", 1); len(f) != 1 {
		t.Fatalf("first receive: failures %v", f)
	}
	if got := w.proc.get("token-down"); len(got) != 0 {
		t.Fatalf("failed before the last receive: %v", got)
	}
	if f := w.request(t, "token-down", "mock:server-error", 2); len(f) != 1 {
		t.Fatalf("last receive: failures %v", f)
	}
	if got := w.proc.get("token-down"); fmt.Sprint(got) != "[failure ValuationServiceUnavailable]" {
		t.Fatalf("execution got %v", got)
	}
}

// lateBoundPrefix is the webhook's prefix, known once the webhook serves.
type lateBoundPrefix struct{ prefix atomic.Value }

func (p *lateBoundPrefix) CallbackPrefix(context.Context) (string, error) {
	v, _ := p.prefix.Load().(string)
	return v, nil
}
