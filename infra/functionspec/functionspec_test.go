package functionspec_test

import (
	"testing"
	"time"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/infra/config"
	"loanflow/infra/functionspec"
)

var (
	resources = functionspec.Resources{TokenTable: "tokens", ValuationServiceURL: "https://svc.example/valuations",
		WebhookBaseURL: "https://hook.example/prod", Signing: functionspec.Secret{ARN: "loanflow/valuation-webhook-signing-key"}}
	mockResources = functionspec.MockResources{
		StateMachineARN:          "arn:aws:states:us-east-1:000000000000:stateMachine:ValuationService",
		Signing:                  functionspec.Secret{ARN: "loanflow/valuation-webhook-signing-key"},
		WebhookAPIKey:            functionspec.Secret{ARN: "loanflow/mock-webhook-api-key"},
		AllowedCallbackParameter: config.AllowedCallbackParameter,
	}
)

// configs are the typed configs the specs are built from: the defaults, the
// local stack's, and one with a real valuation service and tunables unlike
// either.
func configs() map[string]config.Config {
	tuned := config.Default()
	tuned.ValuationService.URL = "https://valuations.example.com/valuations"
	tuned.Queue.ConsumerTimeout = 40 * time.Second
	tuned.Callback.Timeout = 25 * time.Second
	tuned.Functions.MemoryMB = 512
	tuned.Functions.LogLevel = "WARN"
	tuned.Mock.CallbackAttempts = 5
	tuned.Mock.CallbackTimeout = 7 * time.Second
	return map[string]config.Config{"default": config.Default(), "local": config.Local(), "tuned": tuned}
}

// The consumers have no defaults of their own: a spec that left a variable
// out would stop its function from starting. Each one's environment must
// carry the typed config to the function unchanged.
func TestEveryFunctionReadsItsSpec(t *testing.T) {
	for name, c := range configs() {
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		req := functionspec.ValuationRequest(c, resources)
		rc, err := valuationrequest.ConfigFromEnv(req.Environment.Getenv)
		if err != nil {
			t.Fatalf("%s request: %v", name, err)
		}
		if rc.TableName != "tokens" || rc.CallbackTimeout != c.CallbackTimeout || rc.TokenGrace != c.TokenGrace ||
			rc.MaxReceiveCount != c.Queue.MaxReceiveCount || rc.RequestTimeout != c.ValuationService.RequestTimeout ||
			rc.RequestAttempts != c.ValuationService.Attempts || rc.BaseBackoff != c.ValuationService.BaseBackoff ||
			rc.BatchConcurrency != c.Queue.BatchSize || rc.LogLevel != c.Functions.LogLevel ||
			rc.WebhookBaseURL != resources.WebhookBaseURL || rc.ValuationServiceURL != resources.ValuationServiceURL {
			t.Errorf("%s: request config did not round-trip: %+v", name, rc)
		}

		cb := functionspec.ValuationCallback(c, resources)
		cc, err := valuationcallback.ConfigFromEnv(cb.Environment.Getenv)
		if err != nil {
			t.Fatalf("%s callback: %v", name, err)
		}
		if cc.TableName != "tokens" || cc.SigningSecretID != resources.Signing.ARN || cc.SignatureTolerance != c.Signature.Tolerance ||
			cc.SecretCacheTTL != c.Signature.CacheTTL || cc.LogLevel != c.Functions.LogLevel {
			t.Errorf("%s: callback config did not round-trip: %+v", name, cc)
		}

		for _, s := range []functionspec.Spec{functionspec.MockAPI(c, mockResources), functionspec.MockCallbackSender(c, mockResources)} {
			mc, err := mockvaluation.ConfigFromEnv(s.Environment.Getenv)
			if err != nil {
				t.Fatalf("%s %s: %v", name, s.Name, err)
			}
			if mc.StateMachineARN != mockResources.StateMachineARN || mc.CallbackDelay != c.Mock.CallbackDelay ||
				mc.SlowResponse != c.Mock.SlowResponse || mc.LateDelay != functionspec.LateDelay(c.CallbackTimeout) ||
				mc.SecretCacheTTL != c.Signature.CacheTTL || mc.CallbackAttempts != c.Mock.CallbackAttempts ||
				mc.CallbackTimeout != c.Mock.CallbackTimeout || mc.LogLevel != c.Functions.LogLevel ||
				mc.SigningSecretID != mockResources.Signing.ARN || mc.WebhookAPIKeyID != mockResources.WebhookAPIKey.ARN ||
				mc.AllowedCallbackParameter != config.AllowedCallbackParameter {
				t.Errorf("%s: %s config did not round-trip: %+v", name, s.Name, mc)
			}
		}
	}
}

// Timeout, memory, concurrency and event source come from the typed config,
// one place for both worlds.
func TestSpecsSizeTheFunctions(t *testing.T) {
	for name, c := range configs() {
		specs := map[string]functionspec.Spec{}
		for _, s := range []functionspec.Spec{functionspec.ValuationRequest(c, resources), functionspec.ValuationCallback(c, resources),
			functionspec.MockAPI(c, mockResources), functionspec.MockCallbackSender(c, mockResources)} {
			specs[s.Name] = s
			if s.MemoryMB != c.Functions.MemoryMB || s.LogLevel != c.Functions.LogLevel || s.ReservedConcurrency != 0 ||
				s.Main != "consumers/functions/"+s.Name || s.Description == "" {
				t.Errorf("%s: %s = %+v", name, s.Name, s)
			}
		}
		if len(specs) != len(functionspec.Names) {
			t.Fatalf("%s: %d specs for %d names", name, len(specs), len(functionspec.Names))
		}
		for fn, want := range map[string]time.Duration{
			functionspec.NameValuationRequest:   c.Queue.ConsumerTimeout,
			functionspec.NameValuationCallback:  c.Callback.Timeout,
			functionspec.NameMockAPI:            c.Queue.ConsumerTimeout,
			functionspec.NameMockCallbackSender: c.Queue.ConsumerTimeout,
		} {
			if got := specs[fn].Timeout; got != want {
				t.Errorf("%s: %s timeout %s, want %s", name, fn, got, want)
			}
		}
		q := specs[functionspec.NameValuationRequest].Queue
		if q == nil || q.BatchSize != c.Queue.BatchSize || q.MaxConcurrency != c.Queue.MaxConcurrency ||
			q.MaxBatchingWindow != c.Queue.MaxBatchingWindow || !q.ReportBatchItemFailures {
			t.Errorf("%s: request queue source = %+v", name, q)
		}
		for _, fn := range []string{functionspec.NameValuationCallback, functionspec.NameMockAPI, functionspec.NameMockCallbackSender} {
			if specs[fn].Queue != nil {
				t.Errorf("%s: %s has a queue source", name, fn)
			}
		}
	}
}

// The mock sits behind an IAM-authorized API in both worlds; a real service
// is called as it is.
func TestServiceAuth(t *testing.T) {
	for name, c := range configs() {
		want := valuationrequest.AuthIAM
		if c.ValuationService.URL != "" {
			want = valuationrequest.AuthNone
		}
		if got := functionspec.ValuationRequest(c, resources).Environment.Getenv(valuationrequest.EnvValuationServiceAuth); got != want {
			t.Errorf("%s: %s = %q, want %q", name, valuationrequest.EnvValuationServiceAuth, got, want)
		}
	}
}

// A secret reaches a function either as a Secrets Manager ARN (read at start)
// or as its value, never both ways.
func TestSecrets(t *testing.T) {
	c := config.Local()
	local := functionspec.Resources{TokenTable: "tokens", Signing: functionspec.Secret{Value: "0123456789abcdef", Previous: "fedcba9876543210"}}
	env := functionspec.ValuationCallback(c, local).Environment
	if env.Getenv(valuationcallback.EnvSigningSecretARN) != "" {
		t.Errorf("a local key comes with a secret ARN: %v", env)
	}
	got, err := valuationcallback.ConfigFromEnv(env.Getenv)
	if err != nil || string(got.SigningSecret) != "0123456789abcdef" || string(got.SigningSecretPrevious) != "fedcba9876543210" {
		t.Fatalf("local key: %+v, %v", got, err)
	}
	env = functionspec.ValuationCallback(c, resources).Environment
	for _, k := range []string{valuationcallback.EnvSigningSecret, valuationcallback.EnvSigningSecretPrevious} {
		if env.Getenv(k) != "" {
			t.Errorf("%s is set with a secret ARN: the key is read from Secrets Manager", k)
		}
	}
	if _, err := valuationcallback.ConfigFromEnv(functionspec.ValuationCallback(c, functionspec.Resources{TokenTable: "t"}).Environment.Getenv); err == nil {
		t.Error("the resolver starts without a signing key")
	}

	mock := functionspec.MockResources{Signing: functionspec.Secret{Value: "k"}, WebhookAPIKey: functionspec.Secret{Value: "api-key"},
		AllowedCallbackPrefix: "http://127.0.0.1:4566/webhook/valuations/"}
	menv := functionspec.MockCallbackSender(c, mock).Environment
	for k, want := range map[string]string{
		mockvaluation.EnvSigningSecret:            "k",
		mockvaluation.EnvWebhookAPIKey:            "api-key",
		mockvaluation.EnvAllowedCallbackPrefix:    mock.AllowedCallbackPrefix,
		mockvaluation.EnvSigningSecretARN:         "",
		mockvaluation.EnvWebhookAPIKeySecretARN:   "",
		mockvaluation.EnvAllowedCallbackParameter: "",
		mockvaluation.EnvStateMachineARN:          "",
	} {
		if got := menv.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
		if _, ok := menv[k]; ok != (want != "") {
			t.Errorf("%s is in the environment: %v", k, ok)
		}
	}
	if _, ok := menv.Pointers()[mockvaluation.EnvStateMachineARN]; ok {
		t.Error("an empty state machine ARN reaches the function")
	}
}
