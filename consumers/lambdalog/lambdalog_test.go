package lambdalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"loanflow/consumers/lambdalog"
)

func TestLinesCarryRequestIDContextAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log := lambdalog.New(&buf, "warn")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx = lambdalog.With(ctx, slog.String("callbackId", "cb-1"))
	log.InfoContext(ctx, "dropped by level")
	log.WarnContext(ctx, "kept", "n", 1)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	if line["level"] != "WARN" || line["requestId"] != "req-1" || line["callbackId"] != "cb-1" || line["msg"] != "kept" {
		t.Fatalf("line = %v", line)
	}
}

func TestTokenNeverShowsTheWholeToken(t *testing.T) {
	tok := strings.Repeat("AQCEAAAAKgAAAAMAAAAAAAAAA", 20)
	got := lambdalog.Token(tok)
	if len(got) > 30 || strings.Contains(got, tok[:20]) || got != lambdalog.Token(tok) {
		t.Fatalf("Token = %q", got)
	}
}
