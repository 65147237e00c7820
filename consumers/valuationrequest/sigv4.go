package valuationrequest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SigV4Transport signs each request with AWS Signature Version 4 for
// execute-api, as an IAM-authorized API Gateway route requires: the mock
// valuation service accepts requests from this function's role only.
type SigV4Transport struct {
	Next        http.RoundTripper
	Credentials aws.CredentialsProvider
	Region      string
	// Now is the signing clock; time.Now when nil.
	Now func() time.Time

	// signer is made once, as an SDK client's is: it keeps the signing key
	// it derived (four HMACs) for the day, instead of deriving it again for
	// every request.
	signerOnce sync.Once
	signer     *v4.Signer
}

// RoundTrip implements http.RoundTripper.
func (t *SigV4Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sigv4: read body: %w", err)
		}
		body = b
	}
	creds, err := t.Credentials.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: credentials: %w", err)
	}
	signed := req.Clone(req.Context())
	signed.Body = io.NopCloser(bytes.NewReader(body))
	signed.ContentLength = int64(len(body))
	signed.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	sum := sha256.Sum256(body)
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	t.signerOnce.Do(func() { t.signer = v4.NewSigner() })
	if err := t.signer.SignHTTP(req.Context(), creds, signed, hex.EncodeToString(sum[:]), "execute-api", t.Region, now()); err != nil {
		return nil, fmt.Errorf("sigv4: sign: %w", err)
	}
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(signed)
}
