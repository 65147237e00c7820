package asl

import (
	"testing"
	"time"
)

func TestRetryDelayJitter(t *testing.T) {
	r := &retrier{Interval: 2 * time.Second, BackoffRate: 2, MaxDelay: 5 * time.Second}
	if d := retryDelay(r, 0); d != 2*time.Second {
		t.Fatalf("attempt 1: %v", d)
	}
	if d := retryDelay(r, 1); d != 4*time.Second {
		t.Fatalf("attempt 2: %v", d)
	}
	if d := retryDelay(r, 5); d != 5*time.Second {
		t.Fatalf("MaxDelaySeconds not applied: %v", d)
	}
	r.FullJitter = true
	for range 100 {
		if d := retryDelay(r, 1); d < 0 || d > 4*time.Second {
			t.Fatalf("full jitter out of [0, 4s]: %v", d)
		}
	}
}
