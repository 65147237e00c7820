package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/config"
	"loanflow/infra/local"
	"loanflow/infra/redrive"
)

// cmdRedriveCallbacks puts the callback events in the resolver's dead-letter
// queue back on the bus, against AWS (your credentials, --queue-url and
// --bus) or a local stack (--endpoint-url; the queue and bus default to the
// local stack's).
func cmdRedriveCallbacks(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("redrive-callbacks", "redrive-callbacks --queue-url URL --bus NAME [--endpoint-url URL] [--max N]")
	endpoint := fs.String("endpoint-url", "", "a local stack's endpoint, e.g. http://127.0.0.1:4566 (default: AWS)")
	queueURL := fs.String("queue-url", "", "the callback DLQ's URL (the LoanProcessor stack's CallbackDlqUrl output; default on a local stack: its callback DLQ)")
	bus := fs.String("bus", "", "the event bus name (the EventBusName output; default on a local stack: "+config.Local().EventBusName+")")
	maxN := fs.Int("max", 0, "redrive at most this many messages (0: all)")
	if err := parseFlags(fs, w, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, w, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var cfg aws.Config
	if *endpoint != "" {
		cfg = aws.Config{Region: envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", "us-east-1")), BaseEndpoint: endpoint,
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
		if *queueURL == "" {
			*queueURL = *endpoint + "/" + local.AccountID + "/" + local.CallbackDLQName
		}
		if *bus == "" {
			*bus = config.Local().EventBusName
		}
	} else {
		var err error
		if cfg, err = awsconfig.LoadDefaultConfig(ctx); err != nil {
			return fmt.Errorf("load AWS config: %w", err)
		}
	}
	if *queueURL == "" || *bus == "" {
		return usageError(fs, w, "--queue-url and --bus are required against AWS")
	}
	res, err := redrive.Run(ctx, sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg), redrive.Options{QueueURL: *queueURL, BusName: *bus, Max: *maxN})
	fmt.Fprintf(w.out, "redriven %d, skipped %d (not events), failed %d (refused by the bus)\n", res.Redriven, res.Skipped, res.Failed)
	if err != nil {
		return err
	}
	if res.Skipped+res.Failed > 0 {
		return errFailed
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
