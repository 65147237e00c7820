package awsjson

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

	"loanflow/infra/local/sqlitedb"
)

// A write the state file cannot take (a full disk) is a 503 the SDKs retry,
// saying what is wrong, not an opaque 500.
func TestStorageFailureIsServiceUnavailable(t *testing.T) {
	full := &sqlitedb.StorageError{Err: errors.New("database or disk is full (13)")}
	m := NewMux(slog.New(slog.NewJSONHandler(io.Discard, nil)), &Service{TargetPrefix: "Svc", JSONVersion: "1.0", Ops: map[string]Operation{
		"Put": func(context.Context, []byte) (any, error) { return nil, full },
	}})
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "Svc.Put")
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body.Type, "ServiceUnavailable") || !strings.Contains(body.Message, "disk is full") {
		t.Fatalf("body %s", rec.Body.String())
	}
}
