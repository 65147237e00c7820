// Package webhook is the local twin of the webhook REST API: POST
// /valuations/{callbackId}, the body validated against the contract (as API
// Gateway's request validator does with the model derived from the same
// schema), the callback id and the signature headers against the limits of
// the event detail's contract, then published to the event bus exactly as
// the API Gateway events:PutEvents integration's mapping template builds the
// event.
package webhook

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"loanflow/consumers/lambdalog"
	"loanflow/contracts"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/internal/reqbody"
)

// MaxBody is the largest accepted body. The event carries the body twice
// (base64 and parsed) and one EventBridge entry is at most 256 KiB; a
// valuation answer is well under 1 KiB.
const MaxBody = 64 * 1024

// PathPrefix is where the webhook's route starts.
const PathPrefix = "/valuations/"

// Callback id limits, those of the detail contract's callbackId
// (contracts/schemas/valuation-callback-detail.schema.json): the ids this
// stack issues are 43 characters of base64url.
const (
	MinCallbackIDLength = 16
	MaxCallbackIDLength = 128
)

// Publisher publishes events to the bus.
type Publisher interface {
	PutEvents(ctx context.Context, entries []eventbus.Entry) ([]eventbus.Result, int, error)
}

// Handler serves the webhook.
type Handler struct {
	Bus     Publisher
	BusName string
	// APIKeys returns the API keys a caller may present in x-api-key (one
	// per valuation provider); none means every call is refused, as API
	// Gateway does for a method that requires a key.
	APIKeys func() []string
	Log     *slog.Logger
	Now     func() time.Time
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ServeHTTP handles POST /valuations/{callbackId}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	callbackID, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok || callbackID == "" || strings.Contains(callbackID, "/") || r.Method != http.MethodPost {
		// What API Gateway answers for a route or method it does not have.
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Missing Authentication Token"})
		return
	}
	if !h.knownKey(r.Header.Get(contracts.HeaderAPIKey)) {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden"})
		return
	}
	if problem := checkCallbackID(callbackID); problem != "" {
		h.log().InfoContext(r.Context(), "webhook rejected an invalid callback id", "callbackId", lambdalog.ID(callbackID), "problem", problem)
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid request parameters", "errors": []string{problem}})
		return
	}
	if problems := checkSignatureHeaders(r.Header); len(problems) > 0 {
		h.log().InfoContext(r.Context(), "webhook rejected invalid signature headers", "callbackId", lambdalog.ID(callbackID), "problems", problems)
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid request headers", "errors": problems})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"message": "Unsupported Media Type: use application/json"})
		return
	}
	body, err := reqbody.Read(http.MaxBytesReader(w, r.Body, MaxBody), r.ContentLength, MaxBody)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": fmt.Sprintf("Request body is larger than %d bytes", MaxBody)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Could not read the request body"})
		return
	}
	var resp contracts.ValuationResponse
	if err := contracts.Decode(contracts.SchemaValuationResponse, body, &resp); err != nil {
		var ve *contracts.ValidationError
		if errors.As(err, &ve) {
			problems := make([]string, len(ve.Problems))
			for i, p := range ve.Problems {
				problems[i] = p.String()
			}
			h.log().InfoContext(r.Context(), "webhook rejected an invalid body", "callbackId", lambdalog.ID(callbackID), "problems", problems)
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid request body", "errors": problems})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid request body"})
		return
	}
	// The bytes as received go on, base64 encoded: the signature covers
	// them and nothing here re-encodes them (invalid UTF-8 included). The
	// parsed copy in the detail only routes the event. receivedAt is API
	// Gateway's $context.requestTimeEpoch, which the cloud template uses.
	detail := contracts.ValuationCallbackDetail{
		Version:    contracts.CallbackDetailVersion,
		CallbackID: callbackID,
		Signature: contracts.Signature{
			Timestamp: r.Header.Get(contracts.HeaderSignatureTimestamp),
			Value:     r.Header.Get(contracts.HeaderSignature),
		},
		BodyBase64: base64.StdEncoding.EncodeToString(body),
		ReceivedAt: strconv.FormatInt(h.now().UnixMilli(), 10),
		ReceiptID:  requestID(),
		Response:   resp,
	}
	d, err := json.Marshal(detail)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
		return
	}
	res, failed, err := h.Bus.PutEvents(r.Context(), []eventbus.Entry{{
		Source: contracts.EventSource, DetailType: contracts.DetailType(resp.Status), Detail: string(d), EventBusName: h.BusName,
	}})
	if err != nil || failed > 0 {
		msg := "publish failed"
		if err != nil {
			msg = err.Error()
		} else if len(res) > 0 {
			msg = res[0].ErrorCode + ": " + res[0].ErrorMessage
		}
		h.log().ErrorContext(r.Context(), "webhook could not publish the callback", "callbackId", lambdalog.ID(callbackID), "err", msg)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
		return
	}
	writeJSON(w, http.StatusAccepted, accepted{Accepted: true, EventID: res[0].EventID})
}

// accepted is the answer to a published callback.
type accepted struct {
	Accepted bool   `json:"accepted"`
	EventID  string `json:"eventId"`
}

// knownKey says key is one of the providers' API keys (constant time).
func (h *Handler) knownKey(key string) bool {
	if h.APIKeys == nil || key == "" {
		return false
	}
	ok := 0
	for _, k := range h.APIKeys() {
		if k != "" {
			ok |= subtle.ConstantTimeCompare([]byte(k), []byte(key))
		}
	}
	return ok == 1
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// checkCallbackID returns what is wrong with a callback id, naming the
// field and the rule, or "" when it meets the contract. The id is never
// echoed: it is a capability, and may be huge.
func checkCallbackID(id string) string {
	switch n := utf8.RuneCountInString(id); {
	case n > MaxCallbackIDLength:
		return fmt.Sprintf("callbackId: must be at most %d characters, got %d", MaxCallbackIDLength, n)
	case n < MinCallbackIDLength:
		return fmt.Sprintf("callbackId: must be at least %d characters, got %d", MinCallbackIDLength, n)
	}
	i := 0
	for _, c := range id {
		i++
		if !isCallbackIDChar(c) {
			return fmt.Sprintf("callbackId: must contain only A-Z, a-z, 0-9, '-' and '_', got %U at character %d", c, i)
		}
	}
	return ""
}

// isCallbackIDChar reports whether c may appear in a callback id.
func isCallbackIDChar(c rune) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Signature header limits, those of the detail contract's signature.
const (
	maxSignatureTimestampLength = 32
	maxSignatureLength          = 1024
)

// checkSignatureHeaders returns what is wrong with the signature headers
// that would make the published detail break its contract. Their absence
// or a wrong signature is the resolver's to judge.
func checkSignatureHeaders(h http.Header) []string {
	var problems []string
	for _, c := range []struct {
		name string
		max  int
	}{{contracts.HeaderSignatureTimestamp, maxSignatureTimestampLength}, {contracts.HeaderSignature, maxSignatureLength}} {
		if n := utf8.RuneCountInString(h.Get(c.name)); n > c.max {
			problems = append(problems, fmt.Sprintf("%s: must be at most %d characters, got %d", c.name, c.max, n))
		}
	}
	return problems
}

// requestID is a unique id for one webhook request, as API Gateway's
// $context.requestId is.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
