// Package localtest holds helpers for tests of the local stack: the tests
// under test/ and under infra/local/... import it. It imports package
// testing, so non-test code must not.
package localtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Interval is how often Eventually checks its condition.
const Interval = 10 * time.Millisecond

// Eventually calls cond every Interval until it reports true, and fails t
// with Fatalf, naming what and the last state cond described, if within
// passes first. cond runs at least once.
func Eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	last := ""
	if err := Poll(context.Background(), within, Interval, what, func() (bool, error) {
		ok, state := cond()
		last = state
		return ok, nil
	}); err != nil {
		t.Fatalf("timed out after %v waiting for %s (last: %s)", within, what, last)
	}
}

// Poll calls cond every interval until it reports done, and returns the
// error cond returned with done (nil on success). An error returned
// without done is the latest state, not a failure: if ctx ends or within
// passes first, Poll returns an error naming what, wrapping the context's
// and naming that state. cond runs at least once.
func Poll(ctx context.Context, within, interval time.Duration, what string, cond func() (done bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last error
	for {
		done, err := cond()
		if done {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: not within %v: %w (last: %v)", what, within, ctx.Err(), last)
			}
			return fmt.Errorf("%s: not within %v: %w", what, within, ctx.Err())
		case <-tick.C:
		}
	}
}
