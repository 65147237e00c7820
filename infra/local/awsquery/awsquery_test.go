package awsquery

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCredentialService(t *testing.T) {
	for auth, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x": "sns",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID/20261204/sts/aws4_request, SignedHeaders=host, Signature=x":     "sts",
		"AWS4-HMAC-SHA256 Credential=AKID/20261204/us-east-1/sns/other, Signature=x":                            "",
		"Bearer token": "",
	} {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("Authorization", auth)
		got, ok := CredentialService(r)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", auth, got, ok, want)
		}
	}
	r := httptest.NewRequest("GET", "/?X-Amz-Credential=AKID%2F20261204%2Fus-east-1%2Fcloudformation%2Faws4_request", nil)
	if got, _ := CredentialService(r); got != "cloudformation" {
		t.Errorf("presigned: got %q", got)
	}
}

// The Action is read from the body, and the body stays whole for the handler.
func TestFormActionPutsTheBodyBack(t *testing.T) {
	body := "Action=Publish&Version=2010-03-31&Message=" + strings.Repeat("m", 100)
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if got := Action(r, 1<<20); got != "Publish" {
		t.Fatalf("action %q", got)
	}
	rest, _ := io.ReadAll(r.Body)
	if string(rest) != body {
		t.Fatalf("the body was not put back whole: %q", rest)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"Action":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	if got := Action(r, 1<<20); got != "" {
		t.Fatalf("a JSON body has no Action: got %q", got)
	}
	if got := Action(httptest.NewRequest("GET", "/?Action=GetCallerIdentity", nil), 1<<20); got != "GetCallerIdentity" {
		t.Fatalf("URL action %q", got)
	}
}
