package mockvaluation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"loanflow/consumers/internal/ssmparam"
	"loanflow/consumers/lambdalog"
	"loanflow/consumers/secrets"
)

// BuildOptions are what differs between Lambda and the local stack when a
// function of the mock is built.
type BuildOptions struct {
	// Logs receives the function's JSON log lines, at the configured
	// level; os.Stdout (what Lambda collects) when nil. Unused when Logger
	// is set.
	Logs io.Writer
	// Logger, when set, is the function's logger as it is (the local
	// stack's, which tags each function's lines).
	Logger *slog.Logger
	// Transport, when set, wraps the callback sender's HTTP transport (the
	// local stack keeps the calls to itself in-process).
	Transport func(http.RoundTripper) http.RoundTripper
}

func (o BuildOptions) logger(level string) *slog.Logger {
	return lambdalog.Function(o.Logger, o.Logs, level)
}

// startupTimeout bounds the reads a function makes before it serves (its
// keys): a function that cannot read them does not start.
const startupTimeout = 5 * time.Second

// prefixTTL is how long the API uses the allowed callback prefix it read
// from SSM before reading it again.
const prefixTTL = time.Minute

// BuildAPI is the one assembly of the API function (valuation-service-api),
// used by its main in Lambda and by the local stack: it reads the
// configuration through getenv and makes its SDK clients from awsCfg. The
// allowed callback prefix comes from the SSM parameter the environment
// names, read at run time, or from the environment itself.
func BuildAPI(_ context.Context, getenv func(string) string, awsCfg aws.Config, o BuildOptions) (*APIHandler, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var callbacks PrefixSource
	if cfg.AllowedCallbackParameter != "" {
		callbacks = &ssmparam.Cached{Getter: ssm.NewFromConfig(awsCfg), Name: cfg.AllowedCallbackParameter, TTL: prefixTTL}
	}
	return NewAPIHandler(cfg, APIDeps{Executions: sfn.NewFromConfig(awsCfg), Callbacks: callbacks, Logger: o.logger(cfg.LogLevel)})
}

// BuildCallbackSender is the one assembly of the callback sender
// (valuation-service-callback), used by its main in Lambda and by the local
// stack: it reads the configuration through getenv and, when the
// environment names secrets rather than values, reads the signing key (kept
// fresh by a keyring) and the webhook's API key from Secrets Manager through
// awsCfg before it returns.
func BuildCallbackSender(ctx context.Context, getenv func(string) string, awsCfg aws.Config, o BuildOptions) (*CallbackSender, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var keys KeySource
	if cfg.SigningSecretID != "" || cfg.WebhookAPIKeyID != "" {
		sm := secretsmanager.NewFromConfig(awsCfg)
		sctx, cancel := context.WithTimeout(ctx, startupTimeout)
		defer cancel()
		if cfg.SigningSecretID != "" {
			ring := &secrets.Keyring{Getter: sm, ID: cfg.SigningSecretID, TTL: cfg.SecretCacheTTL}
			if _, err := ring.Keys(sctx, false); err != nil {
				return nil, fmt.Errorf("valuation-service callback sender: signing key: %w", err)
			}
			keys = ring
		}
		if cfg.WebhookAPIKeyID != "" {
			key, err := secrets.Load(sctx, sm, cfg.WebhookAPIKeyID)
			if err != nil {
				return nil, fmt.Errorf("valuation-service callback sender: webhook API key: %w", err)
			}
			cfg.WebhookAPIKey = string(key)
		}
	}
	var transport http.RoundTripper = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   3 * time.Second,
		ResponseHeaderTimeout: cfg.CallbackTimeout,
	}
	if o.Transport != nil {
		transport = o.Transport(transport)
	}
	client := &http.Client{Timeout: cfg.CallbackTimeout, Transport: transport}
	return NewCallbackSender(cfg, SenderDeps{HTTP: client, Keys: keys, Logger: o.logger(cfg.LogLevel)})
}

// Logger is the API's logger, at the configured level.
func (h *APIHandler) Logger() *slog.Logger { return h.log }

// Logger is the sender's logger, at the configured level.
func (s *CallbackSender) Logger() *slog.Logger { return s.log }
