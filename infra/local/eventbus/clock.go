package eventbus

import "time"

// Clock tells the bus the time and wakes its scheduler; tests inject a fake
// one to fire scheduled rules without waiting for them.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has elapsed on this
	// clock, and a function that releases the timer early.
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

// funcClock is a clock given only as Options.Now: real timers, its time.
type funcClock func() time.Time

func (f funcClock) Now() time.Time { return f() }

func (funcClock) After(d time.Duration) (<-chan time.Time, func()) { return SystemClock{}.After(d) }
