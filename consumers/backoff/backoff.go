// Package backoff computes retry waits: exponential backoff with full
// jitter, the one the consumers share for their calls to services. (The
// local EventBridge twin keeps its own delay: it emulates the service.)
package backoff

import (
	"math/rand/v2"
	"time"
)

// Jitter is the wait before retry number attempt (1 for the first retry):
// full jitter, a uniform duration in [0, min(maxWait, base·2^(attempt-1))].
// A non-positive base means no wait; an attempt below 1 counts as 1; the
// doubling stops at maxWait, so large attempts cannot overflow. A non-positive
// maxWait leaves the cap to base·2^(attempt-1) alone, up to the largest
// time.Duration.
func Jitter(attempt int, base, maxWait time.Duration) time.Duration {
	limit := Cap(attempt, base, maxWait)
	if limit <= 0 {
		return 0
	}
	return rand.N(limit + 1)
}

// Cap is the upper bound Jitter draws under: min(maxWait, base·2^(attempt-1)),
// 0 for a non-positive base, attempt below 1 counted as 1, and a
// non-positive maxWait meaning no cap short of the largest time.Duration.
func Cap(attempt int, base, maxWait time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	const largest = time.Duration(1<<63 - 2) // so that Jitter's limit+1 stays positive
	if maxWait <= 0 || maxWait > largest {
		maxWait = largest
	}
	limit := base
	for i := 1; i < attempt && limit < maxWait; i++ {
		if limit > maxWait/2 {
			limit = maxWait
			break
		}
		limit *= 2
	}
	return min(limit, maxWait)
}
