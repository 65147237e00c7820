package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/tokenstore"
	"loanflow/infra/local"
)

// cmdSignEvent prints a put-events entries file pointed at a callback id and
// signed with the local stack's key. It reads the valuation reference of that
// callback from the running stack's token table unless --reference is given.
func cmdSignEvent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sign-event", flag.ContinueOnError)
	state := fs.String("state", ".loanflow", "the local stack's state directory (holds the signing key)")
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "the running local stack, to read the callback's valuation reference")
	callbackID := fs.String("callback-id", "", "the callback id to resume (required)")
	reference := fs.String("reference", "", "the valuation reference (default: read from the token table)")
	file, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || *callbackID == "" {
		fmt.Fprintln(os.Stderr, "usage: loanflow sign-event FILE --callback-id ID [--state DIR] [--endpoint URL] [--reference REF]")
		return errUsage
	}
	key, err := local.ReadSecret(*state)
	if err != nil {
		return err
	}
	ref := *reference
	if ref == "" {
		if ref, err = lookupReference(ctx, *endpoint, *callbackID); err != nil {
			return err
		}
	}
	out, err := local.SignEntriesFile(file, *callbackID, ref, key, time.Now())
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}

func lookupReference(ctx context.Context, endpoint, callbackID string) (string, error) {
	ddb := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(local.TableName), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{tokenstore.AttrCallbackID: &ddbtypes.AttributeValueMemberS{Value: callbackID}}})
	if err != nil {
		return "", fmt.Errorf("read callback %s from %s (is `loanflow up` running? or pass --reference): %w", callbackID, endpoint, err)
	}
	if out.Item == nil {
		return "", fmt.Errorf("no callback %s in %s", callbackID, local.TableName)
	}
	r, err := tokenstore.RecordFromItem(out.Item)
	if err != nil {
		return "", err
	}
	return r.ValuationReference, nil
}
