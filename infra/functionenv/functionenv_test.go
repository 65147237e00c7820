package functionenv_test

import (
	"testing"
	"time"

	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/config"
	"loanflow/infra/functionenv"
)

// The typed config must reach the function unchanged through its environment.
func TestValuationRequestEnvRoundTrips(t *testing.T) {
	for name, c := range map[string]config.Config{"default": config.Default(), "local": config.Local()} {
		env := functionenv.ValuationRequest(c, "tokens", "https://svc.example/valuations", "https://hook.example/prod", "iam")
		got, err := valuationrequest.ConfigFromEnv(env.Getenv)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.TableName != "tokens" || got.CallbackTimeout != c.CallbackTimeout || got.TokenGrace != c.TokenGrace ||
			got.MaxReceiveCount != c.Queue.MaxReceiveCount || got.RequestTimeout != c.ValuationService.RequestTimeout ||
			got.RequestAttempts != c.ValuationService.Attempts || got.BaseBackoff != c.ValuationService.BaseBackoff ||
			got.WebhookBaseURL != "https://hook.example/prod" || got.ValuationServiceURL != "https://svc.example/valuations" {
			t.Fatalf("%s: config did not round-trip: %+v", name, got)
		}
	}
	for _, auth := range []string{"iam", "none"} {
		env := functionenv.ValuationRequest(config.Default(), "tokens", "https://svc.example/valuations", "https://hook.example/prod", auth)
		if got := env.Getenv(valuationrequest.EnvValuationServiceAuth); got != auth {
			t.Errorf("%s = %q, want %q", valuationrequest.EnvValuationServiceAuth, got, auth)
		}
	}
}

func TestValuationCallbackEnvRoundTrips(t *testing.T) {
	c := config.Default()
	c.Signature.CacheTTL = 90 * time.Second
	env := functionenv.ValuationCallback(c, "tokens", functionenv.Secret{Value: "0123456789abcdef", Previous: "fedcba9876543210"})
	if got := env.Getenv(valuationcallback.EnvSecretCacheTTL); got != "1m30s" {
		t.Errorf("%s = %q", valuationcallback.EnvSecretCacheTTL, got)
	}
	if env.Getenv(valuationcallback.EnvSigningSecretARN) != "" {
		t.Errorf("a local key comes with a secret ARN: %v", env)
	}
	got, err := valuationcallback.ConfigFromEnv(env.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got.TableName != "tokens" || got.SignatureTolerance != c.Signature.Tolerance || got.SecretCacheTTL != c.Signature.CacheTTL ||
		string(got.SigningSecret) != "0123456789abcdef" || string(got.SigningSecretPrevious) != "fedcba9876543210" {
		t.Fatalf("config did not round-trip: %+v", got)
	}

	env = functionenv.ValuationCallback(c, "tokens", functionenv.Secret{ARN: "arn:aws:secretsmanager:eu-west-2:1:secret:k"})
	for _, k := range []string{valuationcallback.EnvSigningSecret, valuationcallback.EnvSigningSecretPrevious} {
		if env.Getenv(k) != "" {
			t.Errorf("%s is set on AWS: the key is read from Secrets Manager", k)
		}
	}
	if got, err = valuationcallback.ConfigFromEnv(env.Getenv); err != nil || got.SigningSecretID != "arn:aws:secretsmanager:eu-west-2:1:secret:k" ||
		got.SecretCacheTTL != c.Signature.CacheTTL {
		t.Fatalf("secret ARN: %+v %v", got, err)
	}

	if _, err := valuationcallback.ConfigFromEnv(functionenv.ValuationCallback(c, "tokens", functionenv.Secret{}).Getenv); err == nil {
		t.Error("the resolver starts without a signing key")
	}
}

func TestValuationServiceEnvRoundTrips(t *testing.T) {
	c := config.Local()
	local := functionenv.MockService{
		StateMachineARN:       "arn:aws:states:us-east-1:000000000000:stateMachine:ValuationService",
		Signing:               functionenv.Secret{Value: "k"},
		WebhookAPIKey:         functionenv.Secret{Value: "api-key"},
		AllowedCallbackPrefix: "http://127.0.0.1:4566/webhook/valuations/",
	}
	env := functionenv.ValuationService(c, local)
	for k, want := range map[string]string{
		valuationservice.EnvSigningSecretCacheTTL:    c.Signature.CacheTTL.String(),
		valuationservice.EnvWebhookAPIKey:            "api-key",
		valuationservice.EnvAllowedCallbackPrefix:    local.AllowedCallbackPrefix,
		valuationservice.EnvSigningSecretARN:         "",
		valuationservice.EnvWebhookAPIKeySecretARN:   "",
		valuationservice.EnvAllowedCallbackParameter: "",
	} {
		if got := env.Getenv(k); got != want {
			t.Errorf("local %s = %q, want %q", k, got, want)
		}
	}
	got, err := valuationservice.ConfigFromEnv(env.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got.StateMachineARN != local.StateMachineARN || got.CallbackDelay != c.Mock.CallbackDelay || got.SlowResponse != c.Mock.SlowResponse ||
		got.LateDelay <= c.CallbackTimeout || string(got.SigningSecret) != "k" || got.SecretCacheTTL != c.Signature.CacheTTL ||
		got.WebhookAPIKey != "api-key" || got.AllowedCallbackPrefix != local.AllowedCallbackPrefix {
		t.Fatalf("config did not round-trip: %+v", got)
	}

	cloud := functionenv.MockService{
		Signing:                  functionenv.Secret{ARN: "loanflow/valuation-webhook-signing-key"},
		WebhookAPIKey:            functionenv.Secret{ARN: "arn:aws:secretsmanager:eu-west-2:1:secret:api-key"},
		AllowedCallbackParameter: "/loanflow/valuation-service/allowed-callback-prefix",
	}
	env = functionenv.ValuationService(config.Default(), cloud)
	for k, want := range map[string]string{
		valuationservice.EnvSigningSecretARN:         cloud.Signing.ARN,
		valuationservice.EnvWebhookAPIKeySecretARN:   cloud.WebhookAPIKey.ARN,
		valuationservice.EnvAllowedCallbackParameter: cloud.AllowedCallbackParameter,
		valuationservice.EnvSigningSecret:            "",
		valuationservice.EnvWebhookAPIKey:            "",
		valuationservice.EnvAllowedCallbackPrefix:    "",
		valuationservice.EnvStateMachineARN:          "",
	} {
		if got := env.Getenv(k); got != want {
			t.Errorf("cloud %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := env.Pointers()[valuationservice.EnvStateMachineARN]; ok {
		t.Error("an empty state machine ARN reaches the function")
	}
	if got, err = valuationservice.ConfigFromEnv(env.Getenv); err != nil || got.SigningSecretID != cloud.Signing.ARN ||
		got.WebhookAPIKeyID != cloud.WebhookAPIKey.ARN || got.AllowedCallbackParameter != cloud.AllowedCallbackParameter {
		t.Fatalf("cloud config: %+v %v", got, err)
	}
}
