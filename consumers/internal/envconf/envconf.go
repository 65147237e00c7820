// Package envconf parses typed values out of environment variables, with
// errors that name the variable.
package envconf

import (
	"errors"
	"fmt"
	"net/url"
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

// String returns the variable, or def when it is unset or blank.
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

// Duration parses a Go duration ("90s", "24h0m0s") or a whole number of
// seconds; def when unset. Negative values are refused.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			r.fail(name, "must not be negative, got %q", v)
			return def
		}
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.fail(name, "must be a duration such as 30s or 24h, or whole seconds, got %q", v)
		return def
	}
	return d
}

// Int parses an integer in [lo, hi]; def when unset.
func (r *Reader) Int(name string, def, lo, hi int) int {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "must be an integer between %d and %d, got %q", lo, hi, v)
		return def
	}
	return n
}

// URL parses an absolute http(s) URL, trimming a trailing slash. required
// records a problem when it is unset.
func (r *Reader) URL(name string, required bool) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		if required {
			r.fail(name, "must be set")
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "must be an absolute http(s) URL, got %q", v)
		return ""
	}
	return strings.TrimRight(v, "/")
}
