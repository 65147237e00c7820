// Command valuation-request is the Lambda that consumes the valuation-request
// queue. It only wires: a startup logger, the AWS config, and
// valuationrequest.Build, the function's one assembly, which the local stack
// uses too.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/valuationrequest"
)

func main() {
	// Until the configuration names the level: only a failure to start is
	// logged with it. The handler logs at the configured level.
	log := lambdalog.New(os.Stdout, "INFO")
	h, err := build(context.Background())
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	lambda.StartWithOptions(h.Handle, lambda.WithEnableSIGTERM(func() { h.Logger().Info("shutting down") }))
}

func build(ctx context.Context) (*valuationrequest.Handler, error) {
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return valuationrequest.Build(ctx, os.Getenv, aws, valuationrequest.BuildOptions{Logs: os.Stdout})
}
