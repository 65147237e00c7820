package awsjson

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Every response, result or error, names its JSON version and carries a
// request id; the operation gets the body whole, whatever length it declared.
func TestResponseHeadersAndRequestBody(t *testing.T) {
	var got string
	ops := map[string]Operation{
		"Echo": func(_ context.Context, body []byte) (any, error) {
			got = string(body)
			return map[string]int{"a": 1}, nil
		},
		"Fail": func(context.Context, []byte) (any, error) { return nil, Errorf("Boom", "no") },
	}
	mux := NewMux(slog.New(slog.DiscardHandler), &Service{TargetPrefix: "V10", JSONVersion: "1.0", Ops: ops},
		&Service{TargetPrefix: "V11", JSONVersion: "1.1", Ops: ops})
	body := `{"k":"` + strings.Repeat("v", 2000) + `"}`
	for _, c := range []struct {
		target, version string
		length          int64
	}{{"V10.Echo", "1.0", int64(len(body))}, {"V11.Echo", "1.1", -1}, {"V11.Fail", "1.1", int64(len(body))}, {"V10.Echo", "1.0", 10}} {
		req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(body)))
		req.ContentLength = c.length
		req.Header.Set("X-Amz-Target", c.target)
		got = ""
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		h := rec.Result().Header
		if ct := h.Get("Content-Type"); ct != "application/x-amz-json-"+c.version {
			t.Errorf("%s: Content-Type = %q", c.target, ct)
		}
		if id := h.Get("x-amzn-RequestId"); !uuid4.MatchString(id) {
			t.Errorf("%s: x-amzn-RequestId = %q, want a version 4 UUID", c.target, id)
		}
		if strings.HasSuffix(c.target, "Echo") && got != body {
			t.Errorf("%s with Content-Length %d: the operation got %d bytes, want %d", c.target, c.length, len(got), len(body))
		}
	}
}
