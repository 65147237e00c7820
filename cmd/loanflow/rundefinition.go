package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"loanflow/infra/local/asl"
)

// cmdRunDefinition runs one ASL file to its end and prints
// {"status", "output" | "error", "cause"} as JSON; exit 1 when it fails.
func cmdRunDefinition(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run-definition", flag.ContinueOnError)
	input := fs.String("input", "", "file holding the execution input (JSON); default {}")
	file, rest := splitPositional(args)
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		fmt.Fprintln(os.Stderr, "usage: loanflow run-definition FILE [--input FILE]")
		return errUsage
	}
	def, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read definition: %w", err)
	}
	in := []byte("{}")
	if *input != "" {
		if in, err = os.ReadFile(*input); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
	res, err := asl.RunDefinition(ctx, def, in, nil)
	if err != nil {
		return err
	}
	out := map[string]any{"status": res.Status}
	if res.Status == "SUCCEEDED" {
		out["output"] = json.RawMessage(res.Output)
	} else {
		if res.Error != "" {
			out["error"] = res.Error
		}
		if res.Cause != "" {
			out["cause"] = res.Cause
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	if res.Status != "SUCCEEDED" {
		return errFailed
	}
	return nil
}

// splitPositional lets the FILE come before the flags, as the usage shows.
func splitPositional(args []string) (string, []string) {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "", args
}
