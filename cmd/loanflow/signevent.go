package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"loanflow/consumers/signature"
	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/local"
)

// cmdSignEvent reads a put-events entries file, points its detail at a
// callback id and signs the body with the local stack's key, as the valuation
// service would, printing the entries to stdout.
func cmdSignEvent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sign-event", flag.ContinueOnError)
	state := fs.String("state", ".loanflow", "the local stack's state directory (holds the signing key)")
	callbackID := fs.String("callback-id", "", "the callback id to resume (required)")
	file, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || *callbackID == "" {
		fmt.Fprintln(os.Stderr, "usage: loanflow sign-event FILE --callback-id ID [--state DIR]")
		return errUsage
	}
	key, err := local.ReadSecret(*state)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read entries: %w", err)
	}
	var entries []events.Entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return fmt.Errorf("entries file: %w", err)
	}
	for i := range entries {
		var d contracts.ValuationCallbackDetail
		if err := json.Unmarshal([]byte(entries[i].Detail), &d); err != nil {
			return fmt.Errorf("entry %d: Detail: %w", i, err)
		}
		d.CallbackID = *callbackID
		body, err := json.Marshal(d.Response)
		if err != nil {
			return err
		}
		d.Body = string(body)
		d.Signature.Timestamp, d.Signature.Value = signature.Sign(key, time.Now(), body)
		if err := contracts.Validate(contracts.SchemaValuationCallbackDetail, mustJSON(d)); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		entries[i].Detail = string(mustJSON(d))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(entries)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
