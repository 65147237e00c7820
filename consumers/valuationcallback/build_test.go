package valuationcallback_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"loanflow/consumers/valuationcallback"
)

// fakeAWS is Secrets Manager holding one secret (current version only) and
// a DynamoDB table that holds no record.
func fakeAWS(t *testing.T, secretID, current string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		body, _ := io.ReadAll(r.Body)
		switch target := r.Header.Get("X-Amz-Target"); target {
		case "secretsmanager.GetSecretValue":
			var in struct {
				SecretID     string `json:"SecretId"`
				VersionStage string
			}
			_ = json.Unmarshal(body, &in)
			if in.SecretID != secretID || in.VersionStage != "AWSCURRENT" {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"no such version"}`)
				return
			}
			b, _ := json.Marshal(map[string]any{"ARN": secretID, "Name": secretID, "SecretString": current, "VersionId": "v1"})
			_, _ = w.Write(b)
		case "DynamoDB_20120810.GetItem":
			_, _ = io.WriteString(w, `{}`)
		case "DynamoDB_20120810.UpdateItem":
			// Every update is conditional on the record, which is not there.
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"`+target+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "eu-west-2",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDRESOLVER", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// Build reads the signing key from the secret the environment names, uses
// the token store on awsCfg, and writes EMF metric lines, dimensioned by the
// function's name, to Logs.
func TestBuildReadsTheKeyAndCountsInEMF(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-2:1:secret:k"
	env := fullEnv()
	delete(env, valuationcallback.EnvSigningSecret)
	env[valuationcallback.EnvSigningSecretARN] = arn
	env["AWS_LAMBDA_FUNCTION_NAME"] = "resolver-fn"
	logs := &logBuffer{}
	h, err := valuationcallback.Build(context.Background(), func(k string) string { return env[k] }, awsConfig(fakeAWS(t, arn, "current-key")),
		valuationcallback.BuildOptions{Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	// Signed with the secret's key, for a callback id the table does not
	// hold: unknown, not rejected.
	ev := eventAt(t, "evt-1", callbackID, []byte(completedBody), []byte("current-key"), time.Now(), time.Now())
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var metric map[string]any
	for _, l := range logs.lines(t) {
		if _, ok := l["_aws"]; ok {
			metric = l
		}
	}
	if metric == nil || metric[valuationcallback.CallbacksUnknown] != float64(1) || metric[valuationcallback.DimensionFunctionName] != "resolver-fn" {
		t.Fatalf("metric line = %v; logs: %v", metric, logs.lines(t))
	}
}

// A function that cannot read its key does not start.
func TestBuildRefusesWithoutItsKey(t *testing.T) {
	env := fullEnv()
	delete(env, valuationcallback.EnvSigningSecret)
	env[valuationcallback.EnvSigningSecretARN] = "missing"
	_, err := valuationcallback.Build(context.Background(), func(k string) string { return env[k] }, awsConfig(fakeAWS(t, "other", "k")),
		valuationcallback.BuildOptions{Logs: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "signing key") || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("err = %v", err)
	}
}

// Without a logger of the caller's, the handler logs at the configured level.
func TestBuildLogsAtTheConfiguredLevel(t *testing.T) {
	env := fullEnv()
	env[valuationcallback.EnvLogLevel] = "ERROR"
	h, err := valuationcallback.Build(context.Background(), func(k string) string { return env[k] }, awsConfig("http://127.0.0.1:1"),
		valuationcallback.BuildOptions{Logs: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if h.Logger().Enabled(ctx, slog.LevelDebug) || h.Logger().Enabled(ctx, slog.LevelWarn) || !h.Logger().Enabled(ctx, slog.LevelError) {
		t.Error("the handler does not log at ERROR")
	}
}
