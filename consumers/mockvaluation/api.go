// Package mockvaluation is a stand-in for the real external Valuation
// Service, which belongs to a valuation provider and is not part of this
// project: it lets the loan processor be deployed, demonstrated and tested
// end to end without one. It is two Lambda functions, deployed in a stack of
// their own (or served by the local stack) and never alongside a real
// service: an API that accepts POST /valuations and starts the mock's own
// state machine (wait as a surveyor would, then call back), and the callback
// sender that the state machine invokes to sign and POST the valuation to the
// loan processor's webhook. Fault modes are chosen by a marker in the
// property's name (see Mode).
package mockvaluation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"loanflow/consumers/lambdalog"
	"loanflow/contracts"
)

// ExecutionStarter is the part of *sfn.Client the API uses.
type ExecutionStarter interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// ExecutionInput is the input of the service's state machine, which passes
// it whole to the callback sender. The ASL reads $.mode and $.delaySeconds.
type ExecutionInput struct {
	ValuationReference string             `json:"valuationReference"`
	CallbackURL        string             `json:"callbackUrl"`
	Property           contracts.Property `json:"property"`
	Mode               Mode               `json:"mode"`
	DelaySeconds       int64              `json:"delaySeconds"`
}

// PrefixSource gives the only URL prefix the service calls back under: this
// stack's own webhook. On AWS it is read from an SSM parameter.
type PrefixSource interface {
	CallbackPrefix(ctx context.Context) (string, error)
}

// StaticPrefix is a prefix fixed at start.
type StaticPrefix string

// CallbackPrefix implements PrefixSource.
func (p StaticPrefix) CallbackPrefix(context.Context) (string, error) { return string(p), nil }

// APIDeps are the API handler's collaborators.
type APIDeps struct {
	Executions ExecutionStarter
	// Callbacks is the allowed callback URL prefix; when nil,
	// Config.AllowedCallbackPrefix.
	Callbacks PrefixSource
	Logger    *slog.Logger
}

// APIHandler serves POST /valuations.
type APIHandler struct {
	cfg       Config
	sfn       ExecutionStarter
	callbacks PrefixSource
	log       *slog.Logger
	wait      func(ctx context.Context, d time.Duration) error
	// seen holds the idempotency keys a mock:flaky request has failed once.
	seen sync.Map
}

// NewAPIHandler checks cfg and deps and returns the handler.
func NewAPIHandler(cfg Config, d APIDeps) (*APIHandler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.StateMachineARN == "" {
		return nil, fmt.Errorf("valuation-service api: %s must be set", EnvStateMachineARN)
	}
	if d.Executions == nil {
		return nil, errors.New("valuation-service api: Executions is required")
	}
	callbacks := d.Callbacks
	if callbacks == nil {
		if cfg.AllowedCallbackPrefix == "" {
			return nil, fmt.Errorf("valuation-service api: %s or %s must be set: the service calls back only under this stack's webhook", EnvAllowedCallbackPrefix, EnvAllowedCallbackParameter)
		}
		callbacks = StaticPrefix(cfg.AllowedCallbackPrefix)
	}
	h := &APIHandler{cfg: cfg, sfn: d.Executions, callbacks: callbacks, log: d.Logger, wait: sleep}
	if h.log == nil {
		h.log = lambdalog.Discard()
	}
	return h, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var idempotencyKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\x21-\x7e]{1,255}$`) })

// Reference derives the valuation reference from an idempotency key, so the
// same key always names the same valuation.
func Reference(key string) string {
	sum := sha256.Sum256([]byte("loanflow/valuation-ref/v1\x00" + key))
	return "VAL-" + hex.EncodeToString(sum[:10])
}

// Handle implements the API.
func (h *APIHandler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	if !strings.HasSuffix(strings.TrimRight(path, "/"), "/valuations") {
		return problem(http.StatusNotFound, "no such resource: "+path, nil), nil
	}
	if method != http.MethodPost {
		r := problem(http.StatusMethodNotAllowed, "use POST", nil)
		r.Headers["Allow"] = http.MethodPost
		return r, nil
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return problem(http.StatusBadRequest, "body is not valid base64", nil), nil
		}
		body = b
	}
	var vr contracts.ValuationRequest
	if err := contracts.Decode(contracts.SchemaValuationRequest, body, &vr); err != nil {
		var ve *contracts.ValidationError
		if errors.As(err, &ve) {
			h.log.InfoContext(ctx, "invalid valuation request", "problems", ve.Problems)
			return problem(http.StatusBadRequest, "invalid valuation request", ve.Problems), nil
		}
		h.log.ErrorContext(ctx, "cannot validate the request", "err", err)
		return problem(http.StatusInternalServerError, "cannot validate the request", nil), nil
	}
	prefix, err := h.callbacks.CallbackPrefix(ctx)
	if err != nil || prefix == "" {
		h.log.ErrorContext(ctx, "cannot read the allowed callback URL prefix", "err", errString(err))
		return problem(http.StatusServiceUnavailable, "cannot check the callback URL, try again", nil), nil
	}
	if !allowedCallback(vr.CallbackURL, prefix) {
		h.log.WarnContext(ctx, "refused a callback URL outside this stack's webhook")
		return problem(http.StatusBadRequest, "invalid valuation request", []contracts.Problem{{
			Field: "callbackUrl", Rule: "must be " + prefix + "<callbackId>: this service calls back only to its own webhook"}}), nil
	}
	key := header(req.Headers, contracts.HeaderIdempotencyKey)
	if key == "" {
		key = randomID()
	} else if !idempotencyKey().MatchString(key) {
		return problem(http.StatusBadRequest, contracts.HeaderIdempotencyKey+" must be 1-255 visible ASCII characters", nil), nil
	}
	mode := ParseMode(vr.Property.Name)
	ref := Reference(key)
	ctx = lambdalog.With(ctx, slog.String("valuationReference", ref), slog.String("mode", string(mode)))

	switch mode {
	case ModeServerError:
		h.log.InfoContext(ctx, "answering 503 as asked")
		return problem(http.StatusServiceUnavailable, "valuation service unavailable (mock:server-error)", nil), nil
	case ModeFlaky:
		if _, again := h.seen.LoadOrStore(key, true); !again {
			h.log.InfoContext(ctx, "answering 503 to the first attempt as asked")
			return problem(http.StatusServiceUnavailable, "valuation service unavailable (mock:flaky, first attempt)", nil), nil
		}
	case ModeSlow:
		if err := h.wait(ctx, h.cfg.SlowResponse); err != nil {
			return problem(http.StatusServiceUnavailable, "gave up while being slow", nil), nil
		}
	}

	delay := h.cfg.CallbackDelay
	if mode == ModeLate {
		delay = h.cfg.LateDelay
	}
	input, err := json.Marshal(ExecutionInput{
		ValuationReference: ref, CallbackURL: vr.CallbackURL, Property: vr.Property,
		Mode: mode, DelaySeconds: int64(delay / time.Second),
	})
	if err != nil {
		return problem(http.StatusInternalServerError, "cannot encode the execution input", nil), nil
	}
	// The execution name is the reference: Step Functions itself refuses a
	// second execution of that name, which makes the key idempotent.
	out, err := h.sfn.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: &h.cfg.StateMachineARN,
		Name:            &ref,
		Input:           ptr(string(input)),
	})
	var ae smithy.APIError
	switch {
	case err == nil:
		h.log.InfoContext(ctx, "valuation accepted", "executionArn", deref(out.ExecutionArn), "delaySeconds", int64(delay/time.Second))
	case errors.As(err, &ae) && ae.ErrorCode() == "ExecutionAlreadyExists":
		h.log.InfoContext(ctx, "valuation already accepted for this idempotency key")
	default:
		h.log.ErrorContext(ctx, "cannot start the valuation", "err", err)
		return problem(http.StatusServiceUnavailable, "cannot start the valuation, try again", nil), nil
	}
	return jsonResponse(http.StatusCreated, contracts.ValuationRequestResponse{ValuationReference: ref}), nil
}

// allowedCallback says u is prefix followed by one path segment of
// callback-id characters, and nothing else (no query, fragment or dot
// segment that would lead elsewhere).
func allowedCallback(u, prefix string) bool {
	id, ok := strings.CutPrefix(u, prefix)
	return ok && callbackIDChars().MatchString(id)
}

var callbackIDChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`) })

func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return strings.TrimSpace(v)
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

type problemBody struct {
	Message  string              `json:"message"`
	Problems []contracts.Problem `json:"problems,omitempty"`
}

func problem(status int, msg string, problems []contracts.Problem) events.APIGatewayV2HTTPResponse {
	return jsonResponse(status, problemBody{Message: msg, Problems: problems})
}

func jsonResponse(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"cannot encode the response"}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

// randomID is 32 random bytes, base64url: a key or callback id nobody knows.
func randomID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
