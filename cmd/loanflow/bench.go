package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

	"loanflow/infra/local/bench"
)

// cmdBench measures the figures of README's "Guarantees and figures", each
// against a baseline taken in the same run.
func cmdBench(ctx context.Context, w stdio, args []string) error {
	fs := newFlagSet("bench", "bench [--quick] [--engine=false] [--system=false] [--peer=false] [--loans N] [--sockets] [--log FILE] [--cpuprofile FILE] [--memprofile FILE]")
	quick := fs.Bool("quick", false, "a short run (fewer loans, executions and samples)")
	engine := fs.Bool("engine", true, "measure the ASL engine (Map vs the npm peer, waiting memory, restart, transitions)")
	peer := fs.Bool("peer", true, "compare with the npm peer ("+bench.PeerInstall+")")
	system := fs.Bool("system", true, "measure the local stack end to end (loans/s, webhook-to-resume latency, cloud cost)")
	loans := fs.Int("loans", 0, "loans for loans/s (default 10,000; quick 1,000)")
	sockets := fs.Bool("sockets", false, "the functions call the stack over TCP instead of in-process")
	logFile := fs.String("log", "", "append the local stack's warnings and errors (JSON lines) to this `FILE`")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this `FILE` (go tool pprof)")
	memprofile := fs.String("memprofile", "", "write the run's allocations (every one sampled, not only the live ones) to this `FILE` (go tool pprof -sample_index=alloc_space)")
	if err := parseFlags(fs, w, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, w, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			return fmt.Errorf("memory profile: %w", err)
		}
		defer func() {
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintf(w.out, "memory profile: %v\n", err)
			}
			f.Close()
		}()
	}
	sys := bench.SystemOptions{Loans: *loans, FunctionsOverSockets: *sockets}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("log: %w", err)
		}
		defer f.Close()
		sys.Log = f
	}
	var figures []bench.Figure
	if *system {
		_, figs, err := bench.RunSystem(ctx, *quick, sys, w.out)
		if err != nil {
			return err
		}
		figures = append(figures, figs...)
		if !*engine {
			return bench.WriteTable(w.out, figures)
		}
	}
	if *engine {
		opts := bench.Options{Quick: *quick, Peer: *peer}
		// The whole-process figures run this binary's run-definition.
		if exe, err := os.Executable(); err == nil {
			opts.Binary = exe
		}
		rep, err := bench.Run(ctx, opts, w.out)
		if err != nil {
			return err
		}
		if len(figures) > 0 {
			fmt.Fprintln(w.out, "\nAll figures:")
			return bench.WriteTable(w.out, append(figures, rep.Figures...))
		}
	}
	return nil
}
