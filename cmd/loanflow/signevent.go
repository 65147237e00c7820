package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"loanflow/infra/local"
)

// cmdSignEvent prints a put-events entries file pointed at a callback id and
// signed with the local stack's key.
func cmdSignEvent(_ context.Context, args []string) error {
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
	out, err := local.SignEntriesFile(file, *callbackID, key, time.Now())
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
