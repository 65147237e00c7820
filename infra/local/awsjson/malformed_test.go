package awsjson

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A body that is not JSON is a 400 SerializationException before the
// operation runs, even for an operation that reads no member (a List call);
// an empty body still means {}.
func TestMalformedBodyIsSerializationException(t *testing.T) {
	called := 0
	m := NewMux(slog.New(slog.DiscardHandler), &Service{TargetPrefix: "Svc", JSONVersion: "1.0", CRC32: true, Ops: map[string]Operation{
		"List": func(context.Context, []byte) (any, error) { called++; return map[string]any{"items": []any{}}, nil },
	}})
	for _, c := range []struct {
		body string
		want int
	}{{"{not json", http.StatusBadRequest}, {`{"a":1}}`, http.StatusBadRequest}, {"", http.StatusOK}, {`{"MaxResults":1}`, http.StatusOK}} {
		called = 0
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", "Svc.List")
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Fatalf("body %q: status %d, want %d (%s)", c.body, rec.Code, c.want, rec.Body.String())
		}
		if c.want == http.StatusOK {
			if called != 1 {
				t.Fatalf("body %q: operation called %d times", c.body, called)
			}
			continue
		}
		var out struct {
			Type string `json:"__type"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Type != "SerializationException" || called != 0 {
			t.Fatalf("body %q: answer %s (called %d), want a SerializationException before the operation", c.body, rec.Body.String(), called)
		}
		if rec.Header().Get("X-Amz-Crc32") == "" {
			t.Fatalf("body %q: the error has no X-Amz-Crc32 header", c.body)
		}
	}
}
