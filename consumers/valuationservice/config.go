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
	// SigningSecret is the HMAC key; main loads it from SigningSecretID
	// when that is set.
	SigningSecret   []byte
	CallbackTimeout time.Duration
	LogLevel        string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		CallbackDelay:   30 * time.Second,
		LateDelay:       25 * time.Hour,
		SlowResponse:    3 * time.Second,
		CallbackTimeout: 10 * time.Second,
		LogLevel:        "INFO",
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
		CallbackTimeout: r.Duration(EnvCallbackTimeout, d.CallbackTimeout),
		LogLevel:        r.String("AWS_LAMBDA_LOG_LEVEL", r.String(EnvLogLevel, d.LogLevel)),
	}
	if s := getenv(EnvSigningSecret); s != "" {
		c.SigningSecret = []byte(s)
	}
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("valuation-service config: %w", err)
	}
	if c.CallbackTimeout <= 0 {
		return Config{}, fmt.Errorf("valuation-service config: %s: must be > 0", EnvCallbackTimeout)
	}
	return c, nil
}
