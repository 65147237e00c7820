package sqs

import "time"

// Clock tells the time and makes timers; tests inject a fake one to drive
// visibility timeouts and delays without sleeping.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has elapsed, and a function
	// that releases the timer early.
	After(d time.Duration) (<-chan time.Time, func())
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// After starts a real timer.
func (SystemClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}
