package valuationrequest_test

import (
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"loanflow/consumers/valuationrequest"
)

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// fullEnv sets every variable the function reads, as the typed config does.
func fullEnv() map[string]string {
	return map[string]string{
		valuationrequest.EnvTableName:            "tokens",
		valuationrequest.EnvValuationServiceURL:  "https://svc.example.com/valuations",
		valuationrequest.EnvWebhookBaseURL:       "https://hook.example.com/prod/",
		valuationrequest.EnvCallbackTimeout:      "300",
		valuationrequest.EnvTokenGrace:           "1h0m0s",
		valuationrequest.EnvMaxReceiveCount:      "3",
		valuationrequest.EnvRequestTimeout:       "2s",
		valuationrequest.EnvRequestAttempts:      "4",
		valuationrequest.EnvRequestBaseBackoff:   "20ms",
		valuationrequest.EnvBatchConcurrency:     "10",
		valuationrequest.EnvValuationServiceAuth: "iam",
		valuationrequest.EnvLogLevel:             "WARN",
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := fullEnv()
	c, err := valuationrequest.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.CallbackTimeout != 5*time.Minute || c.TokenGrace != time.Hour || c.MaxReceiveCount != 3 ||
		c.WebhookBaseURL != "https://hook.example.com/prod" || c.RequestAttempts != 4 || c.RequestTimeout != 2*time.Second ||
		c.BaseBackoff != 20*time.Millisecond || c.ServiceAuth != valuationrequest.AuthIAM || c.LogLevel != "WARN" {
		t.Fatalf("config = %+v", c)
	}
	env["AWS_LAMBDA_LOG_LEVEL"] = "DEBUG"
	if c, err = valuationrequest.ConfigFromEnv(func(k string) string { return env[k] }); err != nil || c.LogLevel != "DEBUG" {
		t.Fatalf("Lambda's log level does not win: %q, %v", c.LogLevel, err)
	}
}

// The defaults live in the typed config only: a variable it did not set is
// an error that names it, never a value made up here.
func TestConfigFromEnvRequiresEveryVariable(t *testing.T) {
	for name := range fullEnv() {
		env := fullEnv()
		delete(env, name)
		_, err := valuationrequest.ConfigFromEnv(func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), name+": must be set") {
			t.Errorf("without %s: err = %v", name, err)
		}
	}
}

func TestConfigFromEnvNamesTheBadVariables(t *testing.T) {
	bad := map[string]string{
		valuationrequest.EnvValuationServiceURL:  "ftp://nope",
		valuationrequest.EnvCallbackTimeout:      "soon",
		valuationrequest.EnvRequestAttempts:      "11",
		valuationrequest.EnvValuationServiceAuth: "basic",
		valuationrequest.EnvLogLevel:             "LOUD",
	}
	env := fullEnv()
	maps.Copy(env, bad)
	_, err := valuationrequest.ConfigFromEnv(func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("no error")
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+": must be") {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
