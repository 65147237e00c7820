package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/webhook"
)

type fakeBus struct{ got []events.Entry }

func (f *fakeBus) PutEvents(_ context.Context, es []events.Entry) ([]eventbus.Result, int, error) {
	f.got = append(f.got, es...)
	return []eventbus.Result{{EventID: "e-1"}}, 0, nil
}

func serve(t *testing.T, method, path, body string, hdr map[string]string) (*httptest.ResponseRecorder, *fakeBus) {
	t.Helper()
	bus := &fakeBus{}
	h := &webhook.Handler{Bus: bus, BusName: "loanflow-valuations", Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		APIKeys: func() []string { return []string{"other-provider-key", apiKey} }}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contracts.HeaderAPIKey, apiKey)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, bus
}

const (
	cbID   = "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA"
	apiKey = "provider-api-key-0123456789"
)

func TestValidCallbackIsPublishedAsTheMappingTemplateWould(t *testing.T) {
	body := `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"ACCESS_REFUSED"}}`
	rec, bus := serve(t, http.MethodPost, "/valuations/"+cbID, body, map[string]string{
		contracts.HeaderSignatureTimestamp: "1795600000", contracts.HeaderSignature: "abc123"})
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if len(bus.got) != 1 {
		t.Fatalf("published %d events", len(bus.got))
	}
	e := bus.got[0]
	if e.Source != contracts.EventSource || e.DetailType != contracts.DetailTypeFailed || e.EventBusName != "loanflow-valuations" {
		t.Fatalf("entry: %+v", e)
	}
	var d contracts.ValuationCallbackDetail
	if err := contracts.Decode(contracts.SchemaValuationCallbackDetail, []byte(e.Detail), &d); err != nil {
		t.Fatalf("detail breaks its contract: %v", err)
	}
	if ms, err := strconv.ParseInt(d.ReceivedAt, 10, 64); err != nil || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
		t.Errorf("receivedAt %q is not now in Unix milliseconds ($context.requestTimeEpoch): %v", d.ReceivedAt, err)
	}
	if raw, err := base64.StdEncoding.DecodeString(d.BodyBase64); err != nil || string(raw) != body || d.ReceiptID == "" || d.CallbackID != cbID || d.Signature.Timestamp != "1795600000" || d.Signature.Value != "abc123" || d.Response.Failure.ReasonCode != "ACCESS_REFUSED" {
		t.Fatalf("detail: %+v", d)
	}
}

func TestInvalidBodyIs400NamingTheFieldAndNothingIsPublished(t *testing.T) {
	for body, want := range map[string]string{
		`{"valuationReference":"VAL-1","status":"COMPLETED","currency":"GBP"}`:                    "propertyValue: is required",
		`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":-5,"currency":"GBP"}`: "propertyValue: must be > 0",
		`not json`: "(body): must be valid JSON",
	} {
		rec, bus := serve(t, http.MethodPost, "/valuations/"+cbID, body, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: status %d body %s, want 400 with %q", body, rec.Code, rec.Body, want)
		}
		if len(bus.got) != 0 {
			t.Errorf("%s: published %d events", body, len(bus.got))
		}
	}
}

func TestUnknownRouteAndOversizeBody(t *testing.T) {
	rec, _ := serve(t, http.MethodGet, "/valuations/"+cbID, "", nil)
	if rec.Code != http.StatusForbidden {
		t.Errorf("GET: %d", rec.Code)
	}
	rec, _ = serve(t, http.MethodPost, "/valuations/", "{}", nil)
	if rec.Code != http.StatusForbidden {
		t.Errorf("no callback id: %d", rec.Code)
	}
	big := `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER","reason":"` + strings.Repeat("x", webhook.MaxBody) + `"}}`
	rec, bus := serve(t, http.MethodPost, "/valuations/"+cbID, big, nil)
	if rec.Code != http.StatusRequestEntityTooLarge || len(bus.got) != 0 {
		t.Errorf("oversize: %d, published %d", rec.Code, len(bus.got))
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Errorf("error body is not JSON: %s", rec.Body)
	}
}

// The bytes the signature covers are forwarded as received, even when they
// are not UTF-8 (issue 13: they were re-encoded and the callback rejected
// as forged).
func TestBodyBytesAreForwardedExactlyEvenWhenNotUTF8(t *testing.T) {
	body := "{\"valuationReference\":\"VAL-1\",\"status\":\"FAILED\",\"failure\":{\"reasonCode\":\"ACCESS_REFUSED\",\"reason\":\"Caf\xe9 \xff\"}}"
	rec, bus := serve(t, http.MethodPost, "/valuations/"+cbID, body, nil)
	if rec.Code != http.StatusAccepted || len(bus.got) != 1 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var d contracts.ValuationCallbackDetail
	if err := json.Unmarshal([]byte(bus.got[0].Detail), &d); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(d.BodyBase64)
	if err != nil || !bytes.Equal(raw, []byte(body)) {
		t.Fatalf("forwarded %q, received %q", raw, body)
	}
}

func TestCallersWithoutAKnownAPIKeyAreRefusedAtTheDoor(t *testing.T) {
	body := `{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":5,"currency":"GBP"}`
	for name, key := range map[string]string{"none": "", "wrong": "guess", "prefix": apiKey[:10]} {
		bus := &fakeBus{}
		h := &webhook.Handler{Bus: bus, BusName: "b", Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			APIKeys: func() []string { return []string{apiKey} }}
		req := httptest.NewRequest(http.MethodPost, "/valuations/"+cbID, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set(contracts.HeaderAPIKey, key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || len(bus.got) != 0 || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s key: %d %s, %d published", name, rec.Code, rec.Body, len(bus.got))
		}
	}
}
