// Command valuation-service-callback is the mock valuation service's callback
// sender, invoked by its state machine. It only wires: config, the signing
// key, HTTP client, handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/secrets"
	"loanflow/consumers/valuationservice"
)

func main() {
	log := lambdalog.New(os.Stdout, "INFO") // until the config names the level
	h, err := build(context.Background(), log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.Handle, lambda.WithEnableSIGTERM(func() { log.Info("shutting down") }))
}

func build(ctx context.Context, log *slog.Logger) (*valuationservice.CallbackSender, error) {
	cfg, err := valuationservice.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	log = lambdalog.New(os.Stdout, cfg.LogLevel)
	var keys valuationservice.KeySource
	if cfg.SigningSecretID != "" || cfg.WebhookAPIKeyID != "" {
		aws, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load AWS config: %w", err)
		}
		sm := secretsmanager.NewFromConfig(aws)
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if cfg.SigningSecretID != "" {
			ring := &secrets.Keyring{Getter: sm, ID: cfg.SigningSecretID, TTL: cfg.SecretCacheTTL}
			if _, err := ring.Keys(sctx, false); err != nil {
				return nil, err
			}
			keys = ring
		}
		if cfg.WebhookAPIKeyID != "" {
			key, err := secrets.Load(sctx, sm, cfg.WebhookAPIKeyID)
			if err != nil {
				return nil, err
			}
			cfg.WebhookAPIKey = string(key)
		}
	}
	client := &http.Client{
		Timeout: cfg.CallbackTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   3 * time.Second,
			ResponseHeaderTimeout: cfg.CallbackTimeout,
		},
	}
	return valuationservice.NewCallbackSender(cfg, valuationservice.SenderDeps{HTTP: client, Keys: keys, Logger: log})
}
