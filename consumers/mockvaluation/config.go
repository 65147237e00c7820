package mockvaluation

import (
	"errors"
	"fmt"
	"time"

	"loanflow/consumers/internal/envconf"
)

// Environment variables the two functions read. Durations are Go durations
// ("30s") or whole seconds. The tunables have no defaults here: the typed
// config that sets them holds those, and a missing one is an error.
const (
	// EnvStateMachineARN is the mock service's state machine (required by
	// the API function).
	EnvStateMachineARN = "VALUATION_STATE_MACHINE_ARN"
	// EnvCallbackDelay is how long a normal valuation takes (required).
	EnvCallbackDelay = "CALLBACK_DELAY"
	// EnvLateDelay is how long a mock:late valuation takes; set it longer
	// than the loan processor's callback timeout (required).
	EnvLateDelay = "LATE_DELAY"
	// EnvSlowResponse is how long a mock:slow request takes to be accepted
	// (required).
	EnvSlowResponse = "SLOW_RESPONSE"
	// EnvSigningSecretARN is the ARN or name of the Secrets Manager secret
	// holding the HMAC key (the callback sender needs it or EnvSigningSecret).
	EnvSigningSecretARN = "SIGNING_SECRET_ARN"
	// EnvSigningSecret is the HMAC key itself, for local use.
	EnvSigningSecret = "SIGNING_SECRET"
	// EnvSigningSecretCacheTTL is how long the key read from Secrets Manager
	// is used before it is read again, so a rotation reaches the sender
	// (required).
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
	// (required, 1-10).
	EnvCallbackAttempts = "CALLBACK_ATTEMPTS"
	// EnvCallbackTimeout bounds one callback POST (required).
	EnvCallbackTimeout = "CALLBACK_HTTP_TIMEOUT"
	// EnvLogLevel is the log level (required); Lambda's AWS_LAMBDA_LOG_LEVEL
	// wins.
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

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
// Every tunable is required; what each function needs besides
// (NewAPIHandler a state machine and an allowed callback prefix,
// NewCallbackSender a signing secret and the webhook's API key) its
// constructor checks.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{
		StateMachineARN:  r.String(EnvStateMachineARN, ""),
		CallbackDelay:    r.Duration(EnvCallbackDelay),
		LateDelay:        r.Duration(EnvLateDelay),
		SlowResponse:     r.Duration(EnvSlowResponse),
		SigningSecretID:  r.String(EnvSigningSecretARN, ""),
		SecretCacheTTL:   r.PositiveDuration(EnvSigningSecretCacheTTL),
		CallbackTimeout:  r.PositiveDuration(EnvCallbackTimeout),
		CallbackAttempts: r.Int(EnvCallbackAttempts, 1, 10),
		LogLevel:         r.LogLevel(EnvLogLevel),

		AllowedCallbackPrefix:    r.String(EnvAllowedCallbackPrefix, ""),
		AllowedCallbackParameter: r.String(EnvAllowedCallbackParameter, ""),
		WebhookAPIKeyID:          r.String(EnvWebhookAPIKeySecretARN, ""),
		WebhookAPIKey:            r.String(EnvWebhookAPIKey, ""),
	}
	if s := getenv(EnvSigningSecret); s != "" {
		c.SigningSecret = []byte(s)
	}
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("mock valuation service config: %w", err)
	}
	return c, c.Validate()
}

// Validate checks the values both functions depend on, naming the field and
// the rule.
func (c Config) Validate() error {
	var errs []error
	if c.CallbackTimeout <= 0 {
		errs = append(errs, errors.New("CallbackTimeout: must be > 0"))
	}
	if c.CallbackAttempts < 1 {
		errs = append(errs, errors.New("CallbackAttempts: must be >= 1"))
	}
	if c.SecretCacheTTL <= 0 {
		errs = append(errs, errors.New("SecretCacheTTL: must be > 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mock valuation service config: %w", err)
	}
	return nil
}
