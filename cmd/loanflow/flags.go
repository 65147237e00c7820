package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
)

// newFlagSet returns the flag set of a command whose usage line is
// "loanflow " + synopsis.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: loanflow %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. Asked for help (-h, --help), it prints
// the usage to w.out and returns errHelp; given a flag it does not know or
// a bad value, it prints the mistake and the usage to w.errOut and returns
// errUsage.
func parseFlags(fs *flag.FlagSet, w stdio, args []string) error {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(w.errOut)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		_, _ = w.out.Write(buf.Bytes())
		return errHelp
	}
	_, _ = w.errOut.Write(buf.Bytes())
	return errUsage
}

// usageError prints msg (when not empty) and fs's usage to w.errOut and
// returns errUsage.
func usageError(fs *flag.FlagSet, w stdio, msg string) error {
	if msg != "" {
		fmt.Fprintf(w.errOut, "loanflow %s: %s\n", fs.Name(), msg)
	}
	fs.SetOutput(w.errOut)
	fs.Usage()
	return errUsage
}
