package bench

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// TransitionsDefinition enters five states per execution.
//
//go:embed testdata/transitions.asl.json
var TransitionsDefinition string

// statesPerExecution is how many states an execution of
// TransitionsDefinition enters.
const statesPerExecution = 5

// TransitionsResult is the state-transitions-per-second figure.
type TransitionsResult struct {
	Executions int // executions per round
	Rounds     int
	// Disk and Tmpfs are the median transitions per second with the
	// database on dir and on the tmpfs directory (the baseline without disk
	// cost).
	Disk, Tmpfs float64
	DiskDir     string
	TmpfsDir    string // "" when there is no tmpfs: then no baseline
}

// measureTransitions runs n executions of TransitionsDefinition, rounds
// times, alternating a database on diskDir and one on memDir, and reports
// the median rates.
func measureTransitions(ctx context.Context, diskDir, memDir string, n, rounds int) (TransitionsResult, error) {
	res := TransitionsResult{Executions: n, Rounds: rounds, DiskDir: diskDir, TmpfsDir: memDir}
	var disk, mem []float64
	for r := range rounds {
		rate, err := transitionsOnce(ctx, filepath.Join(diskDir, fmt.Sprintf("transitions-%d.db", r)), n)
		if err != nil {
			return res, fmt.Errorf("transitions on disk: %w", err)
		}
		disk = append(disk, rate)
		if memDir == "" {
			continue
		}
		tmp, err := os.MkdirTemp(memDir, "loanflow-bench-")
		if err != nil {
			return res, fmt.Errorf("transitions on tmpfs: %w", err)
		}
		rate, err = transitionsOnce(ctx, filepath.Join(tmp, "transitions.db"), n)
		os.RemoveAll(tmp)
		if err != nil {
			return res, fmt.Errorf("transitions on tmpfs: %w", err)
		}
		mem = append(mem, rate)
	}
	res.Disk, res.Tmpfs = median(disk), median(mem)
	return res, nil
}

// transitionsOnce runs n executions on a fresh engine at path and returns
// state transitions per second, from the first start to the last close.
func transitionsOnce(ctx context.Context, path string, n int) (float64, error) {
	h, err := openEngine(ctx, path, nil)
	if err != nil {
		return 0, err
	}
	defer h.close()
	smARN, _, err := h.e.CreateStateMachine(ctx, "bench-transitions", TransitionsDefinition, roleARN, "STANDARD")
	if err != nil {
		return 0, fmt.Errorf("create transitions state machine: %w", err)
	}
	t0 := time.Now()
	if err := startAll(ctx, h, smARN, "t", n, func(i int) string {
		return `{"id":"L-` + strconv.Itoa(i) + `","amount":` + strconv.Itoa(50000+i%5*40000) + `}`
	}); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := h.waitClosed(wctx, int64(n)); err != nil {
		return 0, err
	}
	el := time.Since(t0)
	return float64(n*statesPerExecution) / el.Seconds(), nil
}
