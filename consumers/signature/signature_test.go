package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"loanflow/consumers/signature"
)

var (
	secret   = []byte("test-signing-secret")
	previous = []byte("the-key-before-rotation")
	now      = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	msg      = signature.Message{
		CallbackID: "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA",
		Body:       []byte(`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":32500000,"currency":"GBP"}`),
	}
)

func TestVerify(t *testing.T) {
	ts, sig := signature.Sign(now, msg, secret)
	_, byPrevious := signature.Sign(now, msg, previous)
	_, both := signature.Sign(now, msg, previous, secret)
	keys := [][]byte{secret, previous}
	tol := 5 * time.Minute
	other := msg
	other.CallbackID = "QW5vdGhlckxvYW5zQ2FsbGJhY2tJZDEyMzQ1Njc"
	invalidUTF8 := signature.Message{CallbackID: msg.CallbackID, Body: []byte("{\"reason\":\"caf\xe9\"}")}
	tsBad, sigBad := signature.Sign(now, invalidUTF8, secret)
	tests := []struct {
		name      string
		keys      [][]byte
		ts, sig   string
		m         signature.Message
		received  time.Time
		want      error
		wantIndex int
	}{
		{"valid", keys, ts, sig, msg, now, nil, 0},
		{"signed with the previous key", keys, ts, byPrevious, msg, now, nil, 1},
		{"two entries during a rotation", [][]byte{secret}, ts, both, msg, now, nil, 0},
		{"raw bytes that are not UTF-8", keys, tsBad, sigBad, invalidUTF8, now, nil, 0},
		{"received at the edge of tolerance, late", keys, ts, sig, msg, now.Add(tol), nil, 0},
		{"received at the edge of tolerance, early", keys, ts, sig, msg, now.Add(-tol), nil, 0},
		{"received long after it was signed", keys, ts, sig, msg, now.Add(tol + time.Second), signature.ErrStale, 0},
		{"signed in the future", keys, ts, sig, msg, now.Add(-tol - time.Second), signature.ErrStale, 0},
		{"re-addressed to another callback id", keys, ts, sig, other, now, signature.ErrForged, -1},
		{"wrong key", [][]byte{[]byte("other")}, ts, sig, msg, now, signature.ErrForged, -1},
		{"no keys", nil, ts, sig, msg, now, signature.ErrForged, -1},
		{"tampered body", keys, ts, sig, signature.Message{CallbackID: msg.CallbackID, Body: append([]byte{' '}, msg.Body...)}, now, signature.ErrForged, -1},
		{"tampered timestamp", keys, fmt.Sprint(now.Unix() + 1), sig, msg, now, signature.ErrForged, -1},
		{"timestamp not a number", keys, "yesterday", sig, msg, now, signature.ErrForged, -1},
		{"negative timestamp", keys, "-5", sig, msg, now, signature.ErrForged, -1},
		{"signature not hex", keys, ts, "v1=zz", msg, now, signature.ErrUnsupported, -1},
		{"bare hex of the old scheme", keys, ts, strings.TrimPrefix(sig, "v1="), msg, now, signature.ErrUnsupported, -1},
		{"unknown scheme", keys, ts, "v9=" + strings.TrimPrefix(sig, "v1="), msg, now, signature.ErrUnsupported, -1},
		{"truncated signature", keys, ts, sig[:35], msg, now, signature.ErrUnsupported, -1},
		{"missing signature", keys, ts, "", msg, now, signature.ErrMissing, -1},
		{"missing timestamp", keys, "", sig, msg, now, signature.ErrMissing, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, err := signature.Verify(tt.keys, tt.ts, tt.sig, tt.m, tt.received, tol)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
			if tt.want == nil && i != tt.wantIndex {
				t.Fatalf("matched key %d, want %d", i, tt.wantIndex)
			}
		})
	}
}

// The scheme as README documents it for a valuation provider: hex HMAC-SHA256
// over "v1\n" + timestamp + "\n" + callbackId + "\n" + body.
func TestSignIsTheDocumentedScheme(t *testing.T) {
	ts, sig := signature.Sign(now, msg, secret)
	if ts != "1795600800" {
		t.Fatalf("timestamp = %s", ts)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v1\n" + ts + "\n" + msg.CallbackID + "\n"))
	m.Write(msg.Body)
	if want := "v1=" + hex.EncodeToString(m.Sum(nil)); sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

func TestDigestIdentifiesOneReceivedCallback(t *testing.T) {
	ts, sig := signature.Sign(now, msg, secret)
	a := signature.Digest(ts, sig, msg, "req-a")
	if a != signature.Digest(ts, sig, msg, "req-a") {
		t.Fatal("the same callback has two digests")
	}
	for name, b := range map[string]string{
		"another webhook request": signature.Digest(ts, sig, msg, "req-b"),
		"another body":            signature.Digest(ts, sig, signature.Message{CallbackID: msg.CallbackID, Body: []byte("{}")}, "req-a"),
		"another callback id":     signature.Digest(ts, sig, signature.Message{CallbackID: "x" + msg.CallbackID, Body: msg.Body}, "req-a"),
		"fields shifted":          signature.Digest(ts+"1", sig, signature.Message{CallbackID: msg.CallbackID[1:], Body: msg.Body}, "req-a"),
	} {
		if a == b {
			t.Errorf("%s: same digest", name)
		}
	}
}

func ExampleSign() {
	m := signature.Message{CallbackID: "Zm9vYmFyYmF6cXV4cXV1eA", Body: []byte(`{}`)}
	ts, sig := signature.Sign(time.Unix(1795600000, 0), m, []byte("key"))
	_, err := signature.Verify([][]byte{[]byte("key")}, ts, sig, m, time.Unix(1795600010, 0), time.Minute)
	fmt.Println(ts, strings.HasPrefix(sig, "v1="), err)
	// Output: 1795600000 true <nil>
}

// sign is the documented scheme over any timestamp text, even one Sign
// cannot produce.
func sign(ts string, m signature.Message, key []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("v1\n" + ts + "\n" + m.CallbackID + "\n"))
	h.Write(m.Body)
	return "v1=" + hex.EncodeToString(h.Sum(nil))
}

// A validly signed timestamp before 1970 or past year 9999 is refused as
// out of range, never shown as an absurd date (issue 14: "signed at
// 292277026596-12-04"); a stale one says how far, and which way.
func TestStaleMessages(t *testing.T) {
	tol := 5 * time.Minute
	for _, tc := range []struct {
		ts       string
		received time.Time
		want     string
	}{
		{"9223372036854775807", now, "timestamp 9223372036854775807 out of range: want Unix seconds from 0 to 253402300799"},
		{"99999999999999999999", now, "timestamp 99999999999999999999 out of range"},
		{"-5", now, "timestamp -5 out of range"},
		{"-9223372036854775808", now, "timestamp -9223372036854775808 out of range"},
		{"253402300800", now, "timestamp 253402300800 out of range"},
		{fmt.Sprint(now.Unix()), now.Add(-tol - time.Second), "signed at 2026-11-25T10:00:00Z, 5m1s after it was received (tolerance 5m0s)"},
		{fmt.Sprint(now.Unix()), now.Add(tol + time.Second), "signed at 2026-11-25T10:00:00Z, 5m1s before it was received (tolerance 5m0s)"},
		{"253402300799", now, "signed at 9999-12-31T23:59:59Z, 2912114 days after it was received"},
		{"0", now, "signed at 1970-01-01T00:00:00Z, 20782 days before it was received"},
	} {
		_, err := signature.Verify([][]byte{secret}, tc.ts, sign(tc.ts, msg, secret), msg, tc.received, tol)
		if !errors.Is(err, signature.ErrStale) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("timestamp %s: %v; want ErrStale with %q", tc.ts, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "2562047h") {
			t.Errorf("timestamp %s: a saturated duration: %v", tc.ts, err)
		}
		// Unsigned, an out-of-range timestamp is forged like any other.
		if _, err := signature.Verify([][]byte{secret}, tc.ts, sign(tc.ts, msg, previous), msg, tc.received, tol); !errors.Is(err, signature.ErrForged) {
			t.Errorf("timestamp %s under another key: %v; want ErrForged", tc.ts, err)
		}
	}
}
