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
func ValuationRequest(c config.Config, tableName, serviceURL, webhookBaseURL string) Env {
	return Env{
		valuationrequest.EnvTableName:           tableName,
		valuationrequest.EnvValuationServiceURL: serviceURL,
		valuationrequest.EnvWebhookBaseURL:      webhookBaseURL,
		valuationrequest.EnvCallbackTimeout:     dur(c.CallbackTimeout),
		valuationrequest.EnvTokenGrace:          dur(c.TokenGrace),
		valuationrequest.EnvMaxReceiveCount:     strconv.Itoa(c.Queue.MaxReceiveCount),
		valuationrequest.EnvRequestTimeout:      dur(c.ValuationService.RequestTimeout),
		valuationrequest.EnvRequestAttempts:     strconv.Itoa(c.ValuationService.Attempts),
		valuationrequest.EnvRequestBaseBackoff:  dur(c.ValuationService.BaseBackoff),
		valuationrequest.EnvBatchConcurrency:    strconv.Itoa(c.Queue.BatchSize),
		valuationrequest.EnvLogLevel:            c.Functions.LogLevel,
	}
}

// ValuationCallback is the resolver's environment. On AWS secretARN names the
// Secrets Manager secret; locally secret carries the key itself.
func ValuationCallback(c config.Config, tableName, secretARN, secret string) Env {
	e := Env{
		valuationcallback.EnvTableName:          tableName,
		valuationcallback.EnvSignatureTolerance: dur(c.Signature.Tolerance),
		valuationcallback.EnvLogLevel:           c.Functions.LogLevel,
	}
	if secretARN != "" {
		e[valuationcallback.EnvSigningSecretARN] = secretARN
	}
	if secret != "" {
		e[valuationcallback.EnvSigningSecret] = secret
	}
	return e
}

// LateDelay is how long a mock:late valuation takes: past the processor's
// callback timeout by a twenty-fourth of it, at least two seconds (25 h for
// the default 24 h; 10 s for the demo's 8 s).
func LateDelay(callbackTimeout time.Duration) time.Duration {
	return callbackTimeout + max(2*time.Second, callbackTimeout/24)
}

// ValuationService is the mock valuation service's environment (both its
// functions read it). On AWS secretARN names the secret; locally secret
// carries the key itself.
func ValuationService(c config.Config, stateMachineARN, secretARN, secret string) Env {
	e := Env{
		valuationservice.EnvStateMachineARN: stateMachineARN,
		valuationservice.EnvCallbackDelay:   dur(c.Mock.CallbackDelay),
		valuationservice.EnvLateDelay:       dur(LateDelay(c.CallbackTimeout)),
		valuationservice.EnvSlowResponse:    dur(c.Mock.SlowResponse),
		valuationservice.EnvLogLevel:        c.Functions.LogLevel,
	}
	if secretARN != "" {
		e[valuationservice.EnvSigningSecretARN] = secretARN
	}
	if secret != "" {
		e[valuationservice.EnvSigningSecret] = secret
	}
	return e
}
