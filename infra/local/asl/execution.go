package asl

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/asl/jsonata"
)

// ExecutionInfo is what an execution's context object ($$) tells of it, and
// its limits.
type ExecutionInfo struct {
	ARN              string
	Name             string
	StateMachineARN  string
	StateMachineName string
	RoleARN          string
	// Region is reported in TaskScheduled events.
	Region string
	Input  any
	Start  time.Time
	// Deadline is when the execution times out (see ExecutionDeadline);
	// zero means never.
	Deadline time.Time
}

// Execution is one execution of a Machine as the interpreter runs it: the
// top-level thread is stepped by the runtime (Step), Map iterations and
// Parallel branches run inside a step. It assigns history event ids and
// enforces the history cap; everything else goes through its Host.
type Execution struct {
	host Host
	info ExecutionInfo
	m    *Machine
	top  *frame

	mu     sync.Mutex
	nextID int64 // id of the next event
	// full is set when an event was refused at the history cap: the
	// execution fails with HistoryLimitError, whatever its threads do next.
	full bool
	// fault is the first checkpoint failure of a nested thread: the
	// execution stops advancing and runs again from its checkpoints.
	fault error
}

// NewExecution returns execution info of m, run through host, whose next
// history event has id nextEventID (2 for a new execution, whose event 1 is
// ExecutionStarted).
func NewExecution(host Host, m *Machine, info ExecutionInfo, nextEventID int64) *Execution {
	x := &Execution{host: host, info: info, m: m, nextID: nextEventID}
	x.top = &frame{x: x, m: m, top: true, prev: nextEventID - 1}
	return x
}

// StartCursor is the cursor of the execution before its first state.
func (x *Execution) StartCursor() *Cursor {
	return &Cursor{State: x.m.startAt, Input: x.info.Input}
}

// Step advances the top-level thread at cur by one state (or one phase of
// a state) and says what the runtime must do next (see StepKind). Map and
// Parallel states run their threads to their end inside one step.
func (x *Execution) Step(ctx context.Context, cur *Cursor) Outcome {
	return x.top.step(ctx, cur)
}

// Emit records an execution-level event (the execution's end) after the
// last event recorded, and returns its id. Unlike the states' events, the
// execution's end may take the last id the history cap allows.
func (x *Execution) Emit(typ string, details map[string]any) int64 {
	x.mu.Lock()
	f := &frame{x: x, prev: x.nextID - 1}
	x.mu.Unlock()
	return f.emit(typ, details)
}

// HistoryFull reports whether the execution reached the history cap; the
// runtime then fails it with HistoryLimitError.
func (x *Execution) HistoryFull() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.full
}

// Fault returns the first checkpoint failure of a Map iteration or Parallel
// branch, if any: the step that saw it was abandoned, and the execution
// must run again from its checkpoints.
func (x *Execution) Fault() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.fault
}

func (x *Execution) setFault(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fault == nil {
		x.fault = err
	}
}

// frame is one thread of states: the top-level machine, a Parallel branch or
// a Map iteration.
type frame struct {
	x    *Execution
	m    *Machine
	top  bool
	prev int64 // last event id emitted by this thread
	// path names a nested thread in its checkpoints ("" at the top level);
	// durable says whether it is checkpointed (see threads.go).
	path    string
	durable bool
}

// emit appends a history event and returns its id. The details are encoded
// now, as json.Marshal would encode them.
func (f *frame) emit(typ string, details map[string]any) int64 {
	ev := Event{Type: typ}
	if details != nil {
		b, err := expr.AppendJSON(nil, details, true)
		if err != nil {
			b = []byte("{}")
		}
		ev.Details = b
	}
	return f.record(ev)
}

// emitData appends a state's entered or exited event, whose details are the
// state's name and its input or output (data, already encoded).
// ref, if not 0, is an earlier event with the same data (or, with sp, the
// object that data is with one member set).
func (f *frame) emitData(typ, field, name, data string, ref int64, sp *Splice) int64 {
	return f.record(Event{Type: typ, Field: field, Name: name, Data: data, Ref: ref, Splice: sp})
}

func (f *frame) record(ev Event) int64 {
	x := f.x
	x.mu.Lock()
	if x.nextID >= MaxHistoryEvents && ev.Type != EventExecutionSucceeded && ev.Type != EventExecutionFailed && ev.Type != EventExecutionTimedOut {
		// The cap: only the execution's own end may take the last id; the
		// runtime then fails the execution there (Emit records that event).
		x.full = true
		x.mu.Unlock()
		return f.prev
	}
	ev.Prev = f.prev // a Map's frame is shared by its iterations
	ev.ID = x.nextID
	x.nextID++
	ev.Time = x.host.Now().UnixNano()
	x.host.Record(ev)
	f.prev = ev.ID
	x.mu.Unlock()
	return ev.ID
}

// lastEvent returns the id of the last event f emitted.
func (f *frame) lastEvent() int64 {
	f.x.mu.Lock()
	defer f.x.mu.Unlock()
	return f.prev
}

// env builds the context object and variable scope a state evaluates in.
func (f *frame) env(st *state, cur *Cursor) *evalEnv {
	if !st.usesContext {
		return f.jsonataEnv(st, cur, &evalEnv{vars: cur.Vars, input: cur.Input})
	}
	if ctxObj, ok := f.givenContext(); ok {
		return f.jsonataEnv(st, cur, &evalEnv{ctxObj: ctxObj, vars: cur.Vars, input: cur.Input})
	}
	info := &f.x.info
	stateObj := map[string]any{
		"Name":        st.Name,
		"EnteredTime": formatTime(time.Unix(0, cur.EnteredAt)),
	}
	if st.Type == "Task" {
		stateObj["RetryCount"] = int64(cur.RetryCount)
	}
	ctxObj := map[string]any{
		"Execution": map[string]any{
			"Id":           info.ARN,
			"Input":        info.Input,
			"Name":         info.Name,
			"RoleArn":      info.RoleARN,
			"StartTime":    formatTime(info.Start),
			"RedriveCount": int64(0),
		},
		"StateMachine": map[string]any{"Id": info.StateMachineARN, "Name": info.StateMachineName},
		"State":        stateObj,
	}
	if st.Type == "Task" && cur.Token != "" {
		ctxObj["Task"] = map[string]any{"Token": cur.Token}
	}
	return f.jsonataEnv(st, cur, &evalEnv{ctxObj: ctxObj, vars: cur.Vars, input: cur.Input})
}

// jsonataEnv adds a JSONata state's evaluation options to ev: $eval
// disabled, $now from the host's clock, $random and $uuid from the host's
// random source or one seeded by the state's place in the execution.
func (f *frame) jsonataEnv(st *state, cur *Cursor, ev *evalEnv) *evalEnv {
	if !st.jsonata {
		return ev
	}
	host := f.x.host
	seed := f.x.info.ARN + "\x00" + f.path + "\x00" + st.Name + "\x00" + strconv.FormatInt(cur.Entered, 10) + "\x00" + strconv.Itoa(cur.RetryCount)
	ev.opts = &jsonata.Options{DisableEval: true, Now: host.Now, Random: jsonataRandom(host, seed)}
	return ev
}

// formatTime renders a time as AWS does in the context object.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// EncodeJSON renders a value for history details and outputs: compact, keys
// sorted, numbers exact ("null" if it cannot be encoded).
func EncodeJSON(v any) string {
	s, err := expr.Encode(v)
	if err != nil {
		return "null"
	}
	return s
}

type jsonNumber = json.Number
