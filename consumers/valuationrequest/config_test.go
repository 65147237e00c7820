package valuationrequest_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"loanflow/consumers/valuationrequest"
)

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		valuationrequest.EnvTableName:           "tokens",
		valuationrequest.EnvValuationServiceURL: "https://svc.example.com/valuations",
		valuationrequest.EnvWebhookBaseURL:      "https://hook.example.com/prod/",
		valuationrequest.EnvCallbackTimeout:     "300",
		valuationrequest.EnvTokenGrace:          "1h0m0s",
		valuationrequest.EnvMaxReceiveCount:     "3",
	}
	c, err := valuationrequest.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.CallbackTimeout != 5*time.Minute || c.TokenGrace != time.Hour || c.MaxReceiveCount != 3 ||
		c.WebhookBaseURL != "https://hook.example.com/prod" || c.RequestAttempts != 3 {
		t.Fatalf("config = %+v", c)
	}
}

func TestConfigFromEnvNamesTheBadVariables(t *testing.T) {
	env := map[string]string{
		valuationrequest.EnvValuationServiceURL: "ftp://nope",
		valuationrequest.EnvCallbackTimeout:     "soon",
	}
	_, err := valuationrequest.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{valuationrequest.EnvTableName, valuationrequest.EnvValuationServiceURL,
		valuationrequest.EnvWebhookBaseURL, valuationrequest.EnvCallbackTimeout} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
