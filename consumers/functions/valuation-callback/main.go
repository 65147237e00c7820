// Command valuation-callback is the Lambda that the "Valuation Completed" and
// "Valuation Failed" rules target. It only wires: a startup logger, the AWS
// config, and valuationcallback.Build, the function's one assembly, which the
// local stack uses too.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/valuationcallback"
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

func build(ctx context.Context) (*valuationcallback.Handler, error) {
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return valuationcallback.Build(ctx, os.Getenv, aws, valuationcallback.BuildOptions{Logs: os.Stdout})
}
