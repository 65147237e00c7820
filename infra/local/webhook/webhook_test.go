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
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/contracts"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/webhook"
)

type fakeBus struct{ got []eventbus.Entry }

// PutEvents refuses an entry over the bus's size limit, as the bus does.
func (f *fakeBus) PutEvents(_ context.Context, es []eventbus.Entry) ([]eventbus.Result, int, error) {
	for _, e := range es {
		if len(e.Source)+len(e.DetailType)+len(e.Detail) > eventbus.MaxEntrySize {
			return []eventbus.Result{{ErrorCode: "EntrySizeExceeded", ErrorMessage: "too large"}}, 1, nil
		}
	}
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
	if rec.Code != http.StatusAccepted || rec.Body.String() != `{"accepted":true,"eventId":"e-1"}`+"\n" {
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
		`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":100.0,"currency":"GBP"}`: "propertyValue: must be an integer",
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

// A callback id that breaks the contract is refused at the door with a 400
// naming the field and the rule (issue 14: a 1 MB id was a 500), without
// echoing the id; the webhook accepts exactly the ids the contract does.
func TestCallbackIDOutsideTheContractIs400(t *testing.T) {
	body := `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER"}}`
	for name, tc := range map[string]struct{ id, want string }{
		"1 MB":      {strings.Repeat("A", 1<<20), "callbackId: must be at most 128 characters, got 1048576"},
		"129":       {strings.Repeat("A", 129), "callbackId: must be at most 128 characters, got 129"},
		"15":        {strings.Repeat("A", 15), "callbackId: must be at least 16 characters, got 15"},
		"dot":       {cbID[:20] + "." + cbID[21:], "callbackId: must contain only A-Z, a-z, 0-9, '-' and '_', got U+002E at character 21"},
		"space":     {cbID + " x", "callbackId: must contain only A-Z, a-z, 0-9, '-' and '_', got U+0020 at character 36"},
		"not ASCII": {cbID + "é", "callbackId: must contain only A-Z, a-z, 0-9, '-' and '_', got U+00E9 at character 36"},
	} {
		rec, bus := serve(t, http.MethodPost, "/valuations/"+url.PathEscape(tc.id), body, nil)
		var got struct {
			Message string   `json:"message"`
			Errors  []string `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Errorf("%s: body is not JSON: %.200s", name, rec.Body)
		}
		if rec.Code != http.StatusBadRequest || len(got.Errors) != 1 || got.Errors[0] != tc.want {
			t.Errorf("%s: status %d, body %.300s; want 400 with %q", name, rec.Code, rec.Body, tc.want)
		}
		if len(bus.got) != 0 {
			t.Errorf("%s: published %d events", name, len(bus.got))
		}
		if rec.Body.Len() > 1024 {
			t.Errorf("%s: the answer is %d bytes: it echoes the id", name, rec.Body.Len())
		}
	}
	for _, n := range []int{15, 16, 43, 128, 129} {
		for _, id := range []string{strings.Repeat("a", n), strings.Repeat("_", n-1) + "."} {
			rec, _ := serve(t, http.MethodPost, "/valuations/"+id, body, nil)
			detail, _ := json.Marshal(contracts.ValuationCallbackDetail{Version: contracts.CallbackDetailVersion, CallbackID: id,
				BodyBase64: base64.StdEncoding.EncodeToString([]byte(body)), ReceivedAt: "1", ReceiptID: "r",
				Response: contracts.ValuationResponse{ValuationReference: "VAL-1", Status: contracts.StatusFailed,
					Failure: &contracts.ValuationFailure{ReasonCode: "OTHER"}}})
			contractOK := contracts.Validate(contracts.SchemaValuationCallbackDetail, detail) == nil
			if accepted := rec.Code == http.StatusAccepted; accepted != contractOK {
				t.Errorf("id of %d characters %q...: webhook %d, contract accepts: %v", n, id[:3], rec.Code, contractOK)
			}
		}
	}
}

// Signature headers too long for the detail contract are refused at the
// door too, naming the header: published, the detail would break its
// contract (or, past the bus's entry limit, fail to publish: a 500).
func TestOversizeSignatureHeadersAre400(t *testing.T) {
	body := `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER"}}`
	for hdr, want := range map[string]string{
		contracts.HeaderSignature:          contracts.HeaderSignature + ": must be at most 1024 characters, got 300000",
		contracts.HeaderSignatureTimestamp: contracts.HeaderSignatureTimestamp + ": must be at most 32 characters, got 300000",
	} {
		rec, bus := serve(t, http.MethodPost, "/valuations/"+cbID, body, map[string]string{hdr: strings.Repeat("1", 300000)})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), want) || len(bus.got) != 0 {
			t.Errorf("%s: status %d body %.300s, %d published; want 400 with %q", hdr, rec.Code, rec.Body, len(bus.got), want)
		}
	}
}
