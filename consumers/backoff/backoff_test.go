package backoff

import (
	"testing"
	"time"
)

func TestCap(t *testing.T) {
	const ms = time.Millisecond
	for _, c := range []struct {
		name           string
		attempt        int
		base, max, cap time.Duration
	}{
		{"first retry waits up to base", 1, 200 * ms, 5 * time.Second, 200 * ms},
		{"second doubles", 2, 200 * ms, 5 * time.Second, 400 * ms},
		{"fifth", 5, 200 * ms, 5 * time.Second, 3200 * ms},
		{"sixth reaches the cap", 6, 200 * ms, 5 * time.Second, 5 * time.Second},
		{"huge attempt does not overflow", 1000, 200 * ms, 5 * time.Second, 5 * time.Second},
		{"attempt 0 counts as 1", 0, 200 * ms, 5 * time.Second, 200 * ms},
		{"negative attempt counts as 1", -3, 200 * ms, 5 * time.Second, 200 * ms},
		{"base above max is capped", 1, time.Minute, time.Second, time.Second},
		{"zero base means no wait", 3, 0, 5 * time.Second, 0},
		{"negative base means no wait", 3, -ms, 5 * time.Second, 0},
		{"no max: doubling alone", 4, ms, 0, 8 * ms},
		{"no max, huge attempt: the largest duration", 1000, ms, 0, time.Duration(1<<63 - 2)},
	} {
		if got := Cap(c.attempt, c.base, c.max); got != c.cap {
			t.Errorf("%s: Cap(%d, %v, %v) = %v, want %v", c.name, c.attempt, c.base, c.max, got, c.cap)
		}
	}
}

func TestJitterStaysWithinTheCap(t *testing.T) {
	for _, c := range []struct {
		attempt   int
		base, max time.Duration
	}{
		{1, 5 * time.Millisecond, 20 * time.Millisecond},
		{3, 200 * time.Millisecond, 5 * time.Second},
		{1000, time.Second, time.Minute},
		{1000, time.Nanosecond, 0},
		{2, 0, time.Second},
	} {
		limit := Cap(c.attempt, c.base, c.max)
		var lo, hi time.Duration = limit, 0
		for range 2000 {
			d := Jitter(c.attempt, c.base, c.max)
			if d < 0 || d > limit {
				t.Fatalf("Jitter(%d, %v, %v) = %v, outside [0, %v]", c.attempt, c.base, c.max, d, limit)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// full jitter spreads over the whole range, not just its top half
		if limit > 0 && (lo > limit/4 || hi < limit*3/4) {
			t.Errorf("Jitter(%d, %v, %v) spans only [%v, %v] of [0, %v]", c.attempt, c.base, c.max, lo, hi, limit)
		}
	}
}
