package mockvaluation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"loanflow/consumers/signature"
	"loanflow/contracts"
)

// fakeAWS answers the calls the mock's functions make at start and per
// request: Secrets Manager (values by secret id), SSM (values by parameter
// name) and Step Functions' StartExecution, which it records.
type fakeAWS struct {
	secrets, params map[string]string
	mu              sync.Mutex
	started         []string
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		SecretID        string `json:"SecretId"`
		VersionStage    string
		Name            string
		StateMachineARN string `json:"StateMachineArn"`
	}
	_ = json.Unmarshal(body, &in)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	notFound := func() {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"not found"}`)
	}
	switch r.Header.Get("X-Amz-Target") {
	case "secretsmanager.GetSecretValue":
		v, ok := f.secrets[in.SecretID]
		if !ok || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
			notFound()
			return
		}
		b, _ := json.Marshal(map[string]any{"Name": in.SecretID, "SecretString": v})
		_, _ = w.Write(b)
	case "AmazonSSM.GetParameter":
		v, ok := f.params[in.Name]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ParameterNotFound","message":"not found"}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"Parameter": map[string]any{"Name": in.Name, "Value": v}})
		_, _ = w.Write(b)
	case "AWSStepFunctions.StartExecution":
		f.mu.Lock()
		f.started = append(f.started, in.StateMachineARN)
		f.mu.Unlock()
		_, _ = io.WriteString(w, `{"executionArn":"arn:aws:states:eu-west-2:1:execution:m:x","startDate":1}`)
	default:
		notFound()
	}
}

func (f *fakeAWS) config(t *testing.T) aws.Config {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return aws.Config{
		Region:       "eu-west-2",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDMOCK", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
}

// BuildAPI starts surveys on the state machine the environment names and
// reads its allowed callback prefix from the SSM parameter it names.
func TestBuildAPIReadsItsParameter(t *testing.T) {
	const machine = "arn:aws:states:eu-west-2:1:stateMachine:ValuationService"
	fake := &fakeAWS{params: map[string]string{"/prefix": "https://hook.example.com/prod/valuations/"}}
	env := fullEnv()
	env[EnvStateMachineARN] = machine
	env[EnvAllowedCallbackParameter] = "/prefix"
	h, err := BuildAPI(context.Background(), func(k string) string { return env[k] }, fake.config(t), BuildOptions{Logs: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := call(t, h, request(t, "12", "key-1")); status != http.StatusCreated {
		t.Fatalf("a callback under the parameter's prefix: %d %v", status, body)
	}
	req := request(t, "12", "key-2")
	req.Body = strings.Replace(req.Body, "hook.example.com", "elsewhere.example.com", 1)
	if status, _ := call(t, h, req); status != http.StatusBadRequest {
		t.Fatalf("a callback elsewhere: %d", status)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.started) != 1 || fake.started[0] != machine {
		t.Fatalf("started %v", fake.started)
	}
}

// BuildCallbackSender reads the signing key and the webhook API key from
// the secrets the environment names, and posts through the caller's
// transport.
func TestBuildCallbackSenderReadsItsSecrets(t *testing.T) {
	fake := &fakeAWS{secrets: map[string]string{"signing": "signing-key", "api-key": "the-api-key"}}
	env := fullEnv()
	env[EnvSigningSecretARN] = "signing"
	env[EnvWebhookAPIKeySecretARN] = "api-key"
	var got *http.Request
	var body []byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hook.Close)
	wrapped := 0
	s, err := BuildCallbackSender(context.Background(), func(k string) string { return env[k] }, fake.config(t), BuildOptions{Logs: io.Discard,
		Transport: func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) { wrapped++; return next.RoundTrip(r) })
		}})
	if err != nil {
		t.Fatal(err)
	}
	const id = "cb_0123456789abcdefghijklmnopqrstuvwxyzABCDE"
	out, err := s.Handle(context.Background(), input(hook.URL+"/prod/valuations/"+id, ModeNormal))
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("Handle = %+v, %v", out, err)
	}
	if wrapped != 1 {
		t.Errorf("the caller's transport carried %d requests, want 1", wrapped)
	}
	if k := got.Header.Get(contracts.HeaderAPIKey); k != "the-api-key" {
		t.Errorf("x-api-key = %q", k)
	}
	if _, err := signature.Verify([][]byte{[]byte("signing-key")}, got.Header.Get(contracts.HeaderSignatureTimestamp), got.Header.Get(contracts.HeaderSignature),
		signature.Message{CallbackID: id, Body: body}, time.Now(), time.Minute); err != nil {
		t.Errorf("not signed with the secret's key: %v", err)
	}

	delete(fake.secrets, "api-key")
	if _, err := BuildCallbackSender(context.Background(), func(k string) string { return env[k] }, fake.config(t), BuildOptions{}); err == nil ||
		!strings.Contains(err.Error(), "webhook API key") {
		t.Fatalf("a sender without its API key started: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
