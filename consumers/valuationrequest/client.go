package valuationrequest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"loanflow/consumers/backoff"
	"loanflow/contracts"
)

// NewHTTPClient returns the client main builds once: connection reuse,
// bounded dial, TLS and header timeouts, and cfg.RequestTimeout overall.
func NewHTTPClient(cfg Config) *http.Client {
	return &http.Client{
		Timeout: cfg.RequestTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   3 * time.Second,
			ResponseHeaderTimeout: cfg.RequestTimeout,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// rejectedError is a permanent answer from the service (a 4xx other than
// 408, 409, 425 and 429): asking again cannot succeed.
type rejectedError struct {
	Status  int
	Excerpt string
}

func (e *rejectedError) Error() string {
	return fmt.Sprintf("valuation service rejected the request with %d %s: %s",
		e.Status, http.StatusText(e.Status), e.Excerpt)
}

// unavailableError is a transient failure: a 5xx, a retryable 4xx, a timeout
// or a network error.
type unavailableError struct {
	Status int // 0 when no response arrived
	Err    error
}

func (e *unavailableError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("valuation service answered %d %s: %v", e.Status, http.StatusText(e.Status), e.Err)
	}
	return fmt.Sprintf("valuation service unreachable: %v", e.Err)
}

func (e *unavailableError) Unwrap() error { return e.Err }

// deadlineReserve is the time kept back from the invocation's deadline for
// the work after the HTTP call (recording the reference, failing the task).
const deadlineReserve = 750 * time.Millisecond

// requestValuation POSTs body with the idempotency key, retrying transient
// failures up to cfg.RequestAttempts times with full-jitter backoff, within
// ctx's deadline. It returns the valuation reference ("" when the service
// accepted but its body was unreadable), a *rejectedError, or an
// *unavailableError.
func (h *Handler) requestValuation(ctx context.Context, key string, body []byte) (ref string, attempts int, err error) {
	var last error
	for attempt := range h.cfg.RequestAttempts {
		if attempt > 0 {
			wait := backoff.Jitter(attempt, h.cfg.BaseBackoff, 5*time.Second)
			if !h.fits(ctx, wait) {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return "", attempt, &unavailableError{Err: fmt.Errorf("gave up waiting to retry: %w (last: %v)", ctx.Err(), last)}
			case <-t.C:
			}
		}
		attempts = attempt + 1
		ref, err = h.post(ctx, key, body)
		var rej *rejectedError
		if err == nil || errors.As(err, &rej) {
			return ref, attempts, err
		}
		last = err
		h.log.DebugContext(ctx, "valuation request attempt failed", "attempt", attempts, "err", err)
	}
	return "", attempts, last
}

// fits reports whether waiting wait and then one more attempt leaves the
// deadline reserve.
func (h *Handler) fits(ctx context.Context, wait time.Duration) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return true
	}
	return time.Until(dl)-wait-deadlineReserve >= min(h.cfg.RequestTimeout, 250*time.Millisecond)
}

func (h *Handler) post(ctx context.Context, key string, body []byte) (string, error) {
	timeout := h.cfg.RequestTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)-deadlineReserve)
		if timeout <= 0 {
			return "", &unavailableError{Err: errors.New("no time left before the invocation's deadline")}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.ValuationServiceURL, bytes.NewReader(body))
	if err != nil {
		return "", &rejectedError{Excerpt: "cannot build request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(contracts.HeaderIdempotencyKey, key)
	req.Header.Set("User-Agent", "loanflow-valuation-request/1")
	resp, err := h.http.Do(req)
	if err != nil {
		return "", &unavailableError{Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode < 300 {
		return "", &unavailableError{Status: resp.StatusCode, Err: fmt.Errorf("read body: %w", err)}
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		var out contracts.ValuationRequestResponse
		if err := contracts.Decode(contracts.SchemaValuationRequestResponse, raw, &out); err != nil {
			h.log.WarnContext(ctx, "valuation service accepted the request but its body breaks the contract",
				"status", s, "err", err, "body", excerpt(raw))
			return "", nil
		}
		return out.ValuationReference, nil
	case s == http.StatusRequestTimeout, s == http.StatusConflict, s == http.StatusTooEarly, s == http.StatusTooManyRequests, s >= 500:
		return "", &unavailableError{Status: s, Err: errors.New(excerpt(raw))}
	default:
		return "", &rejectedError{Status: s, Excerpt: excerpt(raw)}
	}
}

// excerpt is the first 512 bytes of a body, on one line.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 512 {
		s = strings.ToValidUTF8(s[:512], "") + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
