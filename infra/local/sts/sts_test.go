package sts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const account = "000000000000"

// newServer serves STS the way the stack routes it: IsRequest requests to
// the Handler, the rest to a stand-in for the console.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	h := &Handler{AccountID: account, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsRequest(r) {
			h.ServeHTTP(w, r)
			return
		}
		http.Error(w, "<html>console</html>", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSDKGetCallerIdentity(t *testing.T) {
	srv := newServer(t)
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")})
	ctx := context.Background()
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != account || aws.ToString(id.Arn) != "arn:aws:iam::000000000000:root" || aws.ToString(id.UserId) != account {
		t.Errorf("GetCallerIdentity = account %q arn %q user %q", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/r"), RoleSessionName: aws.String("s")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidAction" || !strings.Contains(ae.ErrorMessage(), "does not serve sts.AssumeRole") ||
		!strings.Contains(ae.ErrorMessage(), "GetCallerIdentity") {
		t.Errorf("AssumeRole: %v", err)
	}
}

func TestAWSCLIGetCallerIdentity(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	srv := newServer(t)
	run := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", srv.URL, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, stderr, err := run("sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v: %s", err, stderr)
	}
	var id struct {
		UserID  string `json:"UserId"`
		Account string `json:"Account"`
		ARN     string `json:"Arn"`
	}
	if err := json.Unmarshal([]byte(out), &id); err != nil || id.Account != account || id.ARN != "arn:aws:iam::000000000000:root" || id.UserID != account {
		t.Errorf("get-caller-identity printed %q (%v)", out, err)
	}
	_, stderr, err = run("sts", "get-session-token")
	if err == nil || !strings.Contains(stderr, "(InvalidAction)") || !strings.Contains(stderr, "does not serve sts.GetSessionToken") {
		t.Errorf("get-session-token: %v: %s", err, stderr)
	}
}

func TestIsRequest(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	sigv4 := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=abc"
	}
	cases := []struct {
		name                 string
		method, target, body string
		header               map[string]string
		want                 bool
	}{
		{"signed for sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", map[string]string{"Authorization": sigv4("sts"), "Content-Type": form}, true},
		{"signed for sts, another action", "POST", "/", "Action=AssumeRole", map[string]string{"Authorization": sigv4("sts"), "Content-Type": form}, true},
		{"signed for another service", "POST", "/", "Action=GetCallerIdentity", map[string]string{"Authorization": sigv4("sqs"), "Content-Type": form}, false},
		{"unsigned form", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", map[string]string{"Content-Type": form}, true},
		{"unsigned form, not STS", "POST", "/", "Action=ListQueues", map[string]string{"Content-Type": form}, false},
		{"presigned GET", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request", "", nil, true},
		{"X-Amz-Target", "POST", "/", "{}", map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Authorization": sigv4("sts")}, false},
		{"other path", "POST", "/queues/redrive", "Action=GetCallerIdentity", map[string]string{"Content-Type": form}, false},
		{"console page", "GET", "/", "", map[string]string{"Accept": "text/html"}, false},
		{"console form", "POST", "/queues/redrive", "queue=q", map[string]string{"Content-Type": form, "Origin": "http://127.0.0.1"}, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		if got := IsRequest(r); got != c.want {
			t.Errorf("%s: IsRequest = %v, want %v", c.name, got, c.want)
		}
		if body, _ := io.ReadAll(r.Body); string(body) != c.body {
			t.Errorf("%s: body after IsRequest = %q, want %q", c.name, body, c.body)
		}
	}
}
