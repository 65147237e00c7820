// Command valuation-service-api is the mock valuation service's API Lambda
// (POST /valuations). It only wires: config, SDK client, handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"loanflow/consumers/internal/ssmparam"
	"loanflow/consumers/lambdalog"
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

func build(ctx context.Context, log *slog.Logger) (*valuationservice.APIHandler, error) {
	cfg, err := valuationservice.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	log = lambdalog.New(os.Stdout, cfg.LogLevel)
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	var callbacks valuationservice.PrefixSource
	if cfg.AllowedCallbackParameter != "" {
		callbacks = &ssmparam.Cached{Getter: ssm.NewFromConfig(aws), Name: cfg.AllowedCallbackParameter, TTL: time.Minute}
	}
	return valuationservice.NewAPIHandler(cfg, valuationservice.APIDeps{
		Executions: sfn.NewFromConfig(aws),
		Callbacks:  callbacks,
		Logger:     log,
	})
}
