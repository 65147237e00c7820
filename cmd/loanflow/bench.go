package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"loanflow/test/bench"
)

// cmdBench measures the figures of README's "Guarantees and figures", each
// against a baseline taken in the same run.
func cmdBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "a short run (fewer loans, executions and samples)")
	engine := fs.Bool("engine", true, "measure the ASL engine (Map vs the npm peer, waiting memory, restart, transitions)")
	peer := fs.Bool("peer", true, "compare with the npm peer ("+bench.PeerInstall+")")
	system := fs.Bool("system", true, "measure the local stack end to end (loans/s, webhook-to-resume latency, cloud cost)")
	loans := fs.Int("loans", 0, "loans for loans/s (default 10,000; quick 1,000)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var figures []bench.Figure
	if *system {
		_, figs, err := bench.RunSystem(ctx, *quick, bench.SystemOptions{Loans: *loans}, os.Stdout)
		if err != nil {
			return err
		}
		figures = append(figures, figs...)
		if !*engine {
			return bench.WriteTable(os.Stdout, figures)
		}
	}
	if *engine {
		rep, err := bench.Run(ctx, bench.Options{Quick: *quick, Peer: *peer}, os.Stdout)
		if err != nil {
			return err
		}
		if len(figures) > 0 {
			fmt.Println("\nAll figures:")
			return bench.WriteTable(os.Stdout, append(figures, rep.Figures...))
		}
	}
	return nil
}
