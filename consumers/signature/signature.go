// Package signature signs and verifies the valuation service's callbacks:
// HMAC-SHA256 over timestamp + "." + raw body, hex encoded, sent in the
// contracts.HeaderSignatureTimestamp and contracts.HeaderSignature headers.
// The timestamp is Unix seconds; a signature is fresh within a tolerance
// either side of the verifier's clock, so a captured callback cannot be
// replayed later.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Verification errors; Verify wraps them with detail.
var (
	// ErrMissing means the timestamp or the signature is absent.
	ErrMissing = errors.New("signature missing")
	// ErrForged means the signature does not match the body and timestamp.
	ErrForged = errors.New("signature does not match")
	// ErrStale means the signature is valid but its timestamp is outside
	// the tolerance (a replay, or a badly skewed clock).
	ErrStale = errors.New("signature timestamp outside tolerance")
)

// Sign returns the timestamp header value for at and the signature of body.
func Sign(secret []byte, at time.Time, body []byte) (timestamp, sig string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	return timestamp, hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify checks that sig is the HMAC of timestamp and body under secret, and
// that timestamp is within tolerance of now, either way. The comparison is
// constant-time.
func Verify(secret []byte, timestamp, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	timestamp, sig = strings.TrimSpace(timestamp), strings.TrimSpace(sig)
	if timestamp == "" || sig == "" {
		return ErrMissing
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrForged, truncate(timestamp))
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrForged)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return ErrForged
	}
	skew := now.Sub(time.Unix(secs, 0))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now (tolerance %s)",
			ErrStale, time.Unix(secs, 0).UTC().Format(time.RFC3339), skew.Round(time.Second), tolerance)
	}
	return nil
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32]
	}
	return s
}
