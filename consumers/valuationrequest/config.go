package valuationrequest

import (
	"errors"
	"fmt"
	"time"

	"loanflow/consumers/internal/envconf"
)

// Environment variables the function reads. The CDK app and the local stack
// set them from the typed config, which holds their defaults: every one is
// required here. Durations are Go durations ("30s", "24h0m0s") or whole
// seconds.
const (
	// EnvTableName is the token table's name (required).
	EnvTableName = "TOKEN_TABLE_NAME"
	// EnvValuationServiceURL is the valuation service's POST endpoint, e.g.
	// https://valuations.example.com/valuations (required).
	EnvValuationServiceURL = "VALUATION_SERVICE_URL"
	// EnvWebhookBaseURL is the webhook API's base URL; callback URLs are
	// WEBHOOK_BASE_URL + "/valuations/" + callbackId (required).
	EnvWebhookBaseURL = "WEBHOOK_BASE_URL"
	// EnvCallbackTimeout is RequestValuation's timeout.
	EnvCallbackTimeout = "CALLBACK_TIMEOUT"
	// EnvTokenGrace is how long a token record outlives the callback
	// timeout before its TTL.
	EnvTokenGrace = "TOKEN_GRACE"
	// EnvMaxReceiveCount is the queue's redrive maxReceiveCount: on that
	// receive a transient failure fails the task.
	EnvMaxReceiveCount = "MAX_RECEIVE_COUNT"
	// EnvRequestTimeout bounds one HTTP attempt.
	EnvRequestTimeout = "REQUEST_TIMEOUT"
	// EnvRequestAttempts is HTTP attempts per invocation.
	EnvRequestAttempts = "REQUEST_ATTEMPTS"
	// EnvRequestBaseBackoff is the first retry's backoff cap; later ones
	// double, with full jitter.
	EnvRequestBaseBackoff = "REQUEST_BASE_BACKOFF"
	// EnvBatchConcurrency bounds the messages processed at once.
	EnvBatchConcurrency = "BATCH_CONCURRENCY"
	// EnvValuationServiceAuth is how requests to the valuation service are
	// authenticated: "none" (a real service) or "iam" (SigV4 for
	// execute-api with the function's role, as the mock's IAM-authorized
	// API requires).
	EnvValuationServiceAuth = "VALUATION_SERVICE_AUTH"
	// EnvLogLevel is the log level (DEBUG, INFO, WARN, ERROR); Lambda's own
	// AWS_LAMBDA_LOG_LEVEL wins when set.
	EnvLogLevel = "LOG_LEVEL"
)

// Config is the consumer's typed configuration.
type Config struct {
	TableName           string
	ValuationServiceURL string
	WebhookBaseURL      string
	CallbackTimeout     time.Duration
	TokenGrace          time.Duration
	MaxReceiveCount     int
	RequestTimeout      time.Duration
	RequestAttempts     int
	BaseBackoff         time.Duration
	BatchConcurrency    int
	// ServiceAuth is how requests to the valuation service are
	// authenticated: AuthNone or AuthIAM.
	ServiceAuth string
	LogLevel    string
}

// Valuation service authentication modes.
const (
	AuthNone = "none"
	AuthIAM  = "iam"
)

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{
		TableName:           r.Required(EnvTableName),
		ValuationServiceURL: r.URL(EnvValuationServiceURL),
		WebhookBaseURL:      r.URL(EnvWebhookBaseURL),
		CallbackTimeout:     r.Duration(EnvCallbackTimeout),
		TokenGrace:          r.Duration(EnvTokenGrace),
		MaxReceiveCount:     r.Int(EnvMaxReceiveCount, 1, 1000),
		RequestTimeout:      r.Duration(EnvRequestTimeout),
		RequestAttempts:     r.Int(EnvRequestAttempts, 1, 10),
		BaseBackoff:         r.Duration(EnvRequestBaseBackoff),
		BatchConcurrency:    r.Int(EnvBatchConcurrency, 1, 100),
		ServiceAuth:         r.OneOf(EnvValuationServiceAuth, AuthNone, AuthIAM),
		LogLevel:            r.LogLevel(EnvLogLevel),
	}
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("valuation-request config: %w", err)
	}
	return c, c.Validate()
}

// Validate checks the values the handler depends on.
func (c Config) Validate() error {
	var errs []error
	if c.ValuationServiceURL == "" {
		errs = append(errs, errors.New("ValuationServiceURL: must be set"))
	}
	if c.WebhookBaseURL == "" {
		errs = append(errs, errors.New("WebhookBaseURL: must be set"))
	}
	if c.CallbackTimeout <= 0 {
		errs = append(errs, errors.New("CallbackTimeout: must be > 0"))
	}
	if c.MaxReceiveCount < 1 {
		errs = append(errs, errors.New("MaxReceiveCount: must be >= 1"))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("RequestTimeout: must be > 0"))
	}
	if c.RequestAttempts < 1 {
		errs = append(errs, errors.New("RequestAttempts: must be >= 1"))
	}
	if c.BatchConcurrency < 1 {
		errs = append(errs, errors.New("BatchConcurrency: must be >= 1"))
	}
	if c.ServiceAuth != AuthNone && c.ServiceAuth != AuthIAM {
		errs = append(errs, fmt.Errorf("ServiceAuth: must be %q or %q, not %q", AuthNone, AuthIAM, c.ServiceAuth))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("valuation-request config: %w", err)
	}
	return nil
}
