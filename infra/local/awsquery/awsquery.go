// Package awsquery reads what requests of the AWS query protocol (SNS, STS,
// CloudFormation, and the services the local stack does not serve) share:
// the service their SigV4 credential scope names, and their Action, which
// a form-encoded body carries.
package awsquery

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// CredentialService is the service of r's SigV4 (or SigV4a) credential
// scope, AKID/date[/region]/service/aws4_request, from the Authorization
// header or a presigned URL's X-Amz-Credential.
func CredentialService(r *http.Request) (string, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return "", false
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if n := len(parts); (n == 4 || n == 5) && parts[n-1] == "aws4_request" && parts[n-2] != "" {
		return parts[n-2], true
	}
	return "", false
}

// IsForm reports whether r's body is form-encoded.
func IsForm(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// FormAction is the Action of r's form-encoded POST body, reading at most
// maxBody bytes of it; the body is put back whole for the handler. "" when
// r is not such a request.
func FormAction(r *http.Request, maxBody int64) string {
	if r.Method != http.MethodPost || r.Body == nil || !IsForm(r) {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
	if err != nil {
		return ""
	}
	vals, _ := url.ParseQuery(string(body))
	return vals.Get("Action")
}

// Action is r's Action: its URL's, else its form-encoded body's (see
// FormAction).
func Action(r *http.Request, maxBody int64) string {
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	return FormAction(r, maxBody)
}

type replayBody struct {
	io.Reader
	io.Closer
}
