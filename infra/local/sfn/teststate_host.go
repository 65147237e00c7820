package sfn

import (
	"context"
	"sync"
	"time"

	"loanflow/infra/local/asl"
)

// testHost is the interpreter's Host for one TestState run: it keeps no
// history and no checkpoint (the state runs once, in memory), invokes tasks
// through the engine's integrations unless the request mocks them, and
// collects the state's inspection data.
type testHost struct {
	e    *Engine
	mock *testMock

	mu     sync.Mutex
	stages map[string]any
}

// testMock is a TestState request's mock, decoded: a result or an error.
type testMock struct {
	result   any
	err      *asl.StateError
	failures int // mapIterationFailureCount
	// context is the request's context object ($$), nil when not given.
	context map[string]any
}

var (
	_ asl.Host         = (*testHost)(nil)
	_ asl.Inspector    = (*testHost)(nil)
	_ asl.StateMocker  = (*testHost)(nil)
	_ asl.ContextGiver = (*testHost)(nil)
	_ asl.ActivityHost = (*testHost)(nil)
)

// ActivityExists lets a mocked activity task be scheduled: TestState runs an
// activity task only with a mock (checkTestState refuses it otherwise),
// which answers the task's token as a worker would.
func (h *testHost) ActivityExists(context.Context, string) (bool, error) {
	return h.mock != nil, nil
}

// ContextObject is the request's context object, when it gives one.
func (h *testHost) ContextObject() (map[string]any, bool) {
	if h.mock == nil || h.mock.context == nil {
		return nil, false
	}
	return h.mock.context, true
}

func (h *testHost) Now() time.Time       { return h.e.clock.Now() }
func (h *testHost) NewTaskToken() string { return newToken() }

// Invoke answers a mocked task with its mock (a waitForTaskToken task is
// submitted, its mock answers the token: see TestState), and calls the
// engine's integrations otherwise, as an execution's task would.
func (h *testHost) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	if h.mock == nil {
		return h.e.invoker.Invoke(ctx, call)
	}
	if call.Pattern == "waitForTaskToken" {
		return map[string]any{}, nil
	}
	if h.mock.err != nil {
		return nil, &asl.TaskError{Name: h.mock.err.Name, Cause: h.mock.err.Cause}
	}
	return h.mock.result, nil
}

// MockState mocks a Map or Parallel state's result.
func (h *testHost) MockState(string) (any, *asl.StateError, int, bool) {
	if h.mock == nil {
		return nil, nil, 0, false
	}
	return h.mock.result, h.mock.err, h.mock.failures, true
}

// Inspect records a stage of the state's data flow; a stage seen twice
// (a retried evaluation) keeps its last value.
func (h *testHost) Inspect(stage string, v any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stages == nil {
		h.stages = map[string]any{}
	}
	h.stages[stage] = v
}

func (h *testHost) stage(name string) (any, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.stages[name]
	return v, ok
}

func (h *testHost) Record(asl.Event)                    {}
func (h *testHost) AddTask(asl.PendingTask)             {}
func (h *testHost) BufferFull() bool                    { return false }
func (h *testHost) Flush() error                        { return nil }
func (h *testHost) Watch(string) bool                   { return true }
func (h *testHost) SaveThread(string, asl.Thread) error { return nil }
func (h *testHost) LoadThreads(string) (map[int]asl.Thread, error) {
	return nil, nil
}
func (h *testHost) Run(ctx context.Context, n, limit int, fn func(i int)) {
	runBounded(ctx, n, limit, fn)
}

// Await is never reached: a tested Map or Parallel state is mocked, so no
// nested thread runs.
func (h *testHost) Await(context.Context, string, time.Time) (asl.TaskSignal, error) {
	return asl.TaskSignal{}, asl.ErrInterrupted
}
