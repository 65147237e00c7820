package unserved

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	awsxml "github.com/aws/aws-sdk-go-v2/aws/protocol/xml"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

var served = []string{"DynamoDB", "SQS (AWS JSON protocol)", "STS GetCallerIdentity"}

const sqsHint = "SQS is served over the AWS JSON protocol only."

// newServer routes like the stack: IsRequest requests to the Handler, the
// rest to a stand-in for the console.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	h := &Handler{Served: served, Hints: map[string]string{"sqs": sqsHint}, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsRequest(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<!doctype html><title>console</title>")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wantMessage(t *testing.T, what, msg, names string) {
	t.Helper()
	if !strings.Contains(msg, "loanflow local stack does not serve "+names) || !strings.Contains(msg, "It serves DynamoDB, SQS (AWS JSON protocol), STS GetCallerIdentity.") {
		t.Errorf("%s: message %q, want it to name %s and list what the stack serves", what, msg, names)
	}
}

// signed sends a SigV4-signed request, as an SDK would.
func signed(t *testing.T, method, url, service, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, req,
		hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestSDKQueryProtocol(t *testing.T) {
	srv := newServer(t)
	// A query-protocol client of the SDK: CloudFormation.
	cfn := cloudformation.New(cloudformation.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	_, err := cfn.ListStacks(context.Background(), &cloudformation.ListStacksInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != CodeInvalidAction {
		t.Fatalf("ListStacks: %v", err)
	}
	wantMessage(t, "ListStacks", ae.ErrorMessage(), "cloudformation.ListStacks")

	// SQS's query protocol, as SDKs from before 2023 speak it, read with
	// the SDK's query error decoder.
	resp := signed(t, http.MethodPost, srv.URL+"/", "sqs", "application/x-www-form-urlencoded; charset=utf-8", "Action=ListQueues&Version=2012-11-05")
	ec, err := awsxml.GetErrorResponseComponents(resp.Body, false)
	if err != nil || resp.StatusCode != http.StatusBadRequest || ec.Code != CodeInvalidAction || ec.RequestID == "" {
		t.Fatalf("SQS ListQueues: %d %+v %v", resp.StatusCode, ec, err)
	}
	wantMessage(t, "SQS ListQueues", ec.Message, "sqs.ListQueues")
	if !strings.Contains(ec.Message, sqsHint) {
		t.Errorf("SQS ListQueues: message %q lacks the hint", ec.Message)
	}
}

func TestSDKJSONProtocols(t *testing.T) {
	srv := newServer(t)
	// A REST-JSON service: Lambda's ListFunctions, read as the SDK's
	// REST-JSON deserializers read errors (header, then body).
	resp := signed(t, http.MethodGet, srv.URL+"/2015-03-31/functions/", "lambda", "", "")
	code, msg, err := restjson.GetErrorInfo(json.NewDecoder(resp.Body))
	if err != nil || resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != CodeUnknownOperation || code != CodeUnknownOperation {
		t.Fatalf("lambda ListFunctions: %d %q %q %q %v", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), code, msg, err)
	}
	wantMessage(t, "lambda", msg, "lambda (GET /2015-03-31/functions/)")

	// An AWS JSON service (X-Amz-Target) through its SDK client.
	c := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	_, err = c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("p")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != CodeUnknownOperation {
		t.Fatalf("ssm GetParameter: %v", err)
	}
	wantMessage(t, "ssm", ae.ErrorMessage(), "AmazonSSM.GetParameter")
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	srv := newServer(t)
	for _, c := range []struct {
		args        []string
		code, names string
	}{
		{[]string{"lambda", "list-functions"}, CodeUnknownOperation, "lambda (GET /2015-03-31/functions"},
		{[]string{"iam", "list-users"}, CodeInvalidAction, "iam.ListUsers"},
		{[]string{"ec2", "describe-regions"}, CodeInvalidAction, "ec2.DescribeRegions"},
		{[]string{"s3api", "list-buckets"}, CodeUnknownOperation, "s3 (GET /)"},
		{[]string{"route53", "list-hosted-zones"}, CodeUnknownOperation, "route53 (GET /2013-04-01/hostedzone)"},
		{[]string{"logs", "describe-log-groups"}, CodeUnknownOperation, "Logs_20140328.DescribeLogGroups"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", srv.URL}, c.args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		out := stderr.String()
		if err == nil || strings.Contains(out, "Unable to parse") || !strings.Contains(out, "("+c.code+")") {
			t.Errorf("aws %s: %v: %s", strings.Join(c.args, " "), err, out)
			continue
		}
		wantMessage(t, "aws "+strings.Join(c.args, " "), out, c.names)
	}
}

func TestIsRequest(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	sigv4 := "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc"
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml", "Cookie": "x=1", "User-Agent": "Mozilla/5.0"}
	cases := []struct {
		name                 string
		method, target, body string
		header               map[string]string
		want                 bool
	}{
		{"console overview", "GET", "/", "", browser, false},
		{"console page with a query", "GET", "/executions?status=RUNNING&machine=LoanProcessor", "", browser, false},
		{"console asset", "GET", "/assets/console.css", "", browser, false},
		{"console redrive form", "POST", "/queues/redrive", "queue=q&Action=redrive", map[string]string{"Content-Type": form, "Origin": "http://127.0.0.1"}, false},
		{"unknown console path", "GET", "/2015-03-31/functions/", "", browser, false},
		{"GET with Action only", "GET", "/?Action=ListQueues", "", browser, false},
		{"JSON form post elsewhere", "POST", "/", `{"Action":"x"}`, map[string]string{"Content-Type": "application/json"}, false},
		{"SigV4 REST call", "GET", "/2015-03-31/functions/", "", map[string]string{"Authorization": sigv4}, true},
		{"SigV4a", "GET", "/", "", map[string]string{"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host, Signature=abc"}, true},
		{"presigned URL", "GET", "/bucket/key?X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x", "", nil, true},
		{"X-Amz-Target", "POST", "/", "{}", map[string]string{"X-Amz-Target": "Logs_20140328.PutLogEvents"}, true},
		{"unsigned query POST", "POST", "/", "Action=ListQueues&Version=2012-11-05", map[string]string{"Content-Type": form + "; charset=utf-8"}, true},
		{"unsigned query GET", "GET", "/?Action=ListQueues&Version=2012-11-05", "", nil, true},
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

func TestUnsignedQueryNamesTheAction(t *testing.T) {
	srv := newServer(t)
	resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListQueues&Version=2012-11-05"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ec, err := awsxml.GetErrorResponseComponents(resp.Body, false)
	if err != nil || ec.Code != CodeInvalidAction {
		t.Fatalf("unsigned ListQueues: %+v %v", ec, err)
	}
	wantMessage(t, "unsigned ListQueues", ec.Message, "the action ListQueues")
}
