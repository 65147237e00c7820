package main

import (
	"context"
	"fmt"
	"path/filepath"

	"loanflow/infra/local"
)

// cmdBackup copies the local stack's state file, while it runs or not.
func cmdBackup(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("backup", "backup --to FILE [--state .loanflow]")
	state := fs.String("state", ".loanflow", "directory holding the local stack's state")
	to := fs.String("to", "", "the new `FILE` to write the copy to (must not exist)")
	if err := parseFlags(fs, w, args); err != nil {
		return err
	}
	if *to == "" {
		return usageError(fs, w, "--to is required")
	}
	if fs.NArg() > 0 {
		return usageError(fs, w, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	info, err := local.Backup(ctx, *state, *to)
	if err != nil {
		return err
	}
	stateFile := filepath.Join(*state, local.StateFileName)
	fmt.Fprintf(w.out, "Backed up %s to %s (%d bytes, %s, quick_check ok).\n", stateFile, info.Path, info.Bytes, info.Took.Round(1e6))
	fmt.Fprintf(w.out, "To restore: stop the stack, move %s and its -wal and -shm files aside, copy %s to %s, start it.\n",
		stateFile, info.Path, stateFile)
	fmt.Fprintf(w.out, "The signing keys are in %s: keep a copy of it too.\n", filepath.Join(*state, local.SecretsFile))
	return nil
}
