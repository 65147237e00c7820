package scenarios

import (
	"fmt"
	"time"

	"loanflow/infra/config"
)

// The demo's and the end-to-end suite's budgets. A budget for something that
// should succeed is seconds, several times what it takes on a machine whose
// cores are all busy (there, with the demo's 36 loans arriving at once, a
// consumer invocation took up to 6.5 s, a call to the mock up to 2 s and a
// happy loan up to 14 s). No fault is played by one timer beating another:
//   - a slow service answers in a fifth of the consumer's per-attempt budget;
//   - a late callback is sent after the loan's timeout has passed by its own
//     clock: the mock waits longer than the timeout, from a later start, and
//     Step Functions refuses a token past its deadline (TaskTimedOut)
//     whenever it gets round to timing the task out;
//   - the 5xx loans fail on their last receive, which comes
//     MinCallbackTimeout's margin before their timeout.
const (
	// DefaultCallbackTimeout is RequestValuation's timeout in the demo and the
	// suite: the scenarios that time out take this long.
	DefaultCallbackTimeout = 2 * time.Minute
	// DefaultValuationDelay is how long the mock takes to value a property.
	DefaultValuationDelay = 300 * time.Millisecond

	requestTimeout  = 5 * time.Second
	requestAttempts = 2
	// consumerTimeout holds both attempts, their backoff and the consumer's
	// reserve; the visibility timeout is six times it (72 s).
	consumerTimeout = 12 * time.Second
	slowResponse    = time.Second
	// busyMargin is what a busy machine is given, on top of the budgets, for
	// the hops between them (queue polling, the engine, the webhook, the bus).
	busyMargin = 30 * time.Second
)

// FastConfig is the local config the demo and the suite run: every wait the
// scenarios exercise is short enough for a run to take a few minutes, and
// every budget for something that should succeed holds on a busy machine.
// The 5xx loans fail on their second and last receive, one visibility
// timeout after the first: callbackTimeout must be at least
// MinCallbackTimeout, or they time out first (CheckCallbackTimeout says so).
func FastConfig(callbackTimeout, valuationDelay time.Duration) config.Config {
	c := config.Local()
	c.CallbackTimeout = callbackTimeout
	c.Queue.ConsumerTimeout = consumerTimeout
	c.Queue.MaxReceiveCount = 2
	c.ValuationService.RequestTimeout = requestTimeout
	c.ValuationService.Attempts = requestAttempts
	c.ValuationService.BaseBackoff = 20 * time.Millisecond
	c.Mock.CallbackDelay = valuationDelay
	c.Mock.SlowResponse = slowResponse
	return c
}

// MinCallbackTimeout is the shortest callback timeout with which every
// scenario ends as expected on a busy machine: a request message's last
// receive comes (MaxReceiveCount-1) visibility timeouts after its first, its
// invocation may take the consumer's whole timeout, and the hops around it
// get a margin. A 5xx loan must fail, and a loan whose first receive failed
// must be valued, within it.
func MinCallbackTimeout(c config.Config) time.Duration {
	return time.Duration(c.Queue.MaxReceiveCount-1)*c.Queue.VisibilityTimeout() + c.Queue.ConsumerTimeout + busyMargin
}

// CheckCallbackTimeout says why c's callback timeout is too short for the
// scenarios, or nil.
func CheckCallbackTimeout(c config.Config) error {
	if minimum := MinCallbackTimeout(c); c.CallbackTimeout < minimum {
		return fmt.Errorf("callback timeout %s is too short for the scenarios: at least %s, so that a request message's last receive "+
			"(%d receives, %s visibility timeout) ends well before it", c.CallbackTimeout, minimum, c.Queue.MaxReceiveCount, c.Queue.VisibilityTimeout())
	}
	return nil
}

// RunTime is about how long a run of every scenario takes with c, however
// quick the machine: the timeout scenarios wait for the callback timeout and
// the 5xx loans' messages reach the DLQ MaxReceiveCount visibility timeouts
// after their first receive.
func RunTime(c config.Config) time.Duration {
	return max(c.CallbackTimeout, time.Duration(c.Queue.MaxReceiveCount)*c.Queue.VisibilityTimeout())
}

// RunDeadline is a Runner's Deadline for c: long enough for a loan that
// times out, and then for the last request message to reach the DLQ
// (MaxReceiveCount visibility timeouts after its first receive), on a busy
// machine. It only bounds a run that has gone wrong.
func RunDeadline(c config.Config) time.Duration {
	return c.CallbackTimeout + time.Duration(c.Queue.MaxReceiveCount)*c.Queue.VisibilityTimeout() + 2*time.Minute
}
