package audit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"loanflow/infra/local/audit"
)

// A principal's access key id survives SigV4 signing: the stack reads who
// called from the Authorization header, or from a presigned URL.
func TestPrincipalFromSignedRequest(t *testing.T) {
	p := audit.Function("valuation-request")
	creds := aws.Credentials{AccessKeyID: audit.AccessKeyID(p), SecretAccessKey: "local"}
	signer := v4.NewSigner()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", strings.NewReader("{}"))
	const emptySHA = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	if err := signer.SignHTTP(context.Background(), creds, req, emptySHA, "sqs", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := audit.FromRequest(req); got != p {
		t.Errorf("signed: %v, want %v", got, p)
	}
	url, _, err := signer.PresignHTTP(context.Background(), creds, req, emptySHA, "execute-api", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pre, _ := http.NewRequest(http.MethodGet, url, nil)
	if got := audit.FromRequest(pre); got != p {
		t.Errorf("presigned: %v, want %v", got, p)
	}
	unsigned, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:4566/", nil)
	if got := audit.FromRequest(unsigned); got != (audit.Principal{Kind: audit.KindCaller}) {
		t.Errorf("unsigned: %v", got)
	}
	if got := audit.FromAccessKey("AKIAEXAMPLE"); got != (audit.Principal{Kind: audit.KindCaller, Name: "AKIAEXAMPLE"}) {
		t.Errorf("someone else's key: %v", got)
	}
}

func TestRecorderCountsAndSorts(t *testing.T) {
	var none *audit.Recorder
	none.Record(audit.Call{Action: "sqs:SendMessage"}) // a stack without a recorder pays nothing
	none.RememberToken("t", "arn")
	if none.Enabled() || none.Calls() != nil {
		t.Fatal("a nil recorder records")
	}
	r := audit.New()
	b := audit.Call{Principal: audit.StateMachine("LoanProcessor"), Action: "sqs:SendMessage", Resource: "arn:q"}
	a := audit.Call{Principal: audit.Function("f"), Action: "dynamodb:GetItem"}
	r.Record(b)
	r.Record(a)
	r.Record(b)
	got := r.Calls()
	if len(got) != 2 || got[0].Principal != a.Principal || got[0].Resource != "*" || got[1].Count != 2 {
		t.Fatalf("calls: %+v", got)
	}
	r.RememberToken("tok", "arn:aws:states:us-east-1:000000000000:stateMachine:LoanProcessor")
	if owner, ok := r.TokenOwner("tok"); !ok || !strings.HasSuffix(owner, ":LoanProcessor") {
		t.Errorf("token owner %q %v", owner, ok)
	}
}
