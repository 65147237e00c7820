package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"loanflow/infra/local"
)

// cmdBackup copies the local stack's state file, while it runs or not.
func cmdBackup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	state := fs.String("state", ".loanflow", "directory holding the local stack's state")
	to := fs.String("to", "", "the new `FILE` to write the copy to (must not exist)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: loanflow backup --to FILE [--state .loanflow]")
		return errUsage
	}
	info, err := local.Backup(ctx, *state, *to)
	if err != nil {
		return err
	}
	fmt.Printf("Backed up %s to %s (%d bytes, %s, quick_check ok).\n", filepath.Join(*state, local.StateFileName), info.Path,
		info.Bytes, info.Took.Round(1e6))
	fmt.Printf("To restore: stop the stack, move %s and its -wal and -shm files aside, copy %s to %s, start it.\n",
		filepath.Join(*state, local.StateFileName), info.Path, filepath.Join(*state, local.StateFileName))
	fmt.Printf("The signing keys are in %s: keep a copy of it too.\n", filepath.Join(*state, local.SecretsFile))
	return nil
}
