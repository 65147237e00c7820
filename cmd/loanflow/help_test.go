package main

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"testing"
)

var discard = stdio{out: io.Discard, errOut: io.Discard}

// runCaptured runs the CLI with args and returns its exit code, stdout and stderr.
func runCaptured(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdio{out: &out, errOut: &errOut})
	return code, out.String(), errOut.String()
}

func commandNames() []string {
	var names []string
	for name := range commands() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Asking for a command's usage is no mistake: it goes to stdout and exits 0,
// however it is asked for.
func TestEveryCommandsHelpExitsZeroWithItsUsageOnStdout(t *testing.T) {
	names := commandNames()
	if len(names) < 7 {
		t.Fatalf("only %d commands: %v", len(names), names)
	}
	for _, name := range names {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {name, "-help"}, {"help", name}} {
			code, out, errOut := runCaptured(t, args...)
			if code != 0 {
				t.Errorf("loanflow %s exited %d, want 0 (stderr: %q)", strings.Join(args, " "), code, errOut)
			}
			if !strings.HasPrefix(out, "usage: loanflow "+name) {
				t.Errorf("loanflow %s printed %q on stdout, want the usage line of %s", strings.Join(args, " "), out, name)
			}
			if !strings.Contains(out, "\nFlags:\n  -") {
				t.Errorf("loanflow %s printed no flags:\n%s", strings.Join(args, " "), out)
			}
			if errOut != "" {
				t.Errorf("loanflow %s wrote to stderr: %q", strings.Join(args, " "), errOut)
			}
		}
	}
}

func TestTopLevelHelpExitsZeroWithTheUsageOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runCaptured(t, args...)
		if code != 0 || !strings.Contains(out, "Usage:\n  loanflow up") || errOut != "" {
			t.Errorf("loanflow %s: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args[0], code, out, errOut)
		}
	}
}

// A mistake still exits 2 with the usage on stderr and nothing on stdout.
func TestUsageMistakesExitTwoWithTheUsageOnStderr(t *testing.T) {
	for _, name := range commandNames() {
		code, out, errOut := runCaptured(t, name, "--no-such-flag")
		if code != 2 {
			t.Errorf("loanflow %s --no-such-flag exited %d, want 2", name, code)
		}
		if out != "" {
			t.Errorf("loanflow %s --no-such-flag wrote to stdout: %q", name, out)
		}
		if !strings.Contains(errOut, "flag provided but not defined: -no-such-flag") || !strings.Contains(errOut, "usage: loanflow "+name) {
			t.Errorf("loanflow %s --no-such-flag: stderr %q lacks the mistake or the usage", name, errOut)
		}
	}
	for _, args := range [][]string{nil, {"no-such-command"}, {"help", "no-such-command"}} {
		code, out, errOut := runCaptured(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "Usage:\n  loanflow up") {
			t.Errorf("loanflow %v: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", args, code, out, errOut)
		}
	}
	// A missing required argument names it, with the usage, on stderr.
	code, out, errOut := runCaptured(t, "run-definition")
	if code != 2 || out != "" || !strings.Contains(errOut, "FILE is required") || !strings.Contains(errOut, "usage: loanflow run-definition FILE") {
		t.Errorf("loanflow run-definition: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
