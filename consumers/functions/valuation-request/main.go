// Command valuation-request is the Lambda that consumes the valuation-request
// queue. It only wires: config, SDK clients, handler.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationrequest"
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

func build(ctx context.Context, log *slog.Logger) (*valuationrequest.Handler, error) {
	cfg, err := valuationrequest.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	log = lambdalog.New(os.Stdout, cfg.LogLevel)
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	client := valuationrequest.NewHTTPClient(cfg)
	if cfg.ServiceAuth == valuationrequest.AuthIAM {
		client.Transport = &valuationrequest.SigV4Transport{Next: client.Transport, Credentials: aws.Credentials, Region: aws.Region}
	}
	return valuationrequest.NewHandler(cfg, valuationrequest.Deps{
		Store:  tokenstore.NewDynamoStore(dynamodb.NewFromConfig(aws), cfg.TableName),
		Tasks:  sfn.NewFromConfig(aws),
		HTTP:   client,
		Logger: log,
	})
}
