package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/local"
	"loanflow/infra/scenarios"
)

// cmdDemo starts the local stack in-process and runs every scenario.
func cmdDemo(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("demo", "demo [--loans N] [--keep] [--addr HOST:PORT] [--state DIR] [--callback-timeout D] [--delay D]")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (default: a free port; --keep with 127.0.0.1:4566 for the aws CLI)")
	state := fs.String("state", "", "state directory (default: a fresh temporary one)")
	loans := fs.Int("loans", 3, "loans per scenario")
	timeout := fs.Duration("callback-timeout", scenarios.DefaultCallbackTimeout, "RequestValuation's timeout (whole seconds); the timeout scenarios take this long")
	delay := fs.Duration("delay", scenarios.DefaultValuationDelay, "how long the mock service takes to value a property")
	keep := fs.Bool("keep", false, "leave the stack running with its console after the run")
	if err := parseFlags(fs, w, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, w, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *loans < 1 {
		return usageError(fs, w, "--loans must be at least 1")
	}
	cfg := scenarios.FastConfig(*timeout, *delay)
	if err := scenarios.CheckCallbackTimeout(cfg); err != nil {
		return usageError(fs, w, "--callback-timeout: "+err.Error())
	}
	if *delay < 0 {
		return usageError(fs, w, "--delay must not be negative")
	}
	if err := cfg.Validate(); err != nil {
		return usageError(fs, w, err.Error())
	}
	dir := *state
	if dir == "" {
		tmp, err := os.MkdirTemp("", "loanflow-demo-")
		if err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
		dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	logPath := filepath.Join(dir, "stack.log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("stack log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(w.out, "loanflow demo: starting the local stack (state %s, logs %s)\n", dir, logPath)
	s, err := local.Start(ctx, local.Options{Addr: *addr, StateDir: dir, Reset: true, Config: &cfg, Logger: newLogger(logFile, slog.LevelInfo)})
	if err != nil {
		return err
	}
	defer s.Close()

	awsCfg := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""), BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	list := scenarios.All()
	total := len(list) * *loans
	fmt.Fprintf(w.out, "Running %d loans: %d scenarios x %d (callback timeout %s, valuation delay %s); this takes about %s\n",
		total, len(list), *loans, *timeout, *delay, scenarios.RunTime(cfg).Round(time.Second))
	bar := scenarios.NewProgress(w.out)
	r := &scenarios.Runner{SFN: sfn.NewFromConfig(awsCfg), SQS: sqs.NewFromConfig(awsCfg), StateMachineARN: s.Outputs.LoanProcessorARN,
		DLQURL: s.Outputs.DLQURL, Counters: s.Metrics.Snapshot, Deadline: scenarios.RunDeadline(cfg), Progress: bar.Update}
	started := time.Now()
	results, err := r.Run(ctx, fmt.Sprintf("demo%d", started.Unix()%100000), list, *loans)
	bar.Done()
	if err != nil {
		return err
	}
	ok, err := scenarios.WriteResults(w.out, results, time.Since(started))
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintf(w.out, "\nThe stack keeps running. Console: %s   (aws --endpoint-url %s ...)\nCtrl-C stops it.\n", s.Outputs.ConsoleURL, s.Outputs.Endpoint)
		<-ctx.Done()
	}
	if !ok {
		return errFailed
	}
	return nil
}
