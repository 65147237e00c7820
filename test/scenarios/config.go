package scenarios

import (
	"time"

	"loanflow/infra/config"
)

// FastConfig is the local config with short waits, so that every scenario,
// timeouts and the DLQ included, ends in seconds: the callback timeout, the
// mock's valuation delay, a one-second consumer (six-second visibility
// timeout) and two receives before the DLQ. For the 5xx scenario to fail fast
// rather than time out, callbackTimeout must exceed the 6 s before the second receive.
func FastConfig(callbackTimeout, valuationDelay time.Duration) config.Config {
	c := config.Local()
	c.CallbackTimeout = callbackTimeout
	c.TokenGrace = time.Minute
	c.Queue.ConsumerTimeout = time.Second
	c.Queue.MaxReceiveCount = 2
	c.ValuationService.RequestTimeout = 300 * time.Millisecond
	c.ValuationService.Attempts = 2
	c.ValuationService.BaseBackoff = 20 * time.Millisecond
	c.Callback.RetryAttempts = 2
	c.Mock.CallbackDelay = valuationDelay
	c.Mock.SlowResponse = 100 * time.Millisecond
	return c
}
