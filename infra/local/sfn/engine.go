package sfn

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/internal/wakeup"
)

// Options configure an Engine.
type Options struct {
	// Clock defaults to the wall clock.
	Clock Clock
	// Invoker runs Task states; without one every Task fails.
	Invoker asl.Invoker
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Region and AccountID build ARNs (defaults us-east-1, 000000000000).
	Region    string
	AccountID string
	// Workers bounds how many executions advance at once (default 256). A
	// worker is held while its execution runs a synchronous task (a Lambda
	// invoke, an HTTP call behind it), so the bound is on concurrency, not on
	// CPU: a waiting execution holds no worker at all.
	Workers int
	// OnExecutionClosed, if set, is called (from a worker goroutine) after
	// an execution reaches a final status and is checkpointed.
	OnExecutionClosed func(ExecutionSummary)

	// bufferEvents bounds the history events a run buffers before it writes
	// them (default maxEventsInMemory; the byte bound always holds).
	bufferEvents int
}

// Engine runs state machines durably on SQLite.
type Engine struct {
	store   *store
	clock   Clock
	invoker asl.Invoker
	log     *slog.Logger
	region  string
	account string
	workers int
	onClose func(ExecutionSummary)

	bufferEvents int // see Options.bufferEvents

	stop   chan struct{}
	wg     sync.WaitGroup
	nextID atomic.Int64

	machines sync.Map // def hash -> *asl.Machine
	rows     sync.Map // *asl.Machine -> rowKinds (see machineRows)

	// startRefs holds, by state machine ARN, the definition hash and role
	// the last start read (a machineRef; see firstSteps).
	startRefs sync.Map

	storageRetries sync.Map // execution id -> last retry delay (time.Duration), while its writes fail

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  []int64
	active map[int64]*activeExec

	smu     sync.Mutex
	scanned int64
	// nextScan is the deadline the scheduler's last scan found next, at
	// which it scans again (0: none, it waits for a poke).
	nextScan int64
	poke     chan struct{}

	tokens    tokenWaiters // nested threads waiting on task tokens
	closeWait closeWaiters // WaitExecution callers, by execution ARN
	parked    parkedRows   // rows of the executions parked last, which resuming them reads

	polls wakeup.Broadcast[string] // GetActivityTask callers, by activity ARN

	started atomic.Bool
	closed  atomic.Bool
}

// activeExec is an execution queued for or held by a worker.
type activeExec struct {
	run    *run
	again  bool
	cancel context.CancelFunc
	// resolved is the task last resolved for the execution while it was
	// queued or held, which its next load uses instead of reading the task
	// when its cursor awaits that task.
	resolved *resolvedTask
}

// New returns an Engine on db, creating its tables. Call Start to run
// executions and Close to stop.
func New(db *sql.DB, opts Options) (*Engine, error) {
	e := &Engine{
		clock: opts.Clock, invoker: opts.Invoker, log: opts.Logger,
		region: opts.Region, account: opts.AccountID, workers: opts.Workers, onClose: opts.OnExecutionClosed,
		bufferEvents: cmp.Or(opts.bufferEvents, maxEventsInMemory),
		stop:         make(chan struct{}),
		active:       map[int64]*activeExec{}, poke: make(chan struct{}, 1),
		scanned: math.MinInt64,
	}
	e.qcond = sync.NewCond(&e.qmu)
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.invoker == nil {
		e.invoker = asl.InvokerFunc(func(context.Context, asl.TaskCall) (any, error) {
			return nil, &asl.TaskError{Name: asl.ErrTaskFailed, Cause: "no task invoker is configured"}
		})
	}
	if e.log == nil {
		e.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if e.region == "" {
		e.region = "us-east-1"
	}
	if e.account == "" {
		e.account = "000000000000"
	}
	if e.workers <= 0 {
		e.workers = 256
	}
	s, maxID, err := openStore(db, e.clock, e.stop)
	if err != nil {
		return nil, err
	}
	e.store = s
	s.activityAdded = func(arns []string) { e.polls.Notify(arns...) }
	e.nextID.Store(maxID)
	return e, nil
}

// Start launches the workers and the timer scheduler, and
// resumes the executions a previous process left running.
func (e *Engine) Start(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("engine already started")
	}
	ids, err := e.store.recover(ctx)
	if err != nil {
		return err
	}
	deleting, err := e.store.deletingMachines(ctx)
	if err != nil {
		return err
	}
	for _, arn := range deleting {
		e.store.deleting.Store(arn, struct{}{})
	}
	for range e.workers {
		e.wg.Add(1)
		go e.worker()
	}
	for _, id := range ids {
		e.enqueue(id, nil)
	}
	e.wg.Add(1)
	go e.scheduler()
	e.log.InfoContext(ctx, "asl engine started", "resumed", len(ids), "workers", e.workers)
	return nil
}

// Close stops the engine, letting in-flight steps finish. Executions stay in
// the database and resume on the next Start.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	e.qmu.Lock()
	close(e.stop)
	for _, a := range e.active {
		if a.cancel != nil {
			a.cancel()
		}
	}
	e.qcond.Broadcast()
	e.qmu.Unlock()
	e.wg.Wait()
	return nil
}

// enqueue schedules execution id on a worker; r, if set, is its in-memory
// state (a fresh start), else the worker loads it.
func (e *Engine) enqueue(id int64, r *run) {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	e.enqueueLocked(id, r, nil)
}

// enqueueResolved schedules execution id, loaded with its task t as
// resolveTask committed it.
func (e *Engine) enqueueResolved(id int64, t *resolvedTask) {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	e.enqueueLocked(id, nil, t)
}

// enqueueStarted schedules the execution StartExecution just inserted, with
// its run r, unless a StopExecution wrote since stops (parkedRows.stops
// before the insert): that stop may have run its cancelRun before this
// enqueue, finding nothing to drop, and r (stepped to its first task's
// invocation, or from its start) would invoke a task of the aborted
// execution; the worker reads the row instead. The check holds qmu, which
// a stop's cancelRun takes after counting itself.
func (e *Engine) enqueueStarted(id int64, r *run, stops uint64) {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	if e.parked.stops.Load() != stops {
		r = nil
	}
	e.enqueueLocked(id, r, nil)
}

// enqueueLocked schedules execution id, with its run r or the task t
// resolved for it, if set; qmu is held.
func (e *Engine) enqueueLocked(id int64, r *run, t *resolvedTask) {
	if a, ok := e.active[id]; ok {
		a.again = true
		if t != nil {
			a.resolved = t
		}
		if r == nil {
			// Asked to run from its row (a redrive, a timer): a run kept in
			// memory and not yet taken may be older than the row.
			a.run = nil
		}
		return
	}
	e.active[id] = &activeExec{run: r, resolved: t}
	e.queue = append(e.queue, id)
	e.qcond.Signal()
}

func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		e.qmu.Lock()
		for len(e.queue) == 0 && !e.closed.Load() {
			e.qcond.Wait()
		}
		if e.closed.Load() {
			e.qmu.Unlock()
			return
		}
		id := e.queue[0]
		e.queue = e.queue[1:]
		a := e.active[id]
		r, resolved := a.run, a.resolved
		a.run, a.resolved = nil, nil
		// A run outlives the request that started it: Close and StopExecution end it through cancel.
		ctx, cancel := context.WithCancel(context.Background())
		a.cancel = cancel
		e.qmu.Unlock()

		e.advance(ctx, id, r, resolved)
		cancel()

		e.qmu.Lock()
		if a.again && !e.closed.Load() {
			a.again = false
			a.cancel = nil
			e.queue = append(e.queue, id)
			e.qcond.Signal()
		} else {
			delete(e.active, id)
		}
		e.qmu.Unlock()
	}
}

// cancelRun interrupts the worker holding execution id, if any, and
// drops a run queued in memory for it (the worker reads its row instead).
func (e *Engine) cancelRun(id int64) {
	e.qmu.Lock()
	if a, ok := e.active[id]; ok {
		if a.cancel != nil {
			a.cancel()
		}
		a.run = nil
	}
	e.qmu.Unlock()
}

// activeCount is the number of executions queued or held by workers.
func (e *Engine) activeCount() int {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	return len(e.active)
}

// machine returns the parsed definition with the given hash.
func (e *Engine) machine(ctx context.Context, hash string) (*asl.Machine, error) {
	if m, ok := e.machines.Load(hash); ok {
		return m.(*asl.Machine), nil
	}
	def, err := e.store.definition(ctx, hash)
	if err != nil {
		return nil, err
	}
	m, err := asl.Parse([]byte(def))
	if err != nil {
		return nil, fmt.Errorf("parse stored definition %s: %w", hash, err)
	}
	e.machines.Store(hash, m)
	return m, nil
}
