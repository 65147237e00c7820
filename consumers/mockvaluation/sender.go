package mockvaluation

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
	"strconv"
	"strings"
	"time"

	"loanflow/consumers/backoff"
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

// KeySource gives the signing keys, the current one first (the sender signs
// with it); a secrets.Keyring on AWS.
type KeySource interface {
	Keys(ctx context.Context, fresh bool) ([][]byte, error)
}

// SenderDeps are the callback sender's collaborators.
type SenderDeps struct {
	HTTP *http.Client
	// Keys are the signing keys; when nil, Config.SigningSecret is used.
	Keys   KeySource
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Sleep waits between attempts; a context-aware time.Sleep when nil.
	Sleep func(ctx context.Context, d time.Duration) error
}

// CallbackSender signs and POSTs the valuation to the callback URL.
type CallbackSender struct {
	cfg   Config
	http  *http.Client
	keys  KeySource
	log   *slog.Logger
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

type staticKey []byte

func (k staticKey) Keys(context.Context, bool) ([][]byte, error) { return [][]byte{k}, nil }

// NewCallbackSender checks cfg and returns the sender.
func NewCallbackSender(cfg Config, d SenderDeps) (*CallbackSender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	keys := d.Keys
	if keys == nil {
		if len(cfg.SigningSecret) == 0 {
			return nil, fmt.Errorf("valuation-service callback sender: a signing secret is required (%s or %s)", EnvSigningSecretARN, EnvSigningSecret)
		}
		keys = staticKey(cfg.SigningSecret)
	}
	if cfg.WebhookAPIKey == "" {
		return nil, fmt.Errorf("valuation-service callback sender: the webhook's API key is required (%s or %s)", EnvWebhookAPIKeySecretARN, EnvWebhookAPIKey)
	}
	s := &CallbackSender{cfg: cfg, http: d.HTTP, keys: keys, log: d.Logger, now: d.Now, sleep: d.Sleep}
	if s.sleep == nil {
		s.sleep = sleep
	}
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

// Handle sends one callback, signed over the callback id and the body. 429,
// 5xx and network errors are tried again, up to Config.CallbackAttempts,
// with backoff; if they persist they are a *CallbackDeliveryError so the
// state machine retries later. 2xx and other 4xx answers are results (a 4xx
// will not improve with retries).
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
	keys, err := s.keys.Keys(ctx, false)
	if err != nil || len(keys) == 0 {
		return SenderOutput{}, &CallbackDeliveryError{Err: fmt.Errorf("signing key: %w", err)}
	}
	key := keys[0]
	if in.Mode == ModeForged {
		key = []byte(randomID())
	}
	msg := signature.Message{CallbackID: callbackID(target), Body: body}

	var last attemptResult
	var lastErr error
	for attempt := 1; attempt <= s.cfg.CallbackAttempts; attempt++ {
		if attempt > 1 {
			if err := s.sleep(ctx, retryWait(attempt, last.retryAfter)); err != nil {
				break
			}
		}
		signedAt := s.now()
		if in.Mode == ModeStale {
			signedAt = signedAt.Add(-staleBy)
		}
		ts, sig := signature.Sign(signedAt, msg, key)
		last, lastErr = s.post(ctx, target, body, ts, sig)
		if lastErr == nil && !retryable(last.StatusCode) {
			level := slog.LevelInfo
			if last.StatusCode >= 400 {
				level = slog.LevelWarn
			}
			s.log.Log(ctx, level, "callback sent", "status", last.StatusCode, "valuationStatus", resp.Status, "attempt", attempt)
			return last.SenderOutput, nil
		}
		s.log.WarnContext(ctx, "callback not delivered", "status", last.StatusCode, "attempt", attempt, "err", errString(lastErr))
	}
	if lastErr == nil {
		lastErr = errors.New(last.excerpt)
	}
	return SenderOutput{}, &CallbackDeliveryError{StatusCode: last.StatusCode, Err: lastErr}
}

type attemptResult struct {
	SenderOutput
	excerpt    string
	retryAfter time.Duration
}

// post makes one signed POST of body to target.
func (s *CallbackSender) post(ctx context.Context, target string, body []byte, ts, sig string) (attemptResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return attemptResult{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contracts.HeaderSignatureTimestamp, ts)
	req.Header.Set(contracts.HeaderSignature, sig)
	req.Header.Set(contracts.HeaderAPIKey, s.cfg.WebhookAPIKey)
	req.Header.Set("User-Agent", "loanflow-mock-valuation-service/1")
	res, err := s.http.Do(req)
	if err != nil {
		return attemptResult{}, err
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	r := attemptResult{SenderOutput: SenderOutput{StatusCode: res.StatusCode}, excerpt: strings.TrimSpace(string(excerpt))}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 {
		r.retryAfter = time.Duration(secs) * time.Second
	}
	return r, nil
}

// retryable says a status may succeed if sent again: throttling and server
// errors (a network error, status 0, too).
func retryable(status int) bool {
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// retryWait is the wait before attempt (2, 3, ...): full jitter under a cap
// that doubles from 200 ms, at most 5 s, or the server's Retry-After when it
// asks for longer (at most 30 s).
func retryWait(attempt int, retryAfter time.Duration) time.Duration {
	d := backoff.Jitter(attempt-1, 200*time.Millisecond, 5*time.Second)
	return max(d, min(retryAfter, 30*time.Second))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// callbackID is the last segment of the callback URL's path, which the
// signature covers.
func callbackID(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Path[strings.LastIndex(u.Path, "/")+1:]
}

// callbackTarget is the URL to call: the callback URL, or for
// mock:unknown-reference the same URL with a random callback id.
func callbackTarget(in ExecutionInput) (string, error) {
	u, err := url.Parse(in.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("callback URL is not an absolute http(s) URL")
	}
	if in.Mode == ModeUnknownReference {
		i := strings.LastIndex(u.Path, "/")
		u.Path = u.Path[:i+1] + randomID()[:43]
		u.RawPath = ""
	}
	return u.String(), nil
}
