package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"loanflow/infra/local"
)

func stackFlags(fs *flag.FlagSet) (addr, state *string) {
	return fs.String("addr", "127.0.0.1:4566", "listen address of the local stack"),
		fs.String("state", ".loanflow", "directory holding the local stack's state")
}

// cmdUp serves the local stack until interrupted.
func cmdUp(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("up", "up [--addr 127.0.0.1:4566] [--state .loanflow] [--reset] [--log-level LEVEL] [--allow-host NAME]... [--listen-public]")
	addr, state := stackFlags(fs)
	reset := fs.Bool("reset", false, "delete the state (executions, queues, tokens; not the signing keys) and start clean")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	public := fs.Bool("listen-public", false, "allow an --addr that is not a loopback address (other machines can then call the stack, with any credentials)")
	var hosts stringList
	fs.Var(&hosts, "allow-host", "another name the stack answers to in the Host header (`name` on any port, or name:port); repeatable")
	if err := parseFlags(fs, w, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, w, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return usageError(fs, w, fmt.Sprintf("--log-level %q: must be debug, info, warn or error", *level))
	}
	log := newLogger(w.errOut, lvl)
	s, err := local.Start(ctx, local.Options{Addr: *addr, StateDir: *state, Reset: *reset, Logger: log,
		ListenPublic: *public, AllowHosts: hosts})
	if err != nil {
		return err
	}
	defer s.Close()
	if s.Outputs.Public {
		fmt.Fprintf(w.errOut, "WARNING: listening on %s, which is not a loopback address (--listen-public): any machine that reaches it can "+
			"use the local stack with any credentials and read task tokens from it. It answers only Host names on this list: %s.\n\n",
			s.Outputs.ListenAddress, strings.Join(s.Outputs.AllowedHosts, ", "))
	}
	printOutputs(w.out, s.Outputs)
	fmt.Fprintln(w.out, "\nServing; Ctrl-C stops (state is kept: waiting executions, queued messages and timers resume on the next start).")
	<-ctx.Done()
	fmt.Fprintln(w.out, "\nStopping...")
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

func printOutputs(w io.Writer, o local.Outputs) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Outputs (local stack)")
	for _, kv := range [][2]string{
		{"Endpoint", o.Endpoint + "   (aws --endpoint-url " + o.Endpoint + " ...; any credentials)"},
		{"Console", o.ConsoleURL},
		{"LoanProcessorArn", o.LoanProcessorARN},
		{"ValuationServiceStateMachineArn", o.ValuationServiceMachineARN},
		{"ValuationRequestQueueUrl", o.QueueURL},
		{"ValuationRequestDLQUrl", o.DLQURL},
		{"CallbackDLQUrl", o.CallbackDLQURL},
		{"LoanNotificationsTopicArn", o.NotificationsTopicARN},
		{"EventBusName", o.EventBusName},
		{"TokenTableName", o.TokenTableName},
		{"WebhookUrl", o.WebhookURL},
		{"ValuationServiceUrl", o.ValuationServiceURL},
		{"StateFile", o.StateFile + "   (loanflow backup --to FILE copies it while the stack runs)"},
		{"AllowedHosts", strings.Join(o.AllowedHosts, ", ") + "   (--allow-host adds one)"},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", kv[0], kv[1])
	}
	_ = tw.Flush()
}
