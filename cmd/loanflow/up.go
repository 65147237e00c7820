package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"

	"loanflow/infra/local"
)

func stackFlags(fs *flag.FlagSet) (addr, state *string) {
	return fs.String("addr", "127.0.0.1:4566", "listen address of the local stack"),
		fs.String("state", ".loanflow", "directory holding the local stack's state")
}

// cmdUp serves the local stack until interrupted.
func cmdUp(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	addr, state := stackFlags(fs)
	reset := fs.Bool("reset", false, "delete the state and start clean")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	log := newLogger(os.Stderr, *level)
	s, err := local.Start(ctx, local.Options{Addr: *addr, StateDir: *state, Reset: *reset, Logger: log})
	if err != nil {
		return err
	}
	defer s.Close()
	printOutputs(os.Stdout, s.Outputs)
	fmt.Println("\nServing; Ctrl-C stops (state is kept: waiting executions, queued messages and timers resume on the next start).")
	<-ctx.Done()
	fmt.Println("\nStopping...")
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
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
		{"EventBusName", o.EventBusName},
		{"TokenTableName", o.TokenTableName},
		{"WebhookUrl", o.WebhookURL},
		{"ValuationServiceUrl", o.ValuationServiceURL},
		{"StateFile", o.StateFile},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", kv[0], kv[1])
	}
	_ = tw.Flush()
}
