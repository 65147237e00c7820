package valuationrequest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"loanflow/consumers/valuationrequest"
)

type captureTransport struct{ auth []string }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(nil)), Request: r}, nil
}

// One transport signs many requests, across days and credentials, exactly
// as a signer made for each request would.
func TestSigV4TransportSignsEachRequestAsAFreshSigner(t *testing.T) {
	day := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	clock := []time.Time{day, day.Add(time.Minute), day.Add(24 * time.Hour), day.Add(24*time.Hour + time.Minute), day.Add(24*time.Hour + 2*time.Minute)}
	creds := []aws.CredentialsProvider{
		credentials.NewStaticCredentialsProvider("AKIDONE", "secret-one", ""),
		credentials.NewStaticCredentialsProvider("AKIDONE", "secret-one", ""),
		credentials.NewStaticCredentialsProvider("AKIDONE", "secret-one", ""),
		credentials.NewStaticCredentialsProvider("AKIDTWO", "secret-two", ""),
		credentials.NewStaticCredentialsProvider("AKIDONE", "secret-one", ""),
	}
	next := &captureTransport{}
	var i int
	var provider providerFunc = func(ctx context.Context) (aws.Credentials, error) { return creds[i].Retrieve(ctx) }
	tr := &valuationrequest.SigV4Transport{Next: next, Credentials: provider, Region: "eu-west-2", Now: func() time.Time { return clock[i] }}
	body := []byte(`{"property":{"name":"1 High Street"}}`)
	for i = range clock {
		req, err := http.NewRequest(http.MethodPost, "https://api.example.com/valuations", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		want, err := http.NewRequest(http.MethodPost, "https://api.example.com/valuations", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := creds[i].Retrieve(context.Background())
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), c, want, hex.EncodeToString(sum[:]), "execute-api", "eu-west-2", clock[i]); err != nil {
			t.Fatal(err)
		}
		if got := next.auth[i]; got != want.Header.Get("Authorization") {
			t.Errorf("request %d: Authorization\n got %s\nwant %s", i, got, want.Header.Get("Authorization"))
		}
	}
}

type providerFunc func(context.Context) (aws.Credentials, error)

func (f providerFunc) Retrieve(ctx context.Context) (aws.Credentials, error) { return f(ctx) }
