// Package lambdalog builds the JSON slog logger every function uses: a "level"
// key that Lambda's log-level filtering reads, the Lambda request id on every
// line, and attributes carried in the context (callback id, execution id).
package lambdalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a JSON logger writing to w at the named level (DEBUG, INFO,
// WARN, ERROR; anything else is INFO).
func New(w io.Writer, level string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: ParseLevel(level)})
	return slog.New(Wrap(h))
}

// Function is the logger a function logs with: l when its builder was given
// one (the local stack's), otherwise a JSON logger writing to w (os.Stdout,
// which Lambda collects, when w is nil) at the configured level.
func Function(l *slog.Logger, w io.Writer, level string) *slog.Logger {
	if l != nil {
		return l
	}
	if w == nil {
		w = os.Stdout
	}
	return New(w, level)
}

// ParseLevel maps a Lambda log level name to a slog level.
func ParseLevel(s string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG", "TRACE":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Wrap returns a handler that adds the Lambda request id and the context's
// attributes to every record.
func Wrap(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxKey struct{}

// With returns a context whose log lines carry attrs as well.
func With(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(ctxKey{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	all = append(append(all, prev...), attrs...)
	return context.WithValue(ctx, ctxKey{}, all)
}

type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	if attrs, ok := ctx.Value(ctxKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(attrs)}
}

func (h ctxHandler) WithGroup(name string) slog.Handler {
	return ctxHandler{h.Handler.WithGroup(name)}
}

// Token returns a loggable stand-in for a task token: its first 8 characters
// and 12 hex digits of its SHA-256, never the token itself.
func Token(token string) string {
	sum := sha256.Sum256([]byte(token))
	prefix := token
	if len(prefix) > 8 {
		prefix = prefix[:8]
	}
	return prefix + "…" + hex.EncodeToString(sum[:6])
}

// ID returns a loggable stand-in for a secret identifier (a callback id, a
// signature): its first 8 characters and an ellipsis, never the whole value.
func ID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

// Discard is a logger that writes nothing, for tests and defaults.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
