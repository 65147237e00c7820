package sfn

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"loanflow/infra/local/asl"
)

// maxEventsInMemory and maxEventBytesInMemory bound the events a running
// execution buffers before an intermediate checkpoint (or, in threads that
// are not checkpointed, a write of the history alone); an engine may buffer
// more events (Options.bufferEvents), never more bytes.
const (
	maxEventsInMemory     = 512
	maxEventBytesInMemory = 4 << 20
)

// run is one execution loaded in memory while a worker advances it. It is
// the interpreter's asl.Host for that execution.
type run struct {
	e        *Engine
	id       int64
	arn      string
	name     string
	smARN    string
	hash     string // the definition's
	roleARN  string
	start    time.Time
	deadline time.Time
	m        *asl.Machine
	x        *asl.Execution
	// input, redriveCount and redriveDate are the row's, for the execution
	// its close hands its watchers (closedAs).
	input        string
	redriveCount int
	redriveDate  *time.Time

	journal journal
	// next is where a new execution resumes when StartExecution stepped it
	// (firstSteps); nil for its first state or its checkpoint.
	next *asl.Cursor
	// invoked says a task was invoked since the last checkpoint of the
	// top-level cursor (nested threads invoke on goroutines of their own).
	invoked atomic.Bool
}

var _ asl.Host = (*run)(nil)

// begin creates the interpreter's execution for r, whose next history event
// has id nextEventID.
func (r *run) begin(input any, nextEventID int64) {
	r.journal.next = nextEventID
	r.journal.redrives = r.redriveCount
	r.x = asl.NewExecution(r, r.m, asl.ExecutionInfo{
		ARN: r.arn, Name: r.name, StateMachineARN: r.smARN, StateMachineName: nameFromARN(r.smARN), RoleARN: r.roleARN,
		Region: r.e.region, Input: input, Start: r.start, Deadline: r.deadline,
	}, nextEventID)
}

// useMachine sets the definition, its hash and the role r runs with, and
// its deadline from the definition's TimeoutSeconds.
func (r *run) useMachine(m *asl.Machine, hash, roleARN string) {
	r.m, r.hash, r.roleARN = m, hash, roleARN
	r.deadline = asl.ExecutionDeadline(r.start, m.TimeoutSeconds())
}

// closedAs returns r as its close f committed it (see closedExecution).
func (r *run) closedAs(f *finishing) *closedExecution {
	stop := time.Unix(0, f.stopNS)
	return &closedExecution{Execution: Execution{
		ExecutionARN: r.arn, StateMachineARN: r.smARN, Name: r.name, Status: f.status,
		Input: r.input, Output: f.output, Error: f.errName, Cause: f.cause,
		StartDate: time.Unix(0, r.start.UnixNano()), StopDate: &stop,
		RedriveCount: r.redriveCount, RedriveDate: r.redriveDate,
	}, nextEvent: r.journal.nextEvent()}
}

// journal holds what a run recorded since its last checkpoint: its history
// events, already in their stored form, and its waitForTaskToken tasks.
type journal struct {
	mu     sync.Mutex
	events historyBuf
	tasks  []asl.PendingTask
	next   int64 // id of the event after the last one recorded
	// redrives is the redrive count of the run that buffers here: its
	// writes are refused once the execution was redriven again (a worker
	// that outlived StopExecution and RedriveExecution, see updateRunning).
	redrives int
}

// nextEvent is the id of the next event.
func (j *journal) nextEvent() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.next
}

// take empties the journal and returns what it held, and the id of the
// event after the last one it held.
func (j *journal) take() (historyBuf, []asl.PendingTask, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	events, tasks := j.events, j.tasks
	j.events, j.tasks = historyBuf{}, nil
	return events, tasks, j.next
}

// Now returns the engine clock's time.
func (r *run) Now() time.Time { return r.e.clock.Now() }

// NewTaskToken returns a new task token.
func (r *run) NewTaskToken() string { return newToken() }

// Invoke calls the engine's task integrations.
func (r *run) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	r.invoked.Store(true)
	return r.e.invoker.Invoke(ctx, call)
}

// Record buffers ev until the next checkpoint.
func (r *run) Record(ev asl.Event) {
	j := &r.journal
	j.mu.Lock()
	j.events.add(ev)
	j.next = ev.ID + 1
	j.mu.Unlock()
}

// AddTask buffers t until the next checkpoint.
func (r *run) AddTask(t asl.PendingTask) {
	j := &r.journal
	j.mu.Lock()
	j.tasks = append(j.tasks, t)
	j.mu.Unlock()
}

// hasTasks reports whether tasks wait to be written with the next checkpoint.
func (j *journal) hasTasks() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.tasks) > 0
}

// BufferFull reports whether r's buffered events should be written now.
func (r *run) BufferFull() bool {
	j := &r.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.events.n >= r.e.bufferEvents || j.events.bytes >= maxEventBytesInMemory
}

// Flush writes the events buffered by threads that are not checkpointed
// (they only compute), bounding the memory they hold.
func (r *run) Flush() error {
	if err := r.e.store.flushNestedWrite(r.id, &r.journal); err != nil {
		return fmt.Errorf("write history of %s: %w", r.arn, err)
	}
	return nil
}

// SaveThread checkpoints the top-level cursor (path "") or a nested
// thread's row, with the buffered events.
func (r *run) SaveThread(path string, t asl.Thread) error {
	if path == "" {
		return r.e.checkpoint(r, t.Cursor, 0, false)
	}
	return r.e.saveThread(r, path, t)
}

// LoadThreads returns the checkpointed threads under prefix, by index.
func (r *run) LoadThreads(prefix string) (map[int]asl.Thread, error) {
	return r.e.loadThreads(r, prefix)
}

// Run calls fn(i) for i in [0, n) on at most limit goroutines.
func (r *run) Run(ctx context.Context, n, limit int, fn func(i int)) {
	runBounded(ctx, n, limit, fn)
}

// Watch routes the answers to token to Await.
func (r *run) Watch(token string) bool { return r.e.tokens.watch(token) }

// Await blocks a nested thread until until, an answer to token, or the
// execution's interruption.
func (r *run) Await(ctx context.Context, token string, until time.Time) (asl.TaskSignal, error) {
	return r.e.await(ctx, token, until)
}

// runBounded calls fn(i) for every i in [0, n), at most limit at a time,
// and returns when every call begun has returned. With limit <= 1 the calls
// run in order in the caller's goroutine; once ctx is done no further call
// begins.
func runBounded(ctx context.Context, n, limit int, fn func(i int)) {
	if limit <= 1 {
		for i := range n {
			if ctx.Err() != nil {
				break
			}
			fn(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}
