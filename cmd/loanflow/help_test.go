package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"loanflow/infra/local"
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
	// A negative valuation delay is a usage mistake, found before the stack
	// starts (it used to start the stack, then fail with exit 1).
	code, out, errOut = runCaptured(t, "demo", "--delay", "-1s")
	if code != 2 || strings.Contains(out, "starting the local stack") || !strings.Contains(errOut, "--delay must not be negative") {
		t.Errorf("loanflow demo --delay -1s: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A log level the help does not list is refused before anything starts
	// (it used to start at info).
	state := filepath.Join(t.TempDir(), "state")
	code, out, errOut = runCaptured(t, "up", "--log-level", "loud", "--addr", "127.0.0.1:0", "--state", state)
	if code != 2 || out != "" || !strings.Contains(errOut, `--log-level "loud": must be debug, info, warn or error`) {
		t.Errorf("loanflow up --log-level loud: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("loanflow up --log-level loud left %s behind (%v)", state, err)
	}
}

// TestSignEventFindsTheStackServingItsState: without --endpoint, sign-event
// asks the stack that serves --state (its lock file says where), not
// 127.0.0.1:4566: for an unknown callback id it hears "no callback" from
// that stack rather than a refused connection.
func TestSignEventFindsTheStackServingItsState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, out, errOut := runCaptured(t, "sign-event", "../../events/valuation-completed.json", "--callback-id", "cb_0123456789abcdef0123456789abcdef", "--state", dir)
	if code != 1 || out != "" || !strings.Contains(errOut, "no callback cb_0123456789abcdef0123456789abcdef in "+local.TableName) {
		t.Fatalf("sign-event: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
