package asl

import (
	"context"
	"errors"
	"time"
)

// Host is everything the interpreter needs from the runtime that runs an
// execution: the interpreter keeps no storage, reads no clock and starts no
// goroutine of its own. A Host serves one execution; Map iterations and
// Parallel branches call it from several goroutines at once.
//
// The methods come in four groups: the outside world (Now, NewTaskToken,
// Invoke); the journal of what the execution did since its last checkpoint
// (Record, AddTask, BufferFull, Flush); the checkpoints and concurrency of
// Map iterations and Parallel branches (SaveThread, LoadThreads, Run); and
// waiting inside them (Watch, Await). The top-level thread never blocks in
// the interpreter: Execution.Step returns StepSuspend and the runtime
// checkpoints and parks it.
type Host interface {
	// Now returns the current time on the runtime's clock.
	Now() time.Time
	// NewTaskToken returns the token of a newly scheduled Task: opaque,
	// unguessable, and the runtime's to check when it is answered.
	NewTaskToken() string
	// Invoke performs a Task state's service call (see Invoker).
	Invoke(ctx context.Context, call TaskCall) (any, error)

	// Record buffers ev, the execution's next history event, until the
	// next checkpoint. It is called in event-id order with the execution's
	// lock held: it must not call back into the Execution.
	Record(ev Event)
	// AddTask buffers a waitForTaskToken task, to be persisted with the next
	// checkpoint (before the task is invoked).
	AddTask(t PendingTask)
	// BufferFull reports whether the buffered events should be written
	// before the thread goes on.
	BufferFull() bool
	// Flush writes the buffered events and tasks without a checkpoint, for
	// the threads that are not checkpointed (they only compute).
	Flush() error

	// SaveThread checkpoints the thread at path with everything buffered:
	// path "" is the top-level thread, saved running at t.Cursor; any other
	// path is a Map iteration or Parallel branch (see Thread).
	SaveThread(path string, t Thread) error
	// LoadThreads returns the checkpointed threads whose paths are prefix
	// followed by an index, by index.
	LoadThreads(prefix string) (map[int]Thread, error)
	// Run calls fn(i) for every i in [0, n), at most limit calls at a time,
	// and returns when every call begun has returned. With limit <= 1 the
	// calls run one after the other in the caller's goroutine. Once ctx is
	// done it begins no further call.
	Run(ctx context.Context, n, limit int, fn func(i int))

	// Watch starts routing the answers to token (SendTaskSuccess, Failure,
	// Heartbeat) to Await, before the task is invoked so that no answer is
	// missed; false if token was watched already.
	Watch(token string) bool
	// Await blocks a Map iteration or Parallel branch until the time until
	// (zero: no limit) or, when token is not "", an answer to token. A
	// token not watched yet (its thread resumed after a restart) is watched,
	// and an outcome committed for it meanwhile is returned at once. A zero
	// TaskSignal means the time came. Await returns ErrInterrupted when ctx
	// ends or the runtime stops.
	Await(ctx context.Context, token string, until time.Time) (TaskSignal, error)
}

// ErrInterrupted is returned by Host.Await when the execution is stopped,
// timed out or the runtime is closing: the waiting thread ends (its
// checkpoints stay) and the runtime decides what becomes of the execution.
var ErrInterrupted = errors.New("wait interrupted")

// PendingTask is a waitForTaskToken task that its runtime persists with the
// next checkpoint, so that a late or early answer finds it.
type PendingTask struct {
	Token string
	State string
	// Nested is set for a task of a Map iteration or Parallel branch, whose
	// answer is routed to Await rather than resuming the execution.
	Nested bool
	// TimeoutAt and HeartbeatAt are the task's deadlines in Unix
	// nanoseconds, 0 when it has none; HeartbeatSeconds restarts the
	// latter at each heartbeat.
	TimeoutAt        int64
	HeartbeatAt      int64
	HeartbeatSeconds int64
	// Activity is the ARN of the activity whose workers take the task
	// (GetActivityTask), and Input the task's input as JSON text, for an
	// activity task; "" for a waitForTaskToken task. An activity task's
	// heartbeat deadline starts when a worker takes it.
	Activity string
	Input    string
}

// TaskOutcome is what SendTaskSuccess or SendTaskFailure delivered for a
// token.
type TaskOutcome struct {
	Success bool
	Output  any
	Error   string
	Cause   string
}

// TaskSignal is an answer Await delivers: the task's outcome, or a
// heartbeat that moved its heartbeat deadline to HeartbeatAt (Unix ns).
type TaskSignal struct {
	Outcome     *TaskOutcome
	HeartbeatAt int64
	// Start is set when a worker took the activity task (GetActivityTask).
	Start *ActivityStart
}

// ActivityStart is a worker taking an activity task: the name it gave
// ("" for none) and the task's heartbeat deadline from then on (Unix ns, 0
// without HeartbeatSeconds).
type ActivityStart struct {
	Worker      string
	HeartbeatAt int64
}

// ActivityHost is an optional interface of a Host that serves activities:
// a Task whose Resource is an activity ARN asks it whether the activity
// exists when the task is scheduled. With a Host without it, no activity
// exists.
type ActivityHost interface {
	ActivityExists(ctx context.Context, arn string) (bool, error)
}

// ThreadStatus is the state of a checkpointed Map iteration or Parallel
// branch.
type ThreadStatus string

// Thread statuses; the zero value means the thread never checkpointed.
const (
	ThreadRunning   ThreadStatus = "RUNNING"
	ThreadSucceeded ThreadStatus = "SUCCEEDED"
	ThreadFailed    ThreadStatus = "FAILED"
)

// Thread is what a checkpoint holds of a thread: where it resumes while it
// runs, its output once it succeeded, its error once it failed.
type Thread struct {
	Status ThreadStatus
	Cursor *Cursor     // ThreadRunning; ThreadFailed: where it failed
	Output any         // ThreadSucceeded
	Err    *StateError // ThreadFailed
}

// RandomSource is an optional interface of a Host: the numbers in [0, 1)
// behind JSONata's $random(), $shuffle and $uuid(). A Host without it gets
// a generator seeded by the execution, the thread and the state's entered
// event, so that a run is reproducible (under a fake clock, $now too).
type RandomSource interface {
	Random() float64
}
