package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"loanflow/infra/local/sfn"
)

// cmdRunDefinition runs one ASL file to its end and prints
// {"status", "output" | "error", "cause"} as JSON; exit 1 when it fails.
func cmdRunDefinition(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("run-definition", "run-definition FILE [--input FILE]")
	input := fs.String("input", "", "`FILE` holding the execution input (JSON); default {}")
	file, rest := splitPositional(args)
	if err := parseFlags(fs, w, rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return usageError(fs, w, "FILE is required")
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
	res, err := sfn.RunDefinition(ctx, def, in, nil)
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
	enc := json.NewEncoder(w.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write result: %w", err)
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
