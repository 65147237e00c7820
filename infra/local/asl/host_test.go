package asl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"loanflow/infra/local/asl/expr"
)

// memHost runs an execution in memory, with a manual clock: what a
// runtime must provide, and nothing else. Its Run is sequential and its
// Await moves the clock to the deadline at once.
type memHost struct {
	mu      sync.Mutex
	now     time.Time
	events  []Event
	tasks   []PendingTask
	threads map[string]Thread
	saves   []string // paths saved, in order
	calls   []TaskCall
	tokens  int
	answer  func(TaskCall) (any, error)
}

func newMemHost() *memHost {
	return &memHost{now: time.Unix(1_700_000_000, 0), threads: map[string]Thread{}}
}

func (h *memHost) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *memHost) NewTaskToken() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens++
	return fmt.Sprintf("token-%d", h.tokens)
}

func (h *memHost) Invoke(_ context.Context, call TaskCall) (any, error) {
	h.mu.Lock()
	h.calls = append(h.calls, call)
	answer := h.answer
	h.mu.Unlock()
	if answer == nil {
		return map[string]any{"ok": true}, nil
	}
	return answer(call)
}

func (h *memHost) Record(ev Event) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *memHost) AddTask(t PendingTask) {
	h.mu.Lock()
	h.tasks = append(h.tasks, t)
	h.mu.Unlock()
}

func (h *memHost) BufferFull() bool { return false }
func (h *memHost) Flush() error     { return nil }

func (h *memHost) SaveThread(path string, t Thread) error {
	if t.Cursor != nil { // a checkpoint is a copy, as a store's would be
		b, err := t.Cursor.Encode()
		if err != nil {
			return err
		}
		if t.Cursor, err = DecodeCursor(string(b)); err != nil {
			return err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.threads[path] = t
	h.saves = append(h.saves, path)
	return nil
}

func (h *memHost) LoadThreads(prefix string) (map[int]Thread, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int]Thread{}
	for path, t := range h.threads {
		var i int
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if _, err := fmt.Sscanf(rest, "%d", &i); err == nil && fmt.Sprint(i) == rest {
				out[i] = t
			}
		}
	}
	return out, nil
}

func (h *memHost) Run(ctx context.Context, n, _ int, fn func(i int)) {
	for i := range n {
		if ctx.Err() != nil {
			return
		}
		fn(i)
	}
}

func (h *memHost) Watch(string) bool { return true }

func (h *memHost) Await(_ context.Context, _ string, until time.Time) (TaskSignal, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if until.After(h.now) {
		h.now = until
	}
	return TaskSignal{}, nil
}

func (h *memHost) types() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, ev := range h.events {
		out = append(out, ev.Type)
	}
	return strings.Join(out, " ")
}

// newMemExecution parses def and starts an execution of it on host.
func newMemExecution(t *testing.T, host *memHost, def, input string) (*Execution, *Cursor) {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	in, err := expr.Decode([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	start := host.Now()
	x := NewExecution(host, m, ExecutionInfo{ARN: "arn:aws:states:us-east-1:000000000000:execution:sm:x", Name: "x",
		StateMachineARN: "arn:aws:states:us-east-1:000000000000:stateMachine:sm", StateMachineName: "sm", Input: in, Start: start,
		Deadline: ExecutionDeadline(start, m.TimeoutSeconds())}, 2)
	return x, x.StartCursor()
}

// stepToEnd steps the top-level thread until it ends, as a runtime would,
// failing on a suspension.
func stepToEnd(t *testing.T, x *Execution, cur *Cursor) Outcome {
	t.Helper()
	for range 1000 {
		o := x.Step(context.Background(), cur)
		switch o.Kind {
		case StepEnd:
			return o
		case StepSuspend:
			t.Fatalf("suspended at %s until %v", cur.State, o.WakeAt)
		}
	}
	t.Fatal("no end after 1000 steps")
	return Outcome{}
}

// The interpreter runs a whole execution against nothing but a Host:
// states, a Choice's branch, a task invocation, a Map and a Parallel, with
// history event ids assigned in order.
func TestStepRunsAnExecutionOnAHost(t *testing.T) {
	const def = `{"StartAt":"Loan","States":{
	 "Loan":{"Type":"Pass","Result":{"amount":250000},"ResultPath":"$.loan","Next":"Size"},
	 "Size":{"Type":"Choice","Choices":[{"Variable":"$.loan.amount","NumericGreaterThan":100000,"Next":"Big"}],"Default":"Small"},
	 "Small":{"Type":"Fail","Error":"Wrong","Cause":"the default branch"},
	 "Big":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"id.$":"$.id"},"ResultSelector":{"ok.$":"$.ok"},"ResultPath":"$.checked","Next":"Each"},
	 "Each":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.doubled","Next":"Both",
	   "ItemProcessor":{"StartAt":"Double","States":{"Double":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($, $)"},"End":true}}}},
	 "Both":{"Type":"Parallel","ResultPath":"$.both","End":true,"Branches":[
	   {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
	   {"StartAt":"B","States":{"B":{"Type":"Pass","Result":"b","End":true}}}]}}}`
	host := newMemHost()
	x, cur := newMemExecution(t, host, def, `{"id":7,"items":[1,2,3]}`)
	o := stepToEnd(t, x, cur)
	if o.Err != nil {
		t.Fatalf("failed: %v", o.Err)
	}
	want := `{"both":["a","b"],"checked":{"ok":true},"doubled":[{"v":2},{"v":4},{"v":6}],"id":7,"items":[1,2,3],"loan":{"amount":250000}}`
	if got := EncodeJSON(o.Output); got != want {
		t.Fatalf("output\n got %s\nwant %s", got, want)
	}
	if len(host.calls) != 1 || host.calls[0].StateName != "Big" || EncodeJSON(host.calls[0].Parameters) != `{"id":7}` {
		t.Fatalf("task calls: %+v", host.calls)
	}
	for i, ev := range host.events {
		if ev.ID != int64(i+2) {
			t.Fatalf("event %d (%s) has id %d, want %d", i, ev.Type, ev.ID, i+2)
		}
	}
	if got := host.types(); !strings.HasPrefix(got, "PassStateEntered PassStateExited ChoiceStateEntered ChoiceStateExited TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited MapStateEntered MapStateStarted") ||
		!strings.HasSuffix(got, "ParallelStateSucceeded ParallelStateExited") {
		t.Fatalf("history: %s", got)
	}
	if len(host.saves) != 0 {
		t.Fatalf("threads that only compute were checkpointed: %v", host.saves)
	}
}

// A runtime parks a thread that suspends and resumes it from the encoded
// cursor: after a Wait's time, and when a token's answer comes (Resume).
func TestSuspendedCursorsResumeFromTheirCheckpoints(t *testing.T) {
	const def = `{"StartAt":"Nap","States":{
	 "Nap":{"Type":"Wait","Seconds":10,"Next":"Ask"},
	 "Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSeconds":60,
	   "Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"ResultPath":"$.answer","End":true}}}`
	host := newMemHost()
	x, cur := newMemExecution(t, host, def, `{"n":1}`)
	checkpoint := func() *Cursor {
		b, err := cur.Encode()
		if err != nil {
			t.Fatal(err)
		}
		c, err := DecodeCursor(string(b))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	o := x.Step(context.Background(), cur)
	if o.Kind != StepSuspend || !o.WakeAt.Equal(host.Now().Add(10*time.Second)) {
		t.Fatalf("Wait: %+v", o)
	}
	cur = checkpoint()
	if o := x.Step(context.Background(), cur); o.Kind != StepSuspend {
		t.Fatalf("stepped again before its time: %+v", o)
	}
	host.now = host.now.Add(10 * time.Second)
	if o := x.Step(context.Background(), cur); o.Kind != StepNext || cur.State != "Ask" {
		t.Fatalf("after the wait: %+v at %s", o, cur.State)
	}
	if o := x.Step(context.Background(), cur); o.Kind != StepInvoke {
		t.Fatalf("task scheduled: %+v", o)
	}
	if len(host.tasks) != 1 || host.tasks[0].Token != "token-1" || host.tasks[0].Nested || host.tasks[0].HeartbeatSeconds != 60 {
		t.Fatalf("pending tasks: %+v", host.tasks)
	}
	cur = checkpoint()
	if o := x.Step(context.Background(), cur); o.Kind != StepSuspend || cur.AwaitedToken() != "token-1" {
		t.Fatalf("waiting on the token: %+v, awaited %q", o, cur.AwaitedToken())
	}
	cur = checkpoint()
	cur.Resume(0, &TaskOutcome{Success: true, Output: map[string]any{"v": true}})
	o = x.Step(context.Background(), cur)
	if o.Kind != StepEnd || o.Err != nil || EncodeJSON(o.Output) != `{"answer":{"v":true},"n":1}` {
		t.Fatalf("after the answer: %+v %s", o, EncodeJSON(o.Output))
	}
	if len(host.calls) != 1 || host.calls[0].TaskToken != "token-1" {
		t.Fatalf("calls: %+v", host.calls)
	}
}

// A Map iteration that waits is checkpointed through the Host, blocks in
// Await, and records its end; a second run of the Map state from its
// checkpoint replays the ended iterations instead of running them again.
func TestNestedThreadsCheckpointThroughTheHost(t *testing.T) {
	const def = `{"StartAt":"Each","States":{"Each":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Send","States":{
	 "Send":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"item.$":"$"},"ResultSelector":{"item.$":"$.item"},"Next":"Nap"},
	 "Nap":{"Type":"Wait","Seconds":60,"End":true}}}}}}`
	host := newMemHost()
	host.answer = func(call TaskCall) (any, error) { return call.Parameters, nil }
	x, cur := newMemExecution(t, host, def, `[1,2]`)
	start := host.Now()
	o := stepToEnd(t, x, cur)
	if o.Err != nil || EncodeJSON(o.Output) != `[{"item":1},{"item":2}]` {
		t.Fatalf("got %+v %s", o.Err, EncodeJSON(o.Output))
	}
	if !host.Now().Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("clock at +%v: the iterations did not each wait their minute", host.Now().Sub(start))
	}
	ended := 0
	for path, th := range host.threads {
		if path != "" && th.Status == ThreadSucceeded {
			ended++
		}
	}
	top := host.threads[""]
	if ended != 2 || top.Cursor == nil || !top.Cursor.Started {
		t.Fatalf("threads saved: %v (top %+v)", host.saves, top)
	}
	// Run the Map again from its checkpoint, as after a crash: the ended
	// iterations replay their recorded results.
	calls := len(host.calls)
	if o := stepToEnd(t, x, top.Cursor); o.Err != nil || EncodeJSON(o.Output) != `[{"item":1},{"item":2}]` {
		t.Fatalf("replayed: %+v %s", o.Err, EncodeJSON(o.Output))
	}
	if len(host.calls) != calls {
		t.Fatalf("a replayed iteration invoked its task again: %d calls, want %d", len(host.calls), calls)
	}
}

// A Map checks every item's ItemSelector before its first iteration starts:
// one that fails on the third item only fails the Map with no iteration
// begun, with the cause Eval reports; when all pass, each iteration gets
// its own index and value.
func TestMapChecksEveryItemSelectorFirst(t *testing.T) {
	const def = `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items",
	 "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value.v","k.$":"$.k"},
	 "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	host := newMemHost()
	x, cur := newMemExecution(t, host, def, `{"k":"K","items":[{"v":1},{"v":2},{"w":3}]}`)
	o := stepToEnd(t, x, cur)
	if o.Err == nil || o.Err.Name != ErrRuntime || !strings.Contains(o.Err.Cause, `The JSONPath '$$.Map.Item.Value.v' specified for the field 'v.$' could not be found in the input `) || !strings.Contains(o.Err.Cause, `"Map":{"Item":{"Index":2,"Value":{"w":3}}}`) {
		t.Fatalf("outcome: %+v", o.Err)
	}
	if got := host.types(); strings.Contains(got, "MapIteration") || strings.Contains(got, "MapStateStarted") {
		t.Fatalf("iterations began: %s", got)
	}

	host = newMemHost()
	x, cur = newMemExecution(t, host, def, `{"k":"K","items":[{"v":1},{"v":2},{"v":3}]}`)
	o = stepToEnd(t, x, cur)
	if o.Err != nil {
		t.Fatalf("failed: %v", o.Err)
	}
	if got, want := EncodeJSON(o.Output), `[{"i":0,"k":"K","v":1},{"i":1,"k":"K","v":2},{"i":2,"k":"K","v":3}]`; got != want {
		t.Fatalf("output\n got %s\nwant %s", got, want)
	}
}
