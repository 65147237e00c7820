// Package signature signs and verifies the valuation service's callbacks.
//
// Scheme v1. The valuation service sends two headers with each callback:
//
//	X-Valuation-Timestamp: <Unix seconds>
//	X-Valuation-Signature: v1=<hex HMAC-SHA256>[,v1=<hex>...]
//
// The HMAC is over the bytes
//
//	"v1" LF timestamp LF callbackId LF body
//
// where callbackId is the last segment of the callback URL's path and body
// is the request body exactly as sent. Binding the callback id means a
// signed answer for one loan cannot be re-addressed to another; binding the
// raw bytes means nothing is re-encoded between signing and verifying.
// Several v1 entries let a provider sign with two keys while a key rotates;
// one matching entry is enough.
//
// Freshness is judged at the trusted time the webhook received the request,
// not at the time the signature happens to be checked: a callback retried,
// redriven or replayed hours later is still judged by when it arrived.
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

// Scheme is the version prefix of a signature entry.
const Scheme = "v1"

// MaxEntries bounds the signature entries looked at in one header.
const MaxEntries = 4

// MaxTimestamp is the latest timestamp a signature may carry,
// 9999-12-31T23:59:59Z: any later one (or any before 1970) is out of range,
// never shown as a date.
const MaxTimestamp = 253402300799

// Verification errors; Verify wraps them with detail.
var (
	// ErrMissing means the timestamp or the signature is absent.
	ErrMissing = errors.New("signature missing")
	// ErrForged means no signature entry matches the message under any key.
	ErrForged = errors.New("signature does not match")
	// ErrStale means the signature is valid but was made too long before
	// (or after) the callback was received.
	ErrStale = errors.New("signature timestamp outside tolerance")
	// ErrUnsupported means the header has no entry in a known scheme.
	ErrUnsupported = errors.New("signature scheme not supported")
)

// Message is what a signature covers.
type Message struct {
	CallbackID string
	Body       []byte
}

// Sign returns the timestamp header value for at and the signature header
// value of m under each key, in order (one "v1=" entry per key).
func Sign(at time.Time, m Message, keys ...[]byte) (timestamp, header string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = Scheme + "=" + hex.EncodeToString(mac(k, timestamp, m))
	}
	return timestamp, strings.Join(entries, ",")
}

// Verify checks that some v1 entry of header is the HMAC of timestamp and m
// under some key, and that timestamp is within tolerance of receivedAt,
// either way. Comparisons are constant-time. It returns the index of the
// key that matched.
func Verify(keys [][]byte, timestamp, header string, m Message, receivedAt time.Time, tolerance time.Duration) (int, error) {
	timestamp, header = strings.TrimSpace(timestamp), strings.TrimSpace(header)
	if timestamp == "" || header == "" {
		return -1, ErrMissing
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return -1, fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrForged, truncate(timestamp))
	}
	inRange := err == nil && secs >= 0 && secs <= MaxTimestamp
	var sigs [][]byte
	for i, e := range strings.Split(header, ",") {
		if i == MaxEntries {
			break
		}
		scheme, value, ok := strings.Cut(strings.TrimSpace(e), "=")
		if !ok || scheme != Scheme {
			continue
		}
		if b, err := hex.DecodeString(value); err == nil && len(b) == sha256.Size {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return -1, fmt.Errorf("%w: want %s=<64 hex digits>", ErrUnsupported, Scheme)
	}
	matched := -1
	for i, k := range keys {
		if len(k) == 0 {
			continue
		}
		want := mac(k, timestamp, m)
		for _, s := range sigs {
			if hmac.Equal(s, want) && matched < 0 {
				matched = i
			}
		}
	}
	if matched < 0 {
		return -1, ErrForged
	}
	if !inRange {
		return matched, fmt.Errorf("%w: timestamp %s out of range: want Unix seconds from 0 to %d (9999-12-31T23:59:59Z)",
			ErrStale, truncate(timestamp), MaxTimestamp)
	}
	signedAt := time.Unix(secs, 0)
	if skew := receivedAt.Sub(signedAt); skew > tolerance || skew < -tolerance {
		return matched, fmt.Errorf("%w: signed at %s, %s it was received (tolerance %s)",
			ErrStale, signedAt.UTC().Format(time.RFC3339), distance(receivedAt, signedAt), tolerance)
	}
	return matched, nil
}

// distance says how far signedAt is from receivedAt, "5m1s before" or "3
// days after", exact where time.Duration would saturate (292 years).
func distance(receivedAt, signedAt time.Time) string {
	secs := receivedAt.Unix() - signedAt.Unix()
	when := "before"
	if secs < 0 {
		secs, when = -secs, "after"
	}
	if secs < 48*3600 {
		return (time.Duration(secs) * time.Second).String() + " " + when
	}
	return strconv.FormatInt(secs/86400, 10) + " days " + when
}

// Digest identifies one received callback: the same signature over the same
// message in the same webhook request (receiptID). EventBridge retries, a
// DLQ redrive and an archive replay of one callback share it; a second post
// of the same body does not.
func Digest(timestamp, header string, m Message, receiptID string) string {
	h := sha256.New()
	for _, s := range []string{timestamp, header, m.CallbackID, receiptID} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	h.Write(m.Body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func mac(key []byte, timestamp string, m Message) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(Scheme))
	h.Write([]byte{'\n'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'\n'})
	h.Write([]byte(m.CallbackID))
	h.Write([]byte{'\n'})
	h.Write(m.Body)
	return h.Sum(nil)
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32]
	}
	return s
}
