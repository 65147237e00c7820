package valuationservice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/signature"
	"loanflow/contracts"
)

// CallbackDeliveryError says a callback did not get through (a 5xx or a
// network error). Its type name is the Lambda error type the service's
// state machine retries on: keep it.
type CallbackDeliveryError struct {
	StatusCode int
	Err        error
}

func (e *CallbackDeliveryError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("callback delivery failed with %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("callback delivery failed: %v", e.Err)
}

func (e *CallbackDeliveryError) Unwrap() error { return e.Err }

// SenderOutput is the callback sender's result; the state machine keeps
// $.Payload.statusCode.
type SenderOutput struct {
	StatusCode int `json:"statusCode"`
}

// SenderDeps are the callback sender's collaborators.
type SenderDeps struct {
	HTTP   *http.Client
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// CallbackSender signs and POSTs the valuation to the callback URL.
type CallbackSender struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
	now  func() time.Time
}

// NewCallbackSender checks cfg and returns the sender.
func NewCallbackSender(cfg Config, d SenderDeps) (*CallbackSender, error) {
	if len(cfg.SigningSecret) == 0 {
		return nil, fmt.Errorf("valuation-service callback sender: a signing secret is required (%s or %s)", EnvSigningSecretARN, EnvSigningSecret)
	}
	s := &CallbackSender{cfg: cfg, http: d.HTTP, log: d.Logger, now: d.Now}
	if s.http == nil {
		s.http = &http.Client{Timeout: cfg.CallbackTimeout}
	}
	if s.log == nil {
		s.log = lambdalog.Discard()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// staleBy is how far in the past mock:stale signs.
const staleBy = 24 * time.Hour

// Handle sends one callback. 2xx and 4xx answers are results (a 4xx will
// not improve with retries); 5xx and network errors are a
// *CallbackDeliveryError so the state machine retries.
func (s *CallbackSender) Handle(ctx context.Context, in ExecutionInput) (SenderOutput, error) {
	ctx = lambdalog.With(ctx, slog.String("valuationReference", in.ValuationReference), slog.String("mode", string(in.Mode)))
	target, err := callbackTarget(in)
	if err != nil {
		s.log.ErrorContext(ctx, "bad callback URL; nothing to send", "err", err)
		return SenderOutput{StatusCode: http.StatusBadRequest}, nil
	}
	now := s.now()
	resp := contracts.ValuationResponse{ValuationReference: in.ValuationReference, Status: contracts.StatusCompleted}
	if in.Mode == ModeFailed {
		resp.Status = contracts.StatusFailed
		resp.Failure = &contracts.ValuationFailure{ReasonCode: "ACCESS_REFUSED", Reason: "The surveyor could not get access to the property."}
	} else {
		resp.PropertyValue = PropertyValue(in.Property)
		resp.Currency = "GBP"
		resp.ValuedAt = now.UTC().Format(time.RFC3339)
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return SenderOutput{}, fmt.Errorf("encode valuation response: %w", err)
	}
	key, signedAt := s.cfg.SigningSecret, now
	switch in.Mode {
	case ModeForged:
		key = []byte(randomID())
	case ModeStale:
		signedAt = now.Add(-staleBy)
	}
	ts, sig := signature.Sign(key, signedAt, body)

	ctx2, cancel := context.WithTimeout(ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx2, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return SenderOutput{}, &CallbackDeliveryError{Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contracts.HeaderSignatureTimestamp, ts)
	req.Header.Set(contracts.HeaderSignature, sig)
	req.Header.Set("User-Agent", "loanflow-mock-valuation-service/1")
	res, err := s.http.Do(req)
	if err != nil {
		s.log.WarnContext(ctx, "callback not delivered", "err", err)
		return SenderOutput{}, &CallbackDeliveryError{Err: err}
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode >= 500 {
		s.log.WarnContext(ctx, "callback refused by a server error", "status", res.StatusCode)
		return SenderOutput{}, &CallbackDeliveryError{StatusCode: res.StatusCode, Err: errors.New(strings.TrimSpace(string(excerpt)))}
	}
	level := slog.LevelInfo
	if res.StatusCode >= 400 {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "callback sent", "status", res.StatusCode, "valuationStatus", resp.Status)
	return SenderOutput{StatusCode: res.StatusCode}, nil
}

// callbackTarget is the URL to call: the callback URL, or for
// mock:unknown-reference the same URL with a random callback id.
func callbackTarget(in ExecutionInput) (string, error) {
	u, err := url.Parse(in.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("callback URL %q is not an absolute http(s) URL", in.CallbackURL)
	}
	if in.Mode == ModeUnknownReference {
		i := strings.LastIndex(u.Path, "/")
		u.Path = u.Path[:i+1] + randomID()[:43]
		u.RawPath = ""
	}
	return u.String(), nil
}
