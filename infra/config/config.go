// Package config is the one typed configuration that both the CDK app and the
// local stack read, so the two cannot drift: timeouts, batch sizes, redrive,
// retry policies, names and URLs.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Config is everything a user may tune.
type Config struct {
	// Stage names the deployment ("prod", "dev", "local").
	Stage string
	// EventBusName is the custom bus the webhook publishes to.
	EventBusName string
	// CallbackTimeout is RequestValuation's TimeoutSeconds: how long an
	// execution waits for a valuation before its States.Timeout path.
	CallbackTimeout time.Duration
	// TokenGrace is how long a token record outlives the callback timeout
	// before its TTL removes it (late callbacks in that window are recognised
	// as late rather than unknown).
	TokenGrace time.Duration
	// Queue is the valuation-request queue and its consumer.
	Queue QueueConfig
	// Callback is the EventBridge rule target that resolves tokens.
	Callback TargetConfig
	// ValuationService is the external service the consumer calls.
	ValuationService ServiceConfig
	// Signature governs the webhook's HMAC signatures.
	Signature SignatureConfig
	// Functions holds Lambda sizing shared by every function.
	Functions FunctionConfig
	// Mock tunes the mock valuation service.
	Mock MockConfig
}

// QueueConfig configures the valuation-request queue and its SQS event source.
type QueueConfig struct {
	// MaxReceiveCount is the redrive policy: receives before the DLQ.
	MaxReceiveCount int
	// BatchSize is the event source mapping's batch size (1-10).
	BatchSize int
	// MaxBatchingWindow is how long the event source waits to fill a batch.
	MaxBatchingWindow time.Duration
	// MaxConcurrency bounds concurrent consumer invocations (2-1000 on AWS).
	MaxConcurrency int
	// ConsumerTimeout is the consumer function's timeout; the queue's
	// visibility timeout is six times this, as AWS recommends.
	ConsumerTimeout time.Duration
	// Retention is how long a message may stay in the queue and the DLQ.
	Retention time.Duration
	// AgeAlarm fires when the oldest message is older than this.
	AgeAlarm time.Duration
}

// VisibilityTimeout is six times the consumer's timeout.
func (q QueueConfig) VisibilityTimeout() time.Duration { return 6 * q.ConsumerTimeout }

// TargetConfig configures a rule target's retry policy.
type TargetConfig struct {
	// RetryAttempts is the EventBridge target retry policy's attempts (0-185).
	RetryAttempts int
	// MaxEventAge is the retry policy's maximum event age (60s-24h).
	MaxEventAge time.Duration
	// Timeout is the resolver function's timeout.
	Timeout time.Duration
}

// ServiceConfig says how the consumer reaches the valuation service.
type ServiceConfig struct {
	// URL is the POST endpoint; empty means the mock service deployed alongside.
	URL string
	// RequestTimeout bounds one HTTP attempt.
	RequestTimeout time.Duration
	// Attempts is the number of HTTP attempts within one invocation.
	Attempts int
	// BaseBackoff is the first retry delay; later ones double, with full jitter.
	BaseBackoff time.Duration
}

// SignatureConfig governs webhook signatures.
type SignatureConfig struct {
	// SecretName is the Secrets Manager secret holding the HMAC key.
	SecretName string
	// Tolerance is the accepted gap, either way, between when a callback was
	// signed and when the webhook received it.
	Tolerance time.Duration
	// CacheTTL is how long a function uses a key read from Secrets Manager
	// before reading it again; a rotation reaches every function within it.
	CacheTTL time.Duration
}

// FunctionConfig sizes the Lambda functions.
type FunctionConfig struct {
	MemoryMB int
	// LogRetentionDays is the CloudWatch Logs retention of every function.
	LogRetentionDays int
	// LogLevel is the application log level (DEBUG, INFO, WARN, ERROR).
	LogLevel string
}

// MockConfig tunes the mock valuation service.
type MockConfig struct {
	// CallbackDelay is how long the mock takes to value a property.
	CallbackDelay time.Duration
	// SlowResponse is how long a "slow" request takes to be accepted.
	SlowResponse time.Duration
	// CallbackAttempts is how many times the mock tries one callback POST
	// on 429, 5xx or a network error before its state machine's own retry.
	CallbackAttempts int
	// CallbackTimeout bounds one callback POST.
	CallbackTimeout time.Duration
}

// Default returns the production defaults.
func Default() Config {
	return Config{
		Stage:           "prod",
		EventBusName:    "loanflow-valuations",
		CallbackTimeout: 24 * time.Hour,
		TokenGrace:      7 * 24 * time.Hour,
		Queue: QueueConfig{
			MaxReceiveCount:   5,
			BatchSize:         10,
			MaxBatchingWindow: 0,
			MaxConcurrency:    20,
			ConsumerTimeout:   30 * time.Second,
			Retention:         14 * 24 * time.Hour,
			AgeAlarm:          15 * time.Minute,
		},
		Callback: TargetConfig{
			RetryAttempts: 8,
			MaxEventAge:   2 * time.Hour,
			Timeout:       15 * time.Second,
		},
		ValuationService: ServiceConfig{
			RequestTimeout: 5 * time.Second,
			Attempts:       3,
			BaseBackoff:    200 * time.Millisecond,
		},
		Signature: SignatureConfig{
			SecretName: "loanflow/valuation-webhook-signing-key",
			Tolerance:  5 * time.Minute,
			CacheTTL:   5 * time.Minute,
		},
		Functions: FunctionConfig{MemoryMB: 256, LogRetentionDays: 30, LogLevel: "INFO"},
		Mock: MockConfig{CallbackDelay: 30 * time.Second, SlowResponse: 3 * time.Second,
			CallbackAttempts: 3, CallbackTimeout: 10 * time.Second},
	}
}

// Local returns the defaults for the local stack: same shape, short waits so a
// demo takes seconds.
func Local() Config {
	c := Default()
	c.Stage = "local"
	c.CallbackTimeout = 5 * time.Minute
	c.TokenGrace = time.Hour
	c.Queue.ConsumerTimeout = 10 * time.Second
	c.Queue.MaxReceiveCount = 3
	c.ValuationService.BaseBackoff = 20 * time.Millisecond
	c.ValuationService.RequestTimeout = 2 * time.Second
	c.Mock.CallbackDelay = time.Second
	c.Mock.SlowResponse = time.Second
	return c
}

// DeadLetterRetention is how long every dead-letter queue keeps a message:
// SQS's longest. SQS measures retention from when a message was first sent
// to its source queue, so a dead-letter queue must keep messages longer than
// its source or a message that waited in the source expires soon after it
// is dead-lettered.
const DeadLetterRetention = 14 * 24 * time.Hour

// DeadLetterMargin is the least time a dead-lettered valuation request stays
// in its dead-letter queue: DeadLetterRetention less the longest the request
// may have waited in its own queue.
const DeadLetterMargin = 7 * 24 * time.Hour

// RequestRetention is how long a valuation request may wait in its queue:
// Queue.Retention, but no longer than the callback timeout (by then its
// execution has stopped waiting and the request is worthless), yet long
// enough for every receive the redrive policy allows (a request that keeps
// failing must reach the dead-letter queue, not expire on the way), and
// short enough that a dead-lettered request stays DeadLetterMargin in the
// dead-letter queue. The CDK app and the local stack both deploy it.
func (c Config) RequestRetention() time.Duration {
	r := max(min(c.Queue.Retention, c.CallbackTimeout), c.Queue.deadLetterDelay(), time.Minute)
	return min(r, DeadLetterRetention-DeadLetterMargin)
}

// deadLetterDelay bounds how long a request that fails every receive takes
// to reach the dead-letter queue: a visibility timeout per receive, and one
// more for the receive that moves it.
func (q QueueConfig) deadLetterDelay() time.Duration {
	return time.Duration(q.MaxReceiveCount+1) * q.VisibilityTimeout()
}

// Validate checks every field against the limits AWS imposes, naming the field and the rule.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, field, rule string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", field, rule))
		}
	}
	check(c.Stage != "", "Stage", "must not be empty")
	check(c.EventBusName != "" && len(c.EventBusName) <= 256, "EventBusName", "must be 1-256 characters")
	check(c.CallbackTimeout >= time.Second && c.CallbackTimeout <= 365*24*time.Hour, "CallbackTimeout", "must be between 1s and 1 year")
	check(c.CallbackTimeout%time.Second == 0, "CallbackTimeout", "must be whole seconds")
	check(c.TokenGrace >= 0, "TokenGrace", "must be >= 0")
	check(c.Queue.MaxReceiveCount >= 1 && c.Queue.MaxReceiveCount <= 1000, "Queue.MaxReceiveCount", "must be between 1 and 1000")
	check(c.Queue.BatchSize >= 1 && c.Queue.BatchSize <= 10, "Queue.BatchSize", "must be between 1 and 10")
	check(c.Queue.MaxBatchingWindow >= 0 && c.Queue.MaxBatchingWindow <= 5*time.Minute, "Queue.MaxBatchingWindow", "must be between 0 and 5m")
	check(c.Queue.MaxConcurrency >= 2 && c.Queue.MaxConcurrency <= 1000, "Queue.MaxConcurrency", "must be between 2 and 1000")
	check(c.Queue.ConsumerTimeout >= time.Second && c.Queue.ConsumerTimeout <= 15*time.Minute, "Queue.ConsumerTimeout", "must be between 1s and 15m")
	check(c.Queue.VisibilityTimeout() <= 12*time.Hour, "Queue.ConsumerTimeout", "six times it (the visibility timeout) must be <= 12h")
	check(c.Queue.Retention >= time.Minute && c.Queue.Retention <= 14*24*time.Hour, "Queue.Retention", "must be between 1m and 14d")
	check(c.Queue.deadLetterDelay() <= DeadLetterRetention-DeadLetterMargin, "Queue.MaxReceiveCount",
		"(receives + 1) x the visibility timeout must be at most 7 days, so that a request that keeps failing reaches the dead-letter queue before it expires")
	check(c.Queue.AgeAlarm > 0, "Queue.AgeAlarm", "must be > 0")
	check(c.Callback.RetryAttempts >= 0 && c.Callback.RetryAttempts <= 185, "Callback.RetryAttempts", "must be between 0 and 185")
	check(c.Callback.MaxEventAge >= time.Minute && c.Callback.MaxEventAge <= 24*time.Hour, "Callback.MaxEventAge", "must be between 1m and 24h")
	check(c.Callback.Timeout >= time.Second && c.Callback.Timeout <= 15*time.Minute, "Callback.Timeout", "must be between 1s and 15m")
	if c.ValuationService.URL != "" {
		u, err := url.Parse(c.ValuationService.URL)
		check(err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "", "ValuationService.URL", "must be an absolute http(s) URL")
	}
	check(c.ValuationService.RequestTimeout > 0, "ValuationService.RequestTimeout", "must be > 0")
	check(c.ValuationService.Attempts >= 1 && c.ValuationService.Attempts <= 10, "ValuationService.Attempts", "must be between 1 and 10")
	check(c.ValuationService.BaseBackoff >= 0, "ValuationService.BaseBackoff", "must be >= 0")
	check(time.Duration(c.ValuationService.Attempts)*(c.ValuationService.RequestTimeout+4*c.ValuationService.BaseBackoff) < c.Queue.ConsumerTimeout,
		"ValuationService.Attempts", "attempts x (request timeout + backoff) must fit in Queue.ConsumerTimeout")
	check(c.Signature.Tolerance > 0, "Signature.Tolerance", "must be > 0")
	check(c.Signature.CacheTTL > 0, "Signature.CacheTTL", "must be > 0")
	check(c.Functions.MemoryMB >= 128 && c.Functions.MemoryMB <= 10240, "Functions.MemoryMB", "must be between 128 and 10240")
	check(validRetention(c.Functions.LogRetentionDays), "Functions.LogRetentionDays", "must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...)")
	switch c.Functions.LogLevel {
	case "DEBUG", "INFO", "WARN", "ERROR":
	default:
		check(false, "Functions.LogLevel", "must be DEBUG, INFO, WARN or ERROR")
	}
	check(c.Mock.CallbackDelay >= 0, "Mock.CallbackDelay", "must be >= 0")
	check(c.Mock.SlowResponse >= 0, "Mock.SlowResponse", "must be >= 0")
	check(c.Mock.CallbackAttempts >= 1 && c.Mock.CallbackAttempts <= 10, "Mock.CallbackAttempts", "must be between 1 and 10")
	check(c.Mock.CallbackTimeout > 0, "Mock.CallbackTimeout", "must be > 0")
	return errors.Join(errs...)
}

func validRetention(d int) bool {
	for _, v := range []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653} {
		if d == v {
			return true
		}
	}
	return false
}

// AllowedCallbackParameter is the SSM parameter, in the default stage, that
// holds the only callback URL prefix the mock valuation service calls back
// under (the webhook's ".../valuations/"): the LoanProcessor stack writes it
// and the mock reads it at run time, on AWS and on the local stack.
// StagePath qualifies it for the other stages.
const AllowedCallbackParameter = "/loanflow/valuation-service/allowed-callback-prefix"

// Placeholder values shared by the state machine definitions.
const (
	PlaceholderQueueURL          = "ValuationRequestQueueUrl"
	PlaceholderCallbackTimeout   = "CallbackTimeoutSeconds"
	PlaceholderEventBusName      = "EventBusName"
	PlaceholderCallbackSenderARN = "CallbackSenderFunctionArn"
)

// LoanProcessorSubstitutions returns the ${Placeholder} values of
// loan-processor.asl.json for the given queue URL and event bus name (where
// the decisions are published).
func (c Config) LoanProcessorSubstitutions(queueURL, busName string) map[string]string {
	return map[string]string{
		PlaceholderQueueURL:        queueURL,
		PlaceholderCallbackTimeout: strconv.Itoa(int(c.CallbackTimeout / time.Second)),
		PlaceholderEventBusName:    busName,
	}
}

// ValuationServiceSubstitutions returns the ${Placeholder} values of
// valuation-service.asl.json for the callback sender's function ARN.
func (c Config) ValuationServiceSubstitutions(callbackSenderARN string) map[string]string {
	return map[string]string{PlaceholderCallbackSenderARN: callbackSenderARN}
}
