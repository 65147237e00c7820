package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"loanflow/infra/local/httpapi"
)

type fakeFn struct {
	got  events.APIGatewayV2HTTPRequest
	resp events.APIGatewayV2HTTPResponse
	err  error
}

func (f *fakeFn) Invoke(_ context.Context, name string, payload []byte) ([]byte, error) {
	if name != "api" {
		return nil, errors.New("unknown function " + name)
	}
	if err := json.Unmarshal(payload, &f.got); err != nil {
		return nil, err
	}
	if f.err != nil {
		return nil, f.err
	}
	return json.Marshal(f.resp)
}

func serve(fn *fakeFn, method, path, body string) *httptest.ResponseRecorder {
	api := &httpapi.API{Prefix: "/svc", Fn: fn, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Routes: []httpapi.Route{{Method: http.MethodPost, Path: "/valuations", Function: "api"}}}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Idempotency-Key", "k-1")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	return rec
}

func TestProxyEventAndResponse(t *testing.T) {
	fn := &fakeFn{resp: events.APIGatewayV2HTTPResponse{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json"},
		Body: `{"valuationReference":"VAL-1"}`}}
	rec := serve(fn, http.MethodPost, "/svc/valuations", `{"a":1}`)
	if rec.Code != 201 || rec.Body.String() != `{"valuationReference":"VAL-1"}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("response %d %q", rec.Code, rec.Body)
	}
	g := fn.got
	if g.Version != "2.0" || g.RouteKey != "POST /valuations" || g.RawPath != "/valuations" || g.Body != `{"a":1}` ||
		g.Headers["idempotency-key"] != "k-1" || g.RequestContext.HTTP.Method != "POST" {
		t.Fatalf("event %+v", g)
	}
}

func TestUnknownRouteAndFunctionError(t *testing.T) {
	fn := &fakeFn{}
	if rec := serve(fn, http.MethodGet, "/svc/valuations", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("GET: %d", rec.Code)
	}
	fn.err = errors.New("boom")
	if rec := serve(fn, http.MethodPost, "/svc/valuations", "{}"); rec.Code != http.StatusInternalServerError ||
		!strings.Contains(rec.Body.String(), "Internal Server Error") {
		t.Fatalf("function error: %d %s", rec.Code, rec.Body)
	}
}
