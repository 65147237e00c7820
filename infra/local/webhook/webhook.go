// Package webhook is the local twin of the webhook REST API: POST
// /valuations/{callbackId}, the body validated against the contract (as API
// Gateway's request validator does with the model derived from the same
// schema), then published to the event bus exactly as the API Gateway
// events:PutEvents integration's mapping template builds the event.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/local/eventbus"
)

// MaxBody is the largest accepted body: one EventBridge entry is at most 256 KiB.
const MaxBody = 200 * 1024

// RequestTimeLayout is the layout of API Gateway's $context.requestTime.
const RequestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// PathPrefix is where the webhook's route starts.
const PathPrefix = "/valuations/"

// Publisher publishes events to the bus.
type Publisher interface {
	PutEvents(ctx context.Context, entries []events.Entry) ([]eventbus.Result, int, error)
}

// Handler serves the webhook.
type Handler struct {
	Bus     Publisher
	BusName string
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
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"message": "Unsupported Media Type: use application/json"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
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
			h.log().Info("webhook rejected an invalid body", "callback_id", shorten(callbackID), "problems", problems)
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Invalid request body", "errors": problems})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid request body"})
		return
	}
	var parsed json.RawMessage = body
	detail := struct {
		Version    string              `json:"version"`
		CallbackID string              `json:"callbackId"`
		Signature  contracts.Signature `json:"signature"`
		Body       string              `json:"body"`
		ReceivedAt string              `json:"receivedAt"`
		Response   json.RawMessage     `json:"response"`
	}{
		Version:    "1",
		CallbackID: callbackID,
		Signature: contracts.Signature{
			Timestamp: r.Header.Get(contracts.HeaderSignatureTimestamp),
			Value:     r.Header.Get(contracts.HeaderSignature),
		},
		Body: string(body),
		// API Gateway's $context.requestTime, which the cloud mapping template uses.
		ReceivedAt: h.now().UTC().Format(RequestTimeLayout),
		Response:   parsed,
	}
	d, err := json.Marshal(detail)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
		return
	}
	res, failed, err := h.Bus.PutEvents(r.Context(), []events.Entry{{
		Source: contracts.EventSource, DetailType: contracts.DetailType(resp.Status), Detail: string(d), EventBusName: h.BusName,
	}})
	if err != nil || failed > 0 {
		msg := "publish failed"
		if err != nil {
			msg = err.Error()
		} else if len(res) > 0 {
			msg = res[0].ErrorCode + ": " + res[0].ErrorMessage
		}
		h.log().Error("webhook could not publish the callback", "callback_id", shorten(callbackID), "error", msg)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal server error"})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"accepted": true, "eventId": res[0].EventID})
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// shorten keeps a callback id recognisable in logs without writing the capability whole.
func shorten(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}
