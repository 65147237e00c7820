// Package functionspec describes each Lambda function once, from the typed
// config: its name and main package, its environment, timeout, memory and
// reserved concurrency, and the SQS event source of the function that has
// one. The CDK app deploys these specs (infra/cloud) and the local stack
// registers them (infra/local), so the two worlds cannot configure a
// function differently; a test in infra/cloud synthesizes the app and
// compares every deployed function with the one the local stack registered.
//
// What each world knows its own way, the names and addresses of the
// resources a function uses (a CDK token for a table name, a local URL),
// comes in as Resources or MockResources. The environment variables' names
// are the constants of the functions' own packages, which read them (see
// their Build), and every tunable's default is in infra/config.
package functionspec

import (
	"strconv"
	"time"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/infra/config"
)

// The functions' names: each is its main package's directory under
// consumers/functions and its name on the local stack.
const (
	NameValuationRequest   = "valuation-request"
	NameValuationCallback  = "valuation-callback"
	NameMockAPI            = "valuation-service-api"
	NameMockCallbackSender = "valuation-service-callback"
)

// Names lists every function, in the order the flow reaches them.
var Names = []string{NameValuationRequest, NameMockAPI, NameMockCallbackSender, NameValuationCallback}

// Spec is one function as both worlds deploy it.
type Spec struct {
	// Name is one of the Name constants.
	Name string
	// Main is the main package's directory relative to the module root.
	Main        string
	Description string
	// Environment is what the function's Build reads.
	Environment Env
	Timeout     time.Duration
	MemoryMB    int
	// ReservedConcurrency is the concurrency reserved for the function;
	// 0 reserves none (it shares the account's unreserved pool).
	ReservedConcurrency int
	// LogLevel is the application log level Lambda filters at.
	LogLevel string
	// Queue is the function's SQS event source; nil when it has none.
	Queue *QueueSource
}

// QueueSource is an SQS event source mapping's settings.
type QueueSource struct {
	// BatchSize is the most messages one invocation receives.
	BatchSize int
	// MaxBatchingWindow is how long the poller waits to fill a batch.
	MaxBatchingWindow time.Duration
	// MaxConcurrency bounds the invocations the mapping runs at once.
	MaxConcurrency int
	// ReportBatchItemFailures: the function names the messages that failed
	// and only those are received again.
	ReportBatchItemFailures bool
}

// Env is a function's environment.
type Env map[string]string

// Getenv looks a variable up, like os.Getenv.
func (e Env) Getenv(k string) string { return e[k] }

// Pointers returns the environment as the CDK wants it. Values may hold CDK
// tokens (a table name, an ARN): they resolve at synth as usual.
func (e Env) Pointers() map[string]*string {
	out := make(map[string]*string, len(e))
	for k, v := range e {
		if v != "" {
			out[k] = &v
		}
	}
	return out
}

// set adds a variable unless its value is empty: an unset variable and an
// empty one read the same, and the CDK drops empty ones.
func (e Env) set(k, v string) {
	if v != "" {
		e[k] = v
	}
}

func dur(d time.Duration) string { return d.String() }

// Secret is a secret as a function receives it: on AWS the ARN (or name)
// of a Secrets Manager secret the function reads at start; locally the value
// itself, or the name of the local stack's secret.
type Secret struct {
	ARN   string
	Value string
	// Previous is, locally, the value before the last rotation (on AWS it
	// is the secret's AWSPREVIOUS version).
	Previous string
}

// Resources are what the loan processor's functions use that each world
// names its own way.
type Resources struct {
	// TokenTable is the token table's name.
	TokenTable string
	// ValuationServiceURL is the valuation service's POST endpoint: the
	// configured real service's, or the mock's.
	ValuationServiceURL string
	// WebhookBaseURL is the webhook API's base URL.
	WebhookBaseURL string
	// Signing is the webhook signing key.
	Signing Secret
}

// MockResources are what the mock valuation service's functions use that
// each world names its own way.
type MockResources struct {
	// StateMachineARN is the mock's state machine, which the API starts
	// (the sender, which the state machine invokes, does without).
	StateMachineARN string
	// Signing is the webhook signing key.
	Signing Secret
	// WebhookAPIKey is the API key the sender presents to the webhook.
	WebhookAPIKey Secret
	// AllowedCallbackPrefix is the only callback URL prefix the API
	// accepts, given directly; AllowedCallbackParameter names the SSM
	// parameter that holds it.
	AllowedCallbackPrefix, AllowedCallbackParameter string
}

func spec(c config.Config, name, description string, timeout time.Duration, env Env) Spec {
	return Spec{
		Name: name, Main: "consumers/functions/" + name, Description: description,
		Environment: env, Timeout: timeout, MemoryMB: c.Functions.MemoryMB, LogLevel: c.Functions.LogLevel,
	}
}

// ServiceAuth is how the request consumer authenticates to the valuation
// service: SigV4 for the mock, which sits behind an IAM-authorized API in
// both worlds; nothing for a configured real service.
func ServiceAuth(c config.Config) string {
	if c.ValuationService.URL == "" {
		return valuationrequest.AuthIAM
	}
	return valuationrequest.AuthNone
}

// RequestQueue is the request consumer's SQS event source.
func RequestQueue(c config.Config) QueueSource {
	return QueueSource{BatchSize: c.Queue.BatchSize, MaxBatchingWindow: c.Queue.MaxBatchingWindow,
		MaxConcurrency: c.Queue.MaxConcurrency, ReportBatchItemFailures: true}
}

// ValuationRequest is the request consumer, which the valuation-request
// queue invokes: its timeout is the one the queue's visibility timeout is
// six times.
func ValuationRequest(c config.Config, r Resources) Spec {
	env := Env{
		valuationrequest.EnvValuationServiceAuth: ServiceAuth(c),
		valuationrequest.EnvCallbackTimeout:      dur(c.CallbackTimeout),
		valuationrequest.EnvTokenGrace:           dur(c.TokenGrace),
		valuationrequest.EnvMaxReceiveCount:      strconv.Itoa(c.Queue.MaxReceiveCount),
		valuationrequest.EnvRequestTimeout:       dur(c.ValuationService.RequestTimeout),
		valuationrequest.EnvRequestAttempts:      strconv.Itoa(c.ValuationService.Attempts),
		valuationrequest.EnvRequestBaseBackoff:   dur(c.ValuationService.BaseBackoff),
		valuationrequest.EnvBatchConcurrency:     strconv.Itoa(c.Queue.BatchSize),
		valuationrequest.EnvLogLevel:             c.Functions.LogLevel,
	}
	env.set(valuationrequest.EnvTableName, r.TokenTable)
	env.set(valuationrequest.EnvValuationServiceURL, r.ValuationServiceURL)
	env.set(valuationrequest.EnvWebhookBaseURL, r.WebhookBaseURL)
	s := spec(c, NameValuationRequest, "Stores each request's task token, then orders the valuation.", c.Queue.ConsumerTimeout, env)
	q := RequestQueue(c)
	s.Queue = &q
	return s
}

// ValuationCallback is the callback resolver, which the "Valuation
// Completed" and "Valuation Failed" rules invoke.
func ValuationCallback(c config.Config, r Resources) Spec {
	env := Env{
		valuationcallback.EnvSignatureTolerance: dur(c.Signature.Tolerance),
		valuationcallback.EnvSecretCacheTTL:     dur(c.Signature.CacheTTL),
		valuationcallback.EnvLogLevel:           c.Functions.LogLevel,
	}
	env.set(valuationcallback.EnvTableName, r.TokenTable)
	env.set(valuationcallback.EnvSigningSecretARN, r.Signing.ARN)
	env.set(valuationcallback.EnvSigningSecret, r.Signing.Value)
	env.set(valuationcallback.EnvSigningSecretPrevious, r.Signing.Previous)
	return spec(c, NameValuationCallback, "Verifies each valuation callback and resumes its execution exactly once.", c.Callback.Timeout, env)
}

// LateDelay is how long a mock:late valuation takes: past the processor's
// callback timeout by a twenty-fourth of it, at least two seconds (25 h for
// the default 24 h; 10 s for the demo's 8 s).
func LateDelay(callbackTimeout time.Duration) time.Duration {
	return callbackTimeout + max(2*time.Second, callbackTimeout/24)
}

// mockEnv is the environment both of the mock's functions read.
func mockEnv(c config.Config, m MockResources) Env {
	env := Env{
		mockvaluation.EnvCallbackDelay:         dur(c.Mock.CallbackDelay),
		mockvaluation.EnvLateDelay:             dur(LateDelay(c.CallbackTimeout)),
		mockvaluation.EnvSlowResponse:          dur(c.Mock.SlowResponse),
		mockvaluation.EnvSigningSecretCacheTTL: dur(c.Signature.CacheTTL),
		mockvaluation.EnvCallbackAttempts:      strconv.Itoa(c.Mock.CallbackAttempts),
		mockvaluation.EnvCallbackTimeout:       dur(c.Mock.CallbackTimeout),
		mockvaluation.EnvLogLevel:              c.Functions.LogLevel,
	}
	env.set(mockvaluation.EnvStateMachineARN, m.StateMachineARN)
	env.set(mockvaluation.EnvSigningSecretARN, m.Signing.ARN)
	env.set(mockvaluation.EnvSigningSecret, m.Signing.Value)
	env.set(mockvaluation.EnvWebhookAPIKeySecretARN, m.WebhookAPIKey.ARN)
	env.set(mockvaluation.EnvWebhookAPIKey, m.WebhookAPIKey.Value)
	env.set(mockvaluation.EnvAllowedCallbackPrefix, m.AllowedCallbackPrefix)
	env.set(mockvaluation.EnvAllowedCallbackParameter, m.AllowedCallbackParameter)
	return env
}

// MockAPI is the mock valuation service's API function, which the request
// consumer calls within its own timeout: it gets the same.
func MockAPI(c config.Config, m MockResources) Spec {
	return spec(c, NameMockAPI, "Accepts a valuation request and starts a survey.", c.Queue.ConsumerTimeout, mockEnv(c, m))
}

// MockCallbackSender is the mock valuation service's callback sender,
// which its state machine invokes: it has the consumer's timeout too.
func MockCallbackSender(c config.Config, m MockResources) Spec {
	return spec(c, NameMockCallbackSender, "Signs a valuation and POSTs it to the loan processor's webhook.", c.Queue.ConsumerTimeout, mockEnv(c, m))
}
