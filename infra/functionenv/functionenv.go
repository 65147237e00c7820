// Package functionenv turns the typed config into each Lambda function's
// environment variables. The CDK app sets them on the deployed functions and
// the local stack hands the same map to the functions' ConfigFromEnv, so a
// function is configured by one code path in both worlds. The variable names
// are the constants of the functions' own packages.
package functionenv

import (
	"strconv"
	"time"

	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/config"
)

// Env is a function's environment.
type Env map[string]string

// Getenv looks a variable up, like os.Getenv.
func (e Env) Getenv(k string) string { return e[k] }

// Pointers returns the environment as the CDK wants it, without empty
// values. Values may hold CDK tokens (a table name, an ARN): they resolve at
// synth as usual.
func (e Env) Pointers() map[string]*string {
	out := make(map[string]*string, len(e))
	for k, v := range e {
		if v != "" {
			out[k] = &v
		}
	}
	return out
}

func dur(d time.Duration) string { return d.String() }

// ValuationRequest is the consumer's environment.
// serviceAuth is "iam" when the valuation service is this project's mock
// behind an IAM-authorized API, "none" for a real service.
func ValuationRequest(c config.Config, tableName, serviceURL, webhookBaseURL, serviceAuth string) Env {
	return Env{
		valuationrequest.EnvValuationServiceAuth: serviceAuth,
		valuationrequest.EnvTableName:            tableName,
		valuationrequest.EnvValuationServiceURL:  serviceURL,
		valuationrequest.EnvWebhookBaseURL:       webhookBaseURL,
		valuationrequest.EnvCallbackTimeout:      dur(c.CallbackTimeout),
		valuationrequest.EnvTokenGrace:           dur(c.TokenGrace),
		valuationrequest.EnvMaxReceiveCount:      strconv.Itoa(c.Queue.MaxReceiveCount),
		valuationrequest.EnvRequestTimeout:       dur(c.ValuationService.RequestTimeout),
		valuationrequest.EnvRequestAttempts:      strconv.Itoa(c.ValuationService.Attempts),
		valuationrequest.EnvRequestBaseBackoff:   dur(c.ValuationService.BaseBackoff),
		valuationrequest.EnvBatchConcurrency:     strconv.Itoa(c.Queue.BatchSize),
		valuationrequest.EnvLogLevel:             c.Functions.LogLevel,
	}
}

// Secret is a secret as a function receives it: on AWS the ARN (or name)
// of a Secrets Manager secret the function reads at start; locally the value
// itself.
type Secret struct {
	ARN   string
	Value string
	// Previous is, locally, the value before the last rotation (on AWS it
	// is the secret's AWSPREVIOUS version).
	Previous string
}

// ValuationCallback is the resolver's environment.
func ValuationCallback(c config.Config, tableName string, signing Secret) Env {
	e := Env{
		valuationcallback.EnvTableName:          tableName,
		valuationcallback.EnvSignatureTolerance: dur(c.Signature.Tolerance),
		valuationcallback.EnvSecretCacheTTL:     dur(c.Signature.CacheTTL),
		valuationcallback.EnvLogLevel:           c.Functions.LogLevel,
	}
	set(e, valuationcallback.EnvSigningSecretARN, signing.ARN)
	set(e, valuationcallback.EnvSigningSecret, signing.Value)
	set(e, valuationcallback.EnvSigningSecretPrevious, signing.Previous)
	return e
}

func set(e Env, k, v string) {
	if v != "" {
		e[k] = v
	}
}

// LateDelay is how long a mock:late valuation takes: past the processor's
// callback timeout by a twenty-fourth of it, at least two seconds (25 h for
// the default 24 h; 10 s for the demo's 8 s).
func LateDelay(callbackTimeout time.Duration) time.Duration {
	return callbackTimeout + max(2*time.Second, callbackTimeout/24)
}

// MockService is what the mock valuation service is told about its
// surroundings.
type MockService struct {
	StateMachineARN string
	// Signing is the webhook signing key.
	Signing Secret
	// WebhookAPIKey is the API key it presents to the webhook.
	WebhookAPIKey Secret
	// AllowedCallbackPrefix is the only callback URL prefix it accepts
	// (locally); AllowedCallbackParameter names the SSM parameter that
	// holds it (on AWS).
	AllowedCallbackPrefix, AllowedCallbackParameter string
}

// ValuationService is the mock valuation service's environment (both its
// functions read it).
func ValuationService(c config.Config, m MockService) Env {
	e := Env{
		valuationservice.EnvStateMachineARN:       m.StateMachineARN,
		valuationservice.EnvCallbackDelay:         dur(c.Mock.CallbackDelay),
		valuationservice.EnvLateDelay:             dur(LateDelay(c.CallbackTimeout)),
		valuationservice.EnvSlowResponse:          dur(c.Mock.SlowResponse),
		valuationservice.EnvSigningSecretCacheTTL: dur(c.Signature.CacheTTL),
		valuationservice.EnvLogLevel:              c.Functions.LogLevel,
	}
	set(e, valuationservice.EnvSigningSecretARN, m.Signing.ARN)
	set(e, valuationservice.EnvSigningSecret, m.Signing.Value)
	set(e, valuationservice.EnvWebhookAPIKeySecretARN, m.WebhookAPIKey.ARN)
	set(e, valuationservice.EnvWebhookAPIKey, m.WebhookAPIKey.Value)
	set(e, valuationservice.EnvAllowedCallbackPrefix, m.AllowedCallbackPrefix)
	set(e, valuationservice.EnvAllowedCallbackParameter, m.AllowedCallbackParameter)
	return e
}
