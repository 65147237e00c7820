package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sqlitedb"
)

// roleARN is the role every benchmark state machine is created with.
const roleARN = "arn:aws:iam::000000000000:role/loanflow-bench"

// engine is an sfn.Engine on its own SQLite file, with completion
// notifications: the benchmarks learn that an execution closed through
// Options.OnExecutionClosed instead of polling.
type engine struct {
	path string
	db   *sql.DB
	e    *sfn.Engine

	closed atomic.Int64  // executions closed since open
	wake   chan struct{} // a non-blocking nudge on every close

	mu      sync.Mutex
	waiters map[string]chan sfn.ExecutionSummary // by execution name
}

// openEngine opens (or reopens) the database at path and starts an engine on
// it with inv as its Invoker.
func openEngine(ctx context.Context, path string, inv asl.Invoker) (*engine, error) {
	h := &engine{path: path, wake: make(chan struct{}, 1), waiters: map[string]chan sfn.ExecutionSummary{}}
	db, err := sqlitedb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open engine database: %w", err)
	}
	e, err := sfn.New(db, sfn.Options{Invoker: inv, OnExecutionClosed: h.onClosed})
	if err != nil {
		sqlitedb.Close(db)
		return nil, fmt.Errorf("new engine on %s: %w", path, err)
	}
	if err := e.Start(ctx); err != nil {
		e.Close()
		sqlitedb.Close(db)
		return nil, fmt.Errorf("start engine on %s: %w", path, err)
	}
	h.db, h.e = db, e
	return h, nil
}

func (h *engine) onClosed(s sfn.ExecutionSummary) {
	h.closed.Add(1)
	select {
	case h.wake <- struct{}{}:
	default:
	}
	h.mu.Lock()
	ch, ok := h.waiters[s.Name]
	delete(h.waiters, s.Name)
	h.mu.Unlock()
	if ok {
		ch <- s
	}
}

// expect returns a channel that receives the summary of the execution named
// name when it closes. Call it before starting (or resuming) the execution.
func (h *engine) expect(name string) <-chan sfn.ExecutionSummary {
	ch := make(chan sfn.ExecutionSummary, 1)
	h.mu.Lock()
	h.waiters[name] = ch
	h.mu.Unlock()
	return ch
}

// waitClosed blocks until at least n executions have closed since open.
func (h *engine) waitClosed(ctx context.Context, n int64) error {
	for h.closed.Load() < n {
		select {
		case <-h.wake:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d executions closed: %w", h.closed.Load(), n, ctx.Err())
		}
	}
	return nil
}

// run starts one execution named name and waits for its end; it returns the
// final description.
func (h *engine) run(ctx context.Context, smARN, name, input string) (*sfn.Execution, error) {
	done := h.expect(name)
	arn, _, err := h.e.StartExecution(ctx, smARN, name, input)
	if err != nil {
		return nil, fmt.Errorf("start execution %s: %w", name, err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("execution %s: %w", name, ctx.Err())
	}
	x, err := h.e.DescribeExecution(ctx, arn)
	if err != nil {
		return nil, fmt.Errorf("describe execution %s: %w", name, err)
	}
	return x, nil
}

// close stops the engine and closes its database.
func (h *engine) close() error {
	return errors.Join(h.e.Close(), sqlitedb.Close(h.db))
}

// startAll starts executions named prefix-0 … prefix-(n-1) of smARN with
// input, from a few goroutines (the engine's group commit wants concurrent
// callers).
func startAll(ctx context.Context, h *engine, smARN, prefix string, n int, input func(i int) string) error {
	const submitters = 32
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, submitters)
	)
	for range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				name := prefix + "-" + strconv.Itoa(i)
				if _, _, err := h.e.StartExecution(ctx, smARN, name, input(i)); err != nil {
					errs <- fmt.Errorf("start execution %s: %w", name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// memSample is the process's memory at one moment, after a full GC.
type memSample struct {
	Heap       uint64 // live heap bytes (runtime.MemStats.HeapAlloc)
	RSS        uint64 // resident set size in bytes (VmRSS), 0 if unknown
	Goroutines int
}

// sampleMemory collects garbage, returns freed memory to the OS and reads
// the heap and the RSS.
func sampleMemory() memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := readRSS()
	return memSample{Heap: ms.HeapAlloc, RSS: rss, Goroutines: runtime.NumGoroutine()}
}

// readRSS returns VmRSS from /proc/self/status, in bytes.
func readRSS() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseUint(string(f[0]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", line, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("read RSS: no VmRSS line in /proc/self/status")
}

// pollUntil calls cond every interval until it returns true, it fails, or
// the deadline passes.
func pollUntil(ctx context.Context, timeout, interval time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}
