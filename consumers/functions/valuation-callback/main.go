// Command valuation-callback is the Lambda that the "Valuation Completed" and
// "Valuation Failed" rules target. It only wires: config, the signing key,
// SDK clients, handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/secrets"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationcallback"
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

func build(ctx context.Context, log *slog.Logger) (*valuationcallback.Handler, error) {
	cfg, err := valuationcallback.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	log = lambdalog.New(os.Stdout, cfg.LogLevel)
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	var keys valuationcallback.KeySource
	if cfg.SigningSecretID != "" {
		ring := &secrets.Keyring{Getter: secretsmanager.NewFromConfig(aws), ID: cfg.SigningSecretID, TTL: cfg.SecretCacheTTL}
		// Read once at start: a function that cannot read its key does not start.
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := ring.Keys(sctx, false); err != nil {
			return nil, err
		}
		keys = ring
	}
	return valuationcallback.NewHandler(cfg, valuationcallback.Deps{
		Store: tokenstore.NewDynamoStore(dynamodb.NewFromConfig(aws), cfg.TableName),
		Tasks: sfn.NewFromConfig(aws),
		Keys:  keys,
		// Metric lines carry the level Lambda filters at, so they survive it.
		Metrics: valuationcallback.NewEMF(os.Stdout, valuationcallback.EMFOptions{
			LogLevel: cfg.LogLevel, FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
		}),
		Logger: log,
	})
}
