package valuationrequest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"loanflow/consumers/valuationrequest"
)

// fakeAWS answers every AWS JSON call with an empty object and records the
// targets it was asked for and the access key ids that signed them.
type fakeAWS struct {
	mu      sync.Mutex
	targets []string
	keys    []string
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.targets = append(f.targets, r.Header.Get("X-Amz-Target"))
	f.keys = append(f.keys, accessKey(r.Header.Get("Authorization")))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{}`)
}

// accessKey is the access key id a SigV4 Authorization header names.
func accessKey(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "eu-west-2",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFUNCTION", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// Build assembles what main used to: the token store and Step Functions on
// awsCfg, and the HTTP client through the caller's transport, signed with
// awsCfg's credentials for the mock's IAM-authorized API.
func TestBuildWiresTheWorldsPieces(t *testing.T) {
	fake := &fakeAWS{}
	awsSrv := httptest.NewServer(fake)
	t.Cleanup(awsSrv.Close)
	var auth []string
	var mu sync.Mutex
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"valuationReference":"VAL-1"}`)
	}))
	t.Cleanup(svc.Close)

	env := fullEnv()
	env[valuationrequest.EnvValuationServiceURL] = svc.URL + "/valuations"
	env[valuationrequest.EnvValuationServiceAuth] = valuationrequest.AuthIAM
	wrapped := 0
	h, err := valuationrequest.Build(context.Background(), func(k string) string { return env[k] }, awsConfig(awsSrv.URL),
		valuationrequest.BuildOptions{Logger: slog.New(slog.DiscardHandler), Transport: func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				wrapped++
				return next.RoundTrip(r)
			})
		}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{message(t, "m-1", "token-1", 1)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
	if wrapped != 1 {
		t.Errorf("the caller's transport carried %d requests, want 1", wrapped)
	}
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "AWS4-HMAC-SHA256 Credential=AKIDFUNCTION/") || !strings.Contains(auth[0], "/eu-west-2/execute-api/aws4_request") {
		t.Errorf("the valuation request is not signed with the function's credentials: %q", auth)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.targets) == 0 || !strings.HasPrefix(fake.targets[0], "DynamoDB_20120810.PutItem") {
		t.Errorf("the token store did not write through the AWS config: %v", fake.targets)
	}
	for _, k := range fake.keys {
		if k != "AKIDFUNCTION" {
			t.Errorf("an AWS call signed by %q", k)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Without a logger of the caller's, the handler logs to Logs at the
// configured level (the startup logger's INFO is not the one it uses).
func TestBuildLogsAtTheConfiguredLevel(t *testing.T) {
	env := fullEnv()
	env[valuationrequest.EnvLogLevel] = "WARN"
	var logs bytes.Buffer
	h, err := valuationrequest.Build(context.Background(), func(k string) string { return env[k] }, awsConfig("http://127.0.0.1:1"),
		valuationrequest.BuildOptions{Logs: &logs})
	if err != nil {
		t.Fatal(err)
	}
	log := h.Logger()
	log.InfoContext(context.Background(), "not at WARN")
	log.WarnContext(context.Background(), "at WARN")
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line["level"] != "WARN" || line["msg"] != "at WARN" {
		t.Fatalf("logs = %q", logs.String())
	}
}

func TestBuildRefusesABadEnvironment(t *testing.T) {
	env := fullEnv()
	delete(env, valuationrequest.EnvCallbackTimeout)
	_, err := valuationrequest.Build(context.Background(), func(k string) string { return env[k] }, awsConfig("http://127.0.0.1:1"),
		valuationrequest.BuildOptions{})
	if err == nil || !strings.Contains(err.Error(), valuationrequest.EnvCallbackTimeout) {
		t.Fatalf("err = %v; want it to name %s", err, valuationrequest.EnvCallbackTimeout)
	}
}
