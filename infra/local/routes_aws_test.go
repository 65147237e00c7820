package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	awsxml "github.com/aws/aws-sdk-go-v2/aws/protocol/xml"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestStackAnswersAWSCallsItDoesNotServe: STS GetCallerIdentity is served,
// other AWS calls get an error their SDK parses, and browsers still get
// the console.
func TestStackAnswersAWSCallsItDoesNotServe(t *testing.T) {
	s := startStack(t, Options{StateDir: t.TempDir()})
	ctx := context.Background()
	id, err := sts.NewFromConfig(clientConfig(s)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != AccountID || aws.ToString(id.Arn) != "arn:aws:iam::"+AccountID+":root" {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}

	send := func(method, path, service, contentType, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, s.Outputs.Endpoint+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if service != "" {
			sum := sha256.Sum256([]byte(body))
			if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, req,
				hex.EncodeToString(sum[:]), service, s.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := send(http.MethodGet, "/2015-03-31/functions/", "lambda", "", "")
	code, msg, err := restjson.GetErrorInfo(json.NewDecoder(resp.Body))
	if err != nil || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" || code != "UnknownOperationException" ||
		!strings.Contains(msg, "does not serve lambda") || !strings.Contains(msg, "STS GetCallerIdentity") {
		t.Errorf("lambda ListFunctions: %d %q %q %v", resp.StatusCode, code, msg, err)
	}
	resp = send(http.MethodPost, "/", "sqs", "application/x-www-form-urlencoded", "Action=ListQueues&Version=2012-11-05")
	ec, err := awsxml.GetErrorResponseComponents(resp.Body, false)
	if err != nil || ec.Code != "InvalidAction" || !strings.Contains(ec.Message, "does not serve sqs.ListQueues") {
		t.Errorf("SQS query ListQueues: %d %+v %v", resp.StatusCode, ec, err)
	}
	for _, path := range []string{"/", "/no-such-page"} {
		resp = send(http.MethodGet, path, "", "", "")
		page, _ := io.ReadAll(resp.Body)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(bytes.ToLower(page), []byte("<html")) {
			t.Errorf("browser GET %s: %d %s, want the console's HTML", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	cli := func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", s.Outputs.Endpoint, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+s.Region,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, stderr, err := cli("sts", "get-caller-identity")
	var got struct{ Account, ARN string }
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Account != AccountID {
		t.Errorf("aws sts get-caller-identity: %v: %s%s", err, out, stderr)
	}
	_, stderr, err = cli("lambda", "list-functions")
	if err == nil || strings.Contains(stderr, "Unable to parse") || !strings.Contains(stderr, "(UnknownOperationException)") {
		t.Errorf("aws lambda list-functions: %v: %s", err, stderr)
	}
}
