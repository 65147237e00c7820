package asl

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"loanflow/infra/local/sqlitedb"
)

// Options configure an Engine.
type Options struct {
	// Clock defaults to the wall clock.
	Clock Clock
	// Invoker runs Task states; without one every Task fails.
	Invoker Invoker
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
}

// Engine runs state machines durably on SQLite.
type Engine struct {
	db      *sql.DB
	w       *sqlitedb.Writer // commits writes together with the other components on db
	clock   Clock
	invoker Invoker
	log     *slog.Logger
	region  string
	account string
	workers int
	onClose func(ExecutionSummary)

	stop   chan struct{}
	wg     sync.WaitGroup
	nextID atomic.Int64

	machines sync.Map // def hash -> *machine

	storageRetries sync.Map // execution id -> last retry delay (time.Duration), while its writes fail

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  []int64
	active map[int64]*activeExec

	smu     sync.Mutex
	scanned int64
	poke    chan struct{}

	wmu     sync.Mutex
	waiters map[string]chan taskSignal

	closeWait closeWaiters // WaitExecution callers, by execution ARN

	started atomic.Bool
	closed  atomic.Bool
}

// activeExec is an execution queued for or held by a worker.
type activeExec struct {
	run    *run
	again  bool
	cancel context.CancelFunc
}

// taskSignal notifies a nested thread waiting on a token.
type taskSignal struct {
	outcome *taskOutcome
	hbAt    int64
}

// New returns an Engine on db, creating its tables. Call Start to run
// executions and Close to stop.
func New(db *sql.DB, opts Options) (*Engine, error) {
	e := &Engine{
		db: db, w: sqlitedb.WriterOf(db), clock: opts.Clock, invoker: opts.Invoker, log: opts.Logger,
		region: opts.Region, account: opts.AccountID, workers: opts.Workers, onClose: opts.OnExecutionClosed,
		stop:   make(chan struct{}),
		active: map[int64]*activeExec{}, poke: make(chan struct{}, 1),
		waiters: map[string]chan taskSignal{}, scanned: math.MinInt64,
	}
	e.qcond = sync.NewCond(&e.qmu)
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.invoker == nil {
		e.invoker = InvokerFunc(func(context.Context, TaskCall) (any, error) {
			return nil, &TaskError{Name: ErrTaskFailed, Cause: "no task invoker is configured"}
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
	if _, err := db.Exec(schema); err != nil {
		return nil, fmt.Errorf("create sfn tables: %w", err)
	}
	var maxID sql.NullInt64
	if err := db.QueryRow(`SELECT MAX(id) FROM sfn_executions`).Scan(&maxID); err != nil {
		return nil, fmt.Errorf("read execution ids: %w", err)
	}
	e.nextID.Store(maxID.Int64)
	return e, nil
}

// Start launches the workers and the timer scheduler, and
// resumes the executions a previous process left running.
func (e *Engine) Start(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errors.New("engine already started")
	}
	// Nested threads resume from their checkpoints, waiting on their tokens
	// again; tokens of threads that never checkpointed (stores written
	// before threads were) are closed.
	if _, err := e.w.Exec(ctx, `UPDATE sfn_tasks SET status = ? WHERE status = ? AND nested = 1
		AND NOT EXISTS (SELECT 1 FROM sfn_threads th WHERE th.exec_id = sfn_tasks.exec_id)`, taskClosed, taskPending); err != nil {
		return fmt.Errorf("recover nested tasks: %w", err)
	}
	// Resume what was running, and what waits on a task whose answer was
	// accepted (SendTaskSuccess/Failure commit the outcome, then resume the
	// execution in memory: a crash in between must not leave it waiting
	// until its timeout).
	rows, err := e.db.QueryContext(ctx, `SELECT x.id FROM sfn_executions x WHERE x.status = 'RUNNING' AND (x.waiting = 0
   OR EXISTS (SELECT 1 FROM sfn_tasks t WHERE t.token = json_extract(x.cursor, '$.k') AND t.status = ?))`, taskCompleted)
	if err != nil {
		return fmt.Errorf("recover executions: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("recover executions: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
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
	if a, ok := e.active[id]; ok {
		a.again = true
		return
	}
	e.active[id] = &activeExec{run: r}
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
		r := a.run
		a.run = nil
		ctx, cancel := context.WithCancel(context.Background())
		a.cancel = cancel
		e.qmu.Unlock()

		e.advance(ctx, id, r)
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

// cancelRun interrupts the worker holding execution id, if any.
func (e *Engine) cancelRun(id int64) {
	e.qmu.Lock()
	if a, ok := e.active[id]; ok && a.cancel != nil {
		a.cancel()
	}
	e.qmu.Unlock()
}

// activeCount is the number of executions queued or held by workers.
func (e *Engine) activeCount() int {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	return len(e.active)
}
