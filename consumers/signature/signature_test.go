package signature_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"loanflow/consumers/signature"
)

var (
	secret = []byte("test-signing-secret")
	now    = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	body   = []byte(`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":32500000,"currency":"GBP"}`)
)

func TestVerify(t *testing.T) {
	ts, sig := signature.Sign(secret, now, body)
	tol := 5 * time.Minute
	tests := []struct {
		name    string
		secret  []byte
		ts, sig string
		body    []byte
		now     time.Time
		want    error
	}{
		{"valid", secret, ts, sig, body, now, nil},
		{"valid at the edge of tolerance, past", secret, ts, sig, body, now.Add(tol), nil},
		{"valid at the edge of tolerance, future", secret, ts, sig, body, now.Add(-tol), nil},
		{"stale", secret, ts, sig, body, now.Add(tol + time.Second), signature.ErrStale},
		{"from the future", secret, ts, sig, body, now.Add(-tol - time.Second), signature.ErrStale},
		{"wrong key", []byte("other"), ts, sig, body, now, signature.ErrForged},
		{"tampered body", secret, ts, sig, append([]byte{' '}, body...), now, signature.ErrForged},
		{"tampered timestamp", secret, fmt.Sprint(now.Unix() + 1), sig, body, now, signature.ErrForged},
		{"timestamp not a number", secret, "yesterday", sig, body, now, signature.ErrForged},
		{"signature not hex", secret, ts, "zz", body, now, signature.ErrForged},
		{"truncated signature", secret, ts, sig[:32], body, now, signature.ErrForged},
		{"missing signature", secret, ts, "", body, now, signature.ErrMissing},
		{"missing timestamp", secret, "", sig, body, now, signature.ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := signature.Verify(tt.secret, tt.ts, tt.sig, tt.body, tt.now, tol)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestSignIsHexOfTimestampDotBody(t *testing.T) {
	ts, sig := signature.Sign(secret, now, body)
	if ts != "1795600800" {
		t.Fatalf("timestamp = %s", ts)
	}
	if len(sig) != 64 {
		t.Fatalf("signature %q is not 64 hex digits", sig)
	}
}

func ExampleSign() {
	ts, sig := signature.Sign([]byte("key"), time.Unix(1795600000, 0), []byte(`{}`))
	fmt.Println(ts, signature.Verify([]byte("key"), ts, sig, []byte(`{}`), time.Unix(1795600010, 0), time.Minute))
	// Output: 1795600000 <nil>
}
