package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"loanflow/infra/local/internal/reqbody"
)

type marshaler struct{}

func (marshaler) MarshalJSON() ([]byte, error) { return []byte(` { "spaced" : [1, 2] } `), nil }

// A response body is, byte for byte, what json.Marshal makes of the
// operation's result (no trailing newline, HTML characters escaped, a
// MarshalJSON result compacted), however large, and one after another.
func TestResponseIsWhatJSONMarshalMakes(t *testing.T) {
	results := []any{
		struct{}{},
		map[string]any{"b": "<a href='x'>&</a>", "a": []int{1, 2}, "c": nil},
		struct {
			M marshaler `json:"m"`
			S string    `json:"s,omitempty"`
		}{},
		map[string]string{"big": strings.Repeat("x", 100<<10)},
		map[string]int{"small": 1},
	}
	var i int
	svc := &Service{TargetPrefix: "Svc", JSONVersion: "1.0", Ops: map[string]Operation{
		"Op": func(context.Context, []byte) (any, error) { return results[i], nil },
	}}
	mux := NewMux(slog.New(slog.DiscardHandler), svc)
	for i = range results {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "Svc.Op")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		want, err := json.Marshal(results[i])
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("result %d: body %.200q, want %.200q", i, got, want)
		}
	}
}

// An in-process caller's body (a reqbody.Body) reaches the operation as sent.
func TestOperationReadsAnInProcessBody(t *testing.T) {
	var got []byte
	svc := &Service{TargetPrefix: "Svc", JSONVersion: "1.0", Ops: map[string]Operation{
		"Op": func(_ context.Context, body []byte) (any, error) { got = body; return nil, nil },
	}}
	mux := NewMux(slog.New(slog.DiscardHandler), svc)
	sent := `{"TableName":"tokens"}`
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Body, req.ContentLength = reqbody.NewBody([]byte(sent)), int64(len(sent))
	req.Header.Set("X-Amz-Target", "Svc.Op")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || string(got) != sent {
		t.Fatalf("status %d, operation read %q, want %q", rec.Code, got, sent)
	}
	if n, err := req.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the mux, the body reads %d, %v; want 0, EOF", n, err)
	}
}
