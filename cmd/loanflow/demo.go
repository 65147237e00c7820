package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/local"
	"loanflow/test/scenarios"
)

// cmdDemo starts the local stack in-process and runs every scenario.
func cmdDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (default: a free port; --keep with 127.0.0.1:4566 for the aws CLI)")
	state := fs.String("state", "", "state directory (default: a fresh temporary one)")
	loans := fs.Int("loans", 3, "loans per scenario")
	timeout := fs.Duration("callback-timeout", scenarios.DefaultCallbackTimeout, "RequestValuation's timeout (whole seconds); the timeout scenarios take this long")
	delay := fs.Duration("delay", scenarios.DefaultValuationDelay, "how long the mock service takes to value a property")
	keep := fs.Bool("keep", false, "leave the stack running with its console after the run")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *loans < 1 {
		fmt.Fprintln(os.Stderr, "--loans must be at least 1")
		return errUsage
	}
	cfg := scenarios.FastConfig(*timeout, *delay)
	if err := scenarios.CheckCallbackTimeout(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "--callback-timeout: %v\n", err)
		return errUsage
	}
	dir := *state
	if dir == "" {
		tmp, err := os.MkdirTemp("", "loanflow-demo-")
		if err != nil {
			return err
		}
		dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	logPath := filepath.Join(dir, "stack.log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Printf("loanflow demo: starting the local stack (state %s, logs %s)\n", dir, logPath)
	s, err := local.Start(ctx, local.Options{Addr: *addr, StateDir: dir, Reset: true, Config: &cfg, Logger: newLogger(logFile, "info")})
	if err != nil {
		return err
	}
	defer s.Close()

	awsCfg := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", ""), BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	list := scenarios.All()
	total := len(list) * *loans
	fmt.Printf("Running %d loans: %d scenarios x %d (callback timeout %s, valuation delay %s); this takes about %s\n",
		total, len(list), *loans, *timeout, *delay, scenarios.RunTime(cfg).Round(time.Second))
	bar := newProgress(os.Stdout, total)
	r := &scenarios.Runner{SFN: sfn.NewFromConfig(awsCfg), SQS: sqs.NewFromConfig(awsCfg), StateMachineARN: s.Outputs.LoanProcessorARN,
		DLQURL: s.Outputs.DLQURL, Counters: s.Metrics.Snapshot, Deadline: scenarios.RunDeadline(cfg), Progress: bar.update}
	started := time.Now()
	results, err := r.Run(ctx, fmt.Sprintf("demo%d", started.Unix()%100000), list, *loans)
	bar.done()
	if err != nil {
		return err
	}
	ok := printResults(os.Stdout, results, time.Since(started))
	if *keep {
		fmt.Printf("\nThe stack keeps running. Console: %s   (aws --endpoint-url %s ...)\nCtrl-C stops it.\n", s.Outputs.ConsoleURL, s.Outputs.Endpoint)
		<-ctx.Done()
	}
	if !ok {
		return errFailed
	}
	return nil
}

func printResults(w io.Writer, results []scenarios.Result, took time.Duration) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSCENARIO\tLOANS\tEXPECTED\tACTUAL\tMEDIAN\tOK")
	all := true
	for _, r := range results {
		mark := "yes"
		if !r.OK() {
			mark, all = "NO", false
		}
		extra := ""
		if r.Scenario.Counter != "" {
			extra = " + " + strings.TrimPrefix(r.Scenario.Counter, "Callbacks") + " counted"
		}
		if r.Scenario.DeadLetters {
			extra = " + in DLQ"
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s%s\t%s\t%s\t%s\n", r.Scenario.Name, r.Passed, len(r.Loans), r.Scenario.Expect, extra, r.Actual(),
			r.Median().Round(10*time.Millisecond), mark)
	}
	_ = tw.Flush()
	for _, r := range results {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s: %s\n", r.Scenario.Name, p)
		}
	}
	if all {
		fmt.Fprintf(w, "\nEvery scenario ended as expected (%s).\n", took.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(w, "\nSome scenarios did not end as expected (%s).\n", took.Round(100*time.Millisecond))
	}
	return all
}

// progress is a one-line bar on a terminal, plain lines otherwise.
type progress struct {
	w        io.Writer
	total    int
	tty      bool
	lastTick int
}

func newProgress(w *os.File, total int) *progress {
	fi, err := w.Stat()
	return &progress{w: w, total: total, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) update(done, total int) {
	if p.tty {
		const width = 30
		n := done * width / total
		fmt.Fprintf(p.w, "\r  [%s%s] %d/%d loans", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		return
	}
	tick := done * 10 / total
	if tick > p.lastTick || done == total {
		p.lastTick = tick
		fmt.Fprintf(p.w, "  %d/%d loans done\n", done, total)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
