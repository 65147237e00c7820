package valuationcallback

import (
	"fmt"
	"time"

	"loanflow/consumers/internal/envconf"
)

// Environment variables the function reads. Durations are Go durations
// ("5m0s") or whole seconds.
const (
	// EnvTableName is the token table's name (required).
	EnvTableName = "TOKEN_TABLE_NAME"
	// EnvSigningSecretARN is the ARN or name of the Secrets Manager secret
	// holding the HMAC key; main reads it once at start.
	EnvSigningSecretARN = "SIGNING_SECRET_ARN"
	// EnvSigningSecret is the HMAC key itself, for local use. With neither
	// variable set, signatures are not checked.
	EnvSigningSecret = "SIGNING_SECRET"
	// EnvSignatureTolerance is the accepted age and clock skew of a signed
	// callback (default 5m).
	EnvSignatureTolerance = "SIGNATURE_TOLERANCE"
	// EnvLogLevel is the log level; Lambda's AWS_LAMBDA_LOG_LEVEL wins.
	EnvLogLevel = "LOG_LEVEL"
)

// Config is the resolver's typed configuration.
type Config struct {
	TableName string
	// SigningSecretID is the secret's ARN or name; main loads it into
	// SigningSecret.
	SigningSecretID string
	// SigningSecret is the HMAC key; empty means signatures are not checked.
	SigningSecret      []byte
	SignatureTolerance time.Duration
	LogLevel           string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{
		TableName:          r.Required(EnvTableName),
		SigningSecretID:    r.String(EnvSigningSecretARN, ""),
		SignatureTolerance: r.Duration(EnvSignatureTolerance, 5*time.Minute),
		LogLevel:           r.String("AWS_LAMBDA_LOG_LEVEL", r.String(EnvLogLevel, "INFO")),
	}
	if s := getenv(EnvSigningSecret); s != "" {
		c.SigningSecret = []byte(s)
	}
	if err := r.Err(); err != nil {
		return Config{}, fmt.Errorf("valuation-callback config: %w", err)
	}
	if c.SignatureTolerance <= 0 {
		return Config{}, fmt.Errorf("valuation-callback config: %s: must be > 0", EnvSignatureTolerance)
	}
	return c, nil
}
