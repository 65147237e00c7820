package awsjson

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestCRC32HeaderAndErrorFields(t *testing.T) {
	svc := &Service{TargetPrefix: "Svc", JSONVersion: "1.0", CRC32: true, Ops: map[string]Operation{
		"Ok": func(context.Context, []byte) (any, error) { return map[string]int{"a": 1}, nil },
		"Fail": func(context.Context, []byte) (any, error) {
			return nil, &Error{Code: "Boom", Message: "no", Status: 400, Fields: map[string]any{"Item": map[string]any{"k": 1}}}
		},
	}}
	srv := httptest.NewServer(NewMux(slog.New(slog.DiscardHandler), svc))
	defer srv.Close()
	for _, op := range []string{"Ok", "Fail", "Missing"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "Svc."+op)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
		if got := resp.Header.Get("X-Amz-Crc32"); got != want {
			t.Errorf("%s: X-Amz-Crc32 = %q, want %q", op, got, want)
		}
		if op == "Fail" {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil || m["__type"] != "Boom" || m["Item"] == nil {
				t.Errorf("error body = %s (%v)", body, err)
			}
		}
	}
}
