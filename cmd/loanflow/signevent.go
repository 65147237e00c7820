package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/infra/local"
)

// cmdSignEvent prints a put-events entries file pointed at a callback id and
// signed with the local stack's key. It reads the valuation reference of that
// callback from the running stack's token table unless --reference is given.
func cmdSignEvent(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("sign-event", "sign-event FILE --callback-id ID [--state DIR] [--endpoint URL] [--reference REF]")
	state := fs.String("state", ".loanflow", "the local stack's state directory (holds the signing key)")
	endpoint := fs.String("endpoint", "", "the running local stack, to read the callback's valuation reference (default: the one serving --state, else http://127.0.0.1:4566)")
	callbackID := fs.String("callback-id", "", "the callback id to resume (required)")
	reference := fs.String("reference", "", "the valuation reference (default: read from the token table)")
	file, rest := splitPositional(args)
	if err := parseFlags(fs, w, rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	switch {
	case file == "" && *callbackID == "":
		return usageError(fs, w, "FILE and --callback-id are required")
	case file == "":
		return usageError(fs, w, "FILE is required")
	case *callbackID == "":
		return usageError(fs, w, "--callback-id is required")
	}
	key, err := local.ReadSecret(*state)
	if err != nil {
		return err
	}
	ref := *reference
	if ref == "" {
		if *endpoint == "" {
			*endpoint = "http://127.0.0.1:4566"
			if e, ok := local.ServingEndpoint(*state); ok {
				*endpoint = e
			}
		}
		ddb := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(*endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
		r, err := tokenstore.NewDynamoStore(ddb, local.TableName).Get(ctx, *callbackID)
		switch {
		case errors.Is(err, tokenstore.ErrNotFound):
			return fmt.Errorf("no callback %s in %s", *callbackID, local.TableName)
		case err != nil:
			return fmt.Errorf("read callback %s from %s (is `loanflow up` running there? pass --endpoint URL, or --reference REF): %w", lambdalog.ID(*callbackID), *endpoint, err)
		}
		ref = r.ValuationReference
	}
	out, err := local.SignEntriesFile(file, *callbackID, ref, key, time.Now())
	if err != nil {
		return err
	}
	if _, err := w.out.Write(out); err != nil {
		return fmt.Errorf("write entries: %w", err)
	}
	return nil
}
