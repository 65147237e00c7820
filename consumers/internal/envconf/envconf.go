// Package envconf parses typed values out of environment variables, with
// errors that name the variable.
package envconf

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables through getenv and collects the problems.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// New returns a Reader over getenv (os.Getenv in main, a map in tests).
func New(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// Err returns every problem found so far, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

func (r *Reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
}

// String returns the variable, or def when it is unset or blank: for
// values that are optional by nature (a secret given one way or another),
// never for a tunable, whose default lives in the typed config that sets it.
func (r *Reader) String(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// Required returns the variable and records a problem when it is unset.
func (r *Reader) Required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.fail(name, "must be set")
	}
	return v
}

// Duration parses a required Go duration ("90s", "24h0m0s") or a whole
// number of seconds. Negative values are refused.
func (r *Reader) Duration(name string) time.Duration {
	v := r.Required(name)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			r.fail(name, "must not be negative, got %q", v)
			return 0
		}
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, "must be a duration such as 30s or 24h, or whole seconds, got %q", v)
		return 0
	}
	return d
}

// PositiveDuration is Duration, and refuses zero.
func (r *Reader) PositiveDuration(name string) time.Duration {
	before := len(r.errs)
	d := r.Duration(name)
	if len(r.errs) == before && d <= 0 {
		r.fail(name, "must be > 0, got %q", strings.TrimSpace(r.getenv(name)))
	}
	return d
}

// Check records the problem "name: rule" unless ok, for a rule that spans
// variables.
func (r *Reader) Check(ok bool, name, rule string) {
	if !ok {
		r.fail(name, "%s", rule)
	}
}

// Int parses a required integer in [lo, hi].
func (r *Reader) Int(name string, lo, hi int) int {
	v := r.Required(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "must be an integer between %d and %d, got %q", lo, hi, v)
		return 0
	}
	return n
}

// URL parses a required absolute http(s) URL, trimming a trailing slash.
func (r *Reader) URL(name string) string {
	v := r.Required(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "must be an absolute http(s) URL, got %q", v)
		return ""
	}
	return strings.TrimRight(v, "/")
}

// OneOf returns a required variable that must be one of allowed.
func (r *Reader) OneOf(name string, allowed ...string) string {
	v := r.Required(name)
	if v != "" && !slices.Contains(allowed, v) {
		r.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
		return ""
	}
	return v
}

// LambdaLogLevel is the variable Lambda sets to a function's application
// log level when its logs are JSON.
const LambdaLogLevel = "AWS_LAMBDA_LOG_LEVEL"

// LogLevels are the level names Lambda knows.
var LogLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// LogLevel returns the function's log level: Lambda's own
// AWS_LAMBDA_LOG_LEVEL when set (the level Lambda filters at), else the
// required variable name. Either must be one of LogLevels.
func (r *Reader) LogLevel(name string) string {
	level := r.OneOf(name, LogLevels...)
	if v := strings.TrimSpace(r.getenv(LambdaLogLevel)); v != "" {
		if !slices.Contains(LogLevels, v) {
			r.fail(LambdaLogLevel, "must be one of %s, got %q", strings.Join(LogLevels, ", "), v)
			return level
		}
		return v
	}
	return level
}
