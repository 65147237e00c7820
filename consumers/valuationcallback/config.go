package valuationcallback

import (
	"fmt"
	"time"

	"loanflow/consumers/internal/envconf"
)

// Environment variables the function reads. The CDK app and the local stack
// set them from the typed config, which holds the defaults: every tunable is
// required here. Durations are Go durations ("5m0s") or whole seconds.
const (
	// EnvTableName is the token table's name (required).
	EnvTableName = "TOKEN_TABLE_NAME"
	// EnvSigningSecretARN is the ARN or name of the Secrets Manager secret
	// holding the HMAC key; Build reads it once at start.
	EnvSigningSecretARN = "SIGNING_SECRET_ARN"
	// EnvSigningSecret is the HMAC key itself, for local use. One of it and
	// EnvSigningSecretARN is required: the function does not start without
	// a key.
	EnvSigningSecret = "SIGNING_SECRET"
	// EnvSigningSecretPrevious is the key before the last rotation, for
	// local use; on AWS it is the secret's AWSPREVIOUS version.
	EnvSigningSecretPrevious = "SIGNING_SECRET_PREVIOUS"
	// EnvSecretCacheTTL is how long the keys read from Secrets Manager are
	// used before they are read again (required).
	EnvSecretCacheTTL = "SIGNING_SECRET_CACHE_TTL"
	// EnvSignatureTolerance is the accepted age and clock skew of a signed
	// callback (required).
	EnvSignatureTolerance = "SIGNATURE_TOLERANCE"
	// EnvLogLevel is the log level (required); Lambda's AWS_LAMBDA_LOG_LEVEL
	// wins.
	EnvLogLevel = "LOG_LEVEL"
)

// Config is the resolver's typed configuration.
type Config struct {
	TableName string
	// SigningSecretID is the secret's ARN or name; Build reads the keys
	// from it.
	SigningSecretID string
	// SigningSecret is the HMAC key, when given directly (locally).
	SigningSecret []byte
	// SigningSecretPrevious is the key before the last rotation, when
	// given directly.
	SigningSecretPrevious []byte
	// SecretCacheTTL is how long keys read from Secrets Manager are used.
	SecretCacheTTL     time.Duration
	SignatureTolerance time.Duration
	LogLevel           string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{
		TableName:          r.Required(EnvTableName),
		SigningSecretID:    r.String(EnvSigningSecretARN, ""),
		SignatureTolerance: r.PositiveDuration(EnvSignatureTolerance),
		SecretCacheTTL:     r.PositiveDuration(EnvSecretCacheTTL),
		LogLevel:           r.LogLevel(EnvLogLevel),
	}
	if s := getenv(EnvSigningSecret); s != "" {
		c.SigningSecret = []byte(s)
	}
	if s := getenv(EnvSigningSecretPrevious); s != "" {
		c.SigningSecretPrevious = []byte(s)
	}
	r.Check(c.SigningSecretID != "" || len(c.SigningSecret) > 0, EnvSigningSecretARN+" or "+EnvSigningSecret,
		"one is required (callbacks cannot be verified without a key)")
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("valuation-callback config: %w", err)
	}
	return c, nil
}
