package valuationservice

import (
	"fmt"
	"time"

	"loanflow/consumers/internal/envconf"
)

// Environment variables the two functions read. Durations are Go durations
// ("30s") or whole seconds.
const (
	// EnvStateMachineARN is the mock service's state machine (required by
	// the API function).
	EnvStateMachineARN = "VALUATION_STATE_MACHINE_ARN"
	// EnvCallbackDelay is how long a normal valuation takes (default 30s).
	EnvCallbackDelay = "CALLBACK_DELAY"
	// EnvLateDelay is how long a mock:late valuation takes; set it longer
	// than the loan processor's callback timeout (default 25h).
	EnvLateDelay = "LATE_DELAY"
	// EnvSlowResponse is how long a mock:slow request takes to be accepted
	// (default 3s).
	EnvSlowResponse = "SLOW_RESPONSE"
	// EnvSigningSecretARN is the ARN or name of the Secrets Manager secret
	// holding the HMAC key (the callback sender needs it or EnvSigningSecret).
	EnvSigningSecretARN = "SIGNING_SECRET_ARN"
	// EnvSigningSecret is the HMAC key itself, for local use.
	EnvSigningSecret = "SIGNING_SECRET"
	// EnvSigningSecretCacheTTL is how long the key read from Secrets Manager
	// is used before it is read again, so a rotation reaches the sender
	// (default 5m).
	EnvSigningSecretCacheTTL = "SIGNING_SECRET_CACHE_TTL"
	// EnvAllowedCallbackPrefix is the only URL prefix the service calls
	// back under (this stack's webhook, ".../valuations/"); requests with
	// any other callbackUrl are refused with 400. Local use.
	EnvAllowedCallbackPrefix = "ALLOWED_CALLBACK_URL_PREFIX"
	// EnvAllowedCallbackParameter names the SSM parameter holding that
	// prefix, on AWS (the webhook is deployed after the mock, so its URL
	// reaches the mock at run time). One of the two is required by the
	// API function.
	EnvAllowedCallbackParameter = "ALLOWED_CALLBACK_URL_PARAMETER"
	// EnvWebhookAPIKeySecretARN is the secret holding the API key the mock
	// presents to the webhook (x-api-key), on AWS.
	EnvWebhookAPIKeySecretARN = "WEBHOOK_API_KEY_SECRET_ARN"
	// EnvWebhookAPIKey is that API key itself, for local use.
	EnvWebhookAPIKey = "WEBHOOK_API_KEY"
	// EnvCallbackAttempts is how many times one callback POST is tried on
	// 429, 5xx or a network error before the state machine's own retry
	// (default 3).
	EnvCallbackAttempts = "CALLBACK_ATTEMPTS"
	// EnvCallbackTimeout bounds one callback POST (default 10s).
	EnvCallbackTimeout = "CALLBACK_HTTP_TIMEOUT"
	// EnvLogLevel is the log level; Lambda's AWS_LAMBDA_LOG_LEVEL wins.
	EnvLogLevel = "LOG_LEVEL"
)

// Config is the mock service's typed configuration, shared by its API
// function and its callback sender.
type Config struct {
	StateMachineARN string
	CallbackDelay   time.Duration
	LateDelay       time.Duration
	SlowResponse    time.Duration
	SigningSecretID string
	// SigningSecret is the HMAC key, when given directly (locally).
	SigningSecret []byte
	// SecretCacheTTL is how long a key read from Secrets Manager is used.
	SecretCacheTTL time.Duration
	// AllowedCallbackPrefix is the only callback URL prefix accepted, when
	// given directly; AllowedCallbackParameter names the SSM parameter that
	// holds it.
	AllowedCallbackPrefix    string
	AllowedCallbackParameter string
	// WebhookAPIKeyID names the secret holding the webhook API key;
	// WebhookAPIKey is the key itself, when given directly.
	WebhookAPIKeyID  string
	WebhookAPIKey    string
	CallbackAttempts int
	CallbackTimeout  time.Duration
	LogLevel         string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		CallbackDelay:    30 * time.Second,
		LateDelay:        25 * time.Hour,
		SlowResponse:     3 * time.Second,
		CallbackTimeout:  10 * time.Second,
		CallbackAttempts: 3,
		SecretCacheTTL:   5 * time.Minute,
		LogLevel:         "INFO",
	}
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
// Nothing is required here: NewAPIHandler needs StateMachineARN and
// NewCallbackSender a signing secret.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	d := DefaultConfig()
	r := envconf.New(getenv)
	c := Config{
		StateMachineARN: r.String(EnvStateMachineARN, ""),
		CallbackDelay:   r.Duration(EnvCallbackDelay, d.CallbackDelay),
		LateDelay:       r.Duration(EnvLateDelay, d.LateDelay),
		SlowResponse:    r.Duration(EnvSlowResponse, d.SlowResponse),
		SigningSecretID: r.String(EnvSigningSecretARN, ""),
		SecretCacheTTL:  r.Duration(EnvSigningSecretCacheTTL, d.SecretCacheTTL),
		CallbackTimeout: r.Duration(EnvCallbackTimeout, d.CallbackTimeout),
		LogLevel:        r.String("AWS_LAMBDA_LOG_LEVEL", r.String(EnvLogLevel, d.LogLevel)),

		AllowedCallbackPrefix:    r.String(EnvAllowedCallbackPrefix, ""),
		AllowedCallbackParameter: r.String(EnvAllowedCallbackParameter, ""),
		WebhookAPIKeyID:          r.String(EnvWebhookAPIKeySecretARN, ""),
		WebhookAPIKey:            r.String(EnvWebhookAPIKey, ""),
		CallbackAttempts:         r.Int(EnvCallbackAttempts, d.CallbackAttempts, 1, 10),
	}
	if s := getenv(EnvSigningSecret); s != "" {
		c.SigningSecret = []byte(s)
	}
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("valuation-service config: %w", err)
	}
	switch {
	case c.CallbackTimeout <= 0:
		return Config{}, fmt.Errorf("valuation-service config: %s: must be > 0", EnvCallbackTimeout)
	case c.SecretCacheTTL <= 0:
		return Config{}, fmt.Errorf("valuation-service config: %s: must be > 0", EnvSigningSecretCacheTTL)
	}
	return c, nil
}
