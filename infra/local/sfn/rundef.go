package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/sqlitedb"
)

// Result is the outcome of RunDefinition.
type Result struct {
	Status Status          `json:"status"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
}

// RunDefinition runs one execution of definition with input to its end on
// a throwaway engine (a temporary SQLite file) and returns its result. A bad
// definition or input is an error; a failed execution is a Result.
func RunDefinition(ctx context.Context, definition, input []byte, inv asl.Invoker) (Result, error) {
	dir, err := os.MkdirTemp("", "loanflow-run-")
	if err != nil {
		return Result{}, fmt.Errorf("run definition: %w", err)
	}
	defer os.RemoveAll(dir)
	// The same store, SQL, WAL and locking as `loanflow up`; only the file's
	// durability differs (sqlitedb.NoSync): it is deleted when the run ends,
	// so a commit need not wait for the disk.
	db, err := sqlitedb.Open(filepath.Join(dir, "run.db"), sqlitedb.NoSync())
	if err != nil {
		return Result{}, fmt.Errorf("run definition: %w", err)
	}
	defer sqlitedb.Close(db)
	// A discarding handler that is never enabled: the default logger would
	// still format each record (and load the time zone for it). One worker:
	// there is one execution (a Map's or Parallel's branches run inside it,
	// not on workers), and starting the default 256 goroutines costs more
	// than a small run. Nobody reads the history while the run lasts (no
	// API serves this engine), so a run buffers every event it may have
	// (the history cap), bounded in bytes as always, instead of writing
	// every 512: the 1,000-item Map made some 35 intermediate writes.
	e, err := New(db, Options{Invoker: inv, Logger: slog.New(slog.DiscardHandler), Workers: 1, bufferEvents: asl.MaxHistoryEvents})
	if err != nil {
		return Result{}, fmt.Errorf("run definition: %w", err)
	}
	if err := e.Start(ctx); err != nil {
		return Result{}, fmt.Errorf("run definition: %w", err)
	}
	defer e.Close()
	return e.runOnce(ctx, "run-definition", definition, input)
}

// runOnce creates (or reuses) a state machine, runs one execution and waits
// for its end.
func (e *Engine) runOnce(ctx context.Context, smName string, definition, input []byte) (Result, error) {
	smARN, _, err := e.CreateStateMachine(ctx, smName, string(definition), "arn:aws:iam::"+e.account+":role/loanflow-local", "STANDARD")
	if err != nil {
		return Result{}, err
	}
	arn, _, err := e.StartExecution(ctx, smARN, "", string(input))
	if err != nil {
		return Result{}, err
	}
	x, err := e.WaitExecution(ctx, arn)
	if err != nil {
		return Result{}, err
	}
	res := Result{Status: x.Status}
	if x.Output != nil {
		res.Output = json.RawMessage(*x.Output)
	}
	if x.Error != nil {
		res.Error = *x.Error
	}
	if x.Cause != nil {
		res.Cause = *x.Cause
	}
	return res, nil
}

// WaitExecution waits until the execution with arn is no longer RUNNING or
// ctx ends, and returns it. It reads it once, then waits as
// ExecutionWatch.Wait does.
func (e *Engine) WaitExecution(ctx context.Context, arn string) (*Execution, error) {
	w := e.WatchExecution(arn)
	defer w.Stop()
	x, err := e.DescribeExecution(ctx, arn)
	if err != nil || x.Status != StatusRunning {
		return x, err
	}
	return w.Wait(ctx)
}

// ExecutionWatch is a caller's interest in the close of one execution (see
// WatchExecution).
type ExecutionWatch struct {
	e       *Engine
	arn     string
	closed  *closeWatch
	unwatch func()
}

// WatchExecution watches execution arn from now on. A caller that watches
// an execution before starting it can Wait for its close without reading it
// first (as WaitExecution must): it cannot have closed before it started.
// Stop the watch when done.
func (e *Engine) WatchExecution(arn string) *ExecutionWatch {
	w := &ExecutionWatch{e: e, arn: arn}
	w.closed, w.unwatch = e.closeWait.watch(arn)
	return w
}

// Stop ends the watch.
func (w *ExecutionWatch) Stop() {
	if w.unwatch != nil {
		w.unwatch()
		w.unwatch = nil
	}
}

// Wait waits until the execution, RUNNING when the watch began, closes or
// ctx ends, and returns it as DescribeExecution reads it then. When this
// engine's worker closes the execution, the close hands the watch the
// execution as it committed it, which Wait returns without a read (its
// redrive status judged when Wait returns, as DescribeExecution judges it
// when it reads); otherwise (StopExecution, or another process closing it:
// Wait re-reads every second besides) Wait reads it. The watch is spent once
// Wait returns.
func (w *ExecutionWatch) Wait(ctx context.Context) (*Execution, error) {
	defer w.Stop()
	for {
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(ctx.Err(), fmt.Errorf("execution %s still running", w.arn))
		case <-w.closed.done:
			w.unwatch = nil // closed() dropped it
			if x := w.closed.x; x != nil {
				t.Stop()
				return x.describe(w.e.clock.Now()), nil
			}
		case <-t.C:
		}
		t.Stop()
		w.Stop()
		// Watch again before reading, so a close between the read and the
		// next wait is not missed.
		w.closed, w.unwatch = w.e.closeWait.watch(w.arn)
		x, err := w.e.DescribeExecution(ctx, w.arn)
		if err != nil || x.Status != StatusRunning {
			return x, err
		}
	}
}
