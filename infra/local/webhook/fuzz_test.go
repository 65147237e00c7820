package webhook_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"loanflow/contracts"
	"loanflow/infra/local/webhook"
)

// FuzzWebhook: any path and body get a 2xx only when the body meets the
// contract, and an event is published exactly then; nothing panics.
func FuzzWebhook(f *testing.F) {
	f.Add(cbID, `{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":5,"currency":"GBP"}`)
	f.Add(cbID, `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER"}}`)
	f.Add("x/y", `{}`)
	f.Add("", `null`)
	f.Add(cbID, "\x00\xff{")
	f.Add(strings.Repeat(cbID, 8), `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER"}}`)
	f.Fuzz(func(t *testing.T, id, body string) {
		bus := &fakeBus{}
		h := &webhook.Handler{Bus: bus, BusName: "b", Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			APIKeys: func() []string { return []string{apiKey} }}
		req := httptest.NewRequest(http.MethodPost, "/valuations/x", strings.NewReader(body))
		req.Header.Set(contracts.HeaderAPIKey, apiKey)
		req.URL.Path = "/valuations/" + id
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		valid := contracts.Validate(contracts.SchemaValuationResponse, []byte(body)) == nil
		ok := rec.Code == http.StatusAccepted
		if ok != (len(bus.got) == 1) {
			t.Fatalf("status %d but %d events published", rec.Code, len(bus.got))
		}
		if ok && !valid {
			t.Fatalf("accepted a body that breaks the contract: %q", body)
		}
		if rec.Code >= 500 {
			t.Fatalf("server error %d for %q", rec.Code, body)
		}
	})
}
