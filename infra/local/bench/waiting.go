package bench

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"loanflow/infra/local/asl"
)

// WaitDefinition parks every execution on a task token in its first state
// (sqs:sendMessage.waitForTaskToken).
//
//go:embed testdata/wait.asl.json
var WaitDefinition string

// WaitingResult holds the memory-per-waiting-execution and restart figures.
type WaitingResult struct {
	N int // executions parked on task tokens

	Idle, Parked memSample // the engine idle, then with N waiting
	// HeapPerExec and RSSPerExec are (Parked - Idle) / N, in bytes.
	HeapPerExec, RSSPerExec float64
	// ExtraGoroutines is how many more goroutines run with N waiting.
	ExtraGoroutines int
	// Park is the time to start the N executions until all are waiting.
	Park time.Duration

	// Restart is the time from opening the database to the end of one
	// execution resumed by SendTaskSuccess, with N waiting; RestartStart the
	// part until Start returned.
	Restart, RestartStart time.Duration
	// EmptyStart is the time to open a database with no executions and
	// Start an engine on it (median of three): the restart baseline.
	EmptyStart time.Duration
}

// tokenKeeper is the benchmark's Invoker: it just returns, counting calls
// and remembering the task token of one execution (so the memory figure is
// not inflated by a token list).
type tokenKeeper struct {
	calls  atomic.Int64
	suffix string // ":<name>" of the execution whose token is kept

	mu    sync.Mutex
	token string
}

// Invoke counts the task and, for the chosen execution, keeps its token;
// every task then waits on its token.
func (k *tokenKeeper) Invoke(_ context.Context, call asl.TaskCall) (any, error) {
	k.calls.Add(1)
	if strings.HasSuffix(call.ExecutionARN, k.suffix) {
		k.mu.Lock()
		k.token = call.TaskToken
		k.mu.Unlock()
	}
	return nil, nil
}

func (k *tokenKeeper) kept() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.token
}

// measureWaiting times an empty engine's start (the restart baseline);
// parks n executions on task tokens in an engine on a database under dir and
// measures the memory they take; then closes the engine, reopens the file
// and times restart-to-ready.
func measureWaiting(ctx context.Context, dir string, n int) (WaitingResult, error) {
	res := WaitingResult{N: n}

	// Baseline: an empty engine's start, on a database whose tables exist
	// (as on a restart); the median of three.
	emptyPath := filepath.Join(dir, "empty.db")
	var starts []time.Duration
	for i := range 4 {
		t0 := time.Now()
		empty, err := openEngine(ctx, emptyPath, nil)
		if err != nil {
			return res, err
		}
		if i > 0 { // the first open creates the tables
			starts = append(starts, time.Since(t0))
		}
		if err := empty.close(); err != nil {
			return res, fmt.Errorf("close empty engine: %w", err)
		}
	}
	res.EmptyStart = medianDuration(starts)

	path := filepath.Join(dir, "waiting.db")
	const keepName = "w-0"
	inv := &tokenKeeper{suffix: ":" + keepName}
	h, err := openEngine(ctx, path, inv)
	if err != nil {
		return res, err
	}
	defer func() {
		if h != nil {
			h.close()
		}
	}()
	smARN, _, err := h.e.CreateStateMachine(ctx, "bench-waiting", WaitDefinition, roleARN, "STANDARD")
	if err != nil {
		return res, fmt.Errorf("create waiting state machine: %w", err)
	}
	res.Idle = sampleMemory()

	t0 := time.Now()
	if err := startAll(ctx, h, smARN, "w", n, func(i int) string {
		return `{"loan":{"id":"L-` + strconv.Itoa(i) + `","amount":250000}}`
	}); err != nil {
		return res, err
	}
	if err := pollUntil(ctx, 10*time.Minute, 20*time.Millisecond, fmt.Sprintf("%d executions waiting", n), func() (bool, error) {
		if inv.calls.Load() < int64(n) {
			return false, nil
		}
		s, err := h.e.Stats(ctx)
		if err != nil {
			return false, fmt.Errorf("stats: %w", err)
		}
		return s.PendingTasks >= n, nil
	}); err != nil {
		return res, err
	}
	res.Park = time.Since(t0)
	// Let the workers that parked the last executions return.
	_ = pollUntil(ctx, 5*time.Second, 10*time.Millisecond, "idle workers", func() (bool, error) {
		return sampleGoroutines() <= res.Idle.Goroutines, nil
	})
	res.Parked = sampleMemory()
	res.HeapPerExec = (float64(res.Parked.Heap) - float64(res.Idle.Heap)) / float64(n)
	res.RSSPerExec = (float64(res.Parked.RSS) - float64(res.Idle.RSS)) / float64(n)
	res.ExtraGoroutines = res.Parked.Goroutines - res.Idle.Goroutines

	token := inv.kept()
	if token == "" {
		return res, fmt.Errorf("no task token recorded for execution %s", keepName)
	}
	if err := h.close(); err != nil {
		return res, fmt.Errorf("close engine before restart: %w", err)
	}
	h = nil

	// Restart with n waiting: open, Start, resume one execution.
	t0 = time.Now()
	h, err = openEngine(ctx, path, inv)
	if err != nil {
		return res, fmt.Errorf("restart: %w", err)
	}
	res.RestartStart = time.Since(t0)
	done := h.expect(keepName)
	if err := h.e.SendTaskSuccess(ctx, token, `{"value":300000}`); err != nil {
		return res, fmt.Errorf("restart: send task success: %w", err)
	}
	select {
	case s := <-done:
		if s.Status != "SUCCEEDED" {
			return res, fmt.Errorf("restart: resumed execution ended %s", s.Status)
		}
	case <-ctx.Done():
		return res, fmt.Errorf("restart: waiting for the resumed execution: %w", ctx.Err())
	}
	res.Restart = time.Since(t0)
	return res, nil
}

// sampleGoroutines is runtime.NumGoroutine, named for the poll above.
func sampleGoroutines() int { return runtime.NumGoroutine() }

// tmpfsDir returns dir if set, else /dev/shm when it is a directory, else
// "" (no tmpfs).
func tmpfsDir(dir string) string {
	if dir != "" {
		return dir
	}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return ""
}
