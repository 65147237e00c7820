package functionenv_test

import (
	"testing"

	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/config"
	"loanflow/infra/functionenv"
)

// The typed config must reach the function unchanged through its environment.
func TestValuationRequestEnvRoundTrips(t *testing.T) {
	for name, c := range map[string]config.Config{"default": config.Default(), "local": config.Local()} {
		env := functionenv.ValuationRequest(c, "tokens", "https://svc.example/valuations", "https://hook.example/prod")
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
}

func TestValuationCallbackEnvRoundTrips(t *testing.T) {
	c := config.Default()
	env := functionenv.ValuationCallback(c, "tokens", "", "0123456789abcdef")
	got, err := valuationcallback.ConfigFromEnv(env.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got.TableName != "tokens" || got.SignatureTolerance != c.Signature.Tolerance || string(got.SigningSecret) != "0123456789abcdef" {
		t.Fatalf("config did not round-trip: %+v", got)
	}
	env = functionenv.ValuationCallback(c, "tokens", "arn:aws:secretsmanager:eu-west-2:1:secret:k", "")
	if got, err = valuationcallback.ConfigFromEnv(env.Getenv); err != nil || got.SigningSecretID != "arn:aws:secretsmanager:eu-west-2:1:secret:k" {
		t.Fatalf("secret ARN: %+v %v", got, err)
	}
}

func TestValuationServiceEnvRoundTrips(t *testing.T) {
	c := config.Local()
	env := functionenv.ValuationService(c, "arn:aws:states:us-east-1:000000000000:stateMachine:ValuationService", "", "k")
	got, err := valuationservice.ConfigFromEnv(env.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if got.StateMachineARN == "" || got.CallbackDelay != c.Mock.CallbackDelay || got.SlowResponse != c.Mock.SlowResponse ||
		got.LateDelay <= c.CallbackTimeout || string(got.SigningSecret) != "k" {
		t.Fatalf("config did not round-trip: %+v", got)
	}
}
