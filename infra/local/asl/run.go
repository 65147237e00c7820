package asl

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"loanflow/infra/local/asl/expr"
)

// Phases of a state in progress, stored in the cursor so that a state can be
// resumed after a checkpoint.
const (
	phaseEnter  = ""       // not entered yet
	phaseRun    = "run"    // entered, body to run
	phaseWait   = "wait"   // Wait state sleeping until WakeAt
	phaseRetry  = "retry"  // backing off until WakeAt, then run again
	phaseInvoke = "invoke" // task scheduled (token persisted): invoke
	phaseToken  = "token"  // waiting for SendTask* on Token
)

// cursor is the resumable position of one thread of an execution: the
// current state, its raw input, the variables and the state's progress.
// The top-level cursor is what a checkpoint stores.
type cursor struct {
	State      string         `json:"s"`
	Input      any            `json:"i"`
	Vars       map[string]any `json:"v,omitempty"`
	Phase      string         `json:"p,omitempty"`
	Entered    int64          `json:"e,omitempty"`
	EnteredAt  int64          `json:"t,omitempty"`
	Retries    []int          `json:"r,omitempty"`
	RetryCount int            `json:"rc,omitempty"`
	Token      string         `json:"k,omitempty"`
	Args       any            `json:"a,omitempty"`
	WakeAt     int64          `json:"w,omitempty"`
	TimeoutAt  int64          `json:"to,omitempty"`
	HBAt       int64          `json:"hb,omitempty"`
	HBSeconds  int64          `json:"hs,omitempty"`
	// Started: a Map or Parallel state has started its threads (and
	// recorded MapStateStarted / ParallelStateStarted).
	Started bool `json:"st,omitempty"`

	// outcome is the SendTask* result delivered for Token, set by the driver.
	outcome *taskOutcome
	// inputJSON is Input encoded (set when the state is entered, or by the
	// previous state's exit), with its member spans when Input is an object.
	inputJSON  string
	inputIndex []member
}

// taskOutcome is what SendTaskSuccess/Failure delivered for a token.
type taskOutcome struct {
	Success bool
	Output  any
	Error   string
	Cause   string
}

// run is one execution loaded in memory while a worker advances it.
type run struct {
	e        *Engine
	id       int64
	arn      string
	name     string
	smArn    string
	smName   string
	roleArn  string
	input    any
	start    time.Time
	deadline time.Time
	m        *machine
	ctx      context.Context

	mu     sync.Mutex
	events historyBuf // emitted, not yet checkpointed
	nextID int64      // id of the next event
	tasks  []taskRow  // task rows to insert with the next checkpoint
	// full is set when an event was refused at the history cap: the
	// execution fails with historyLimitError, whatever its threads do next.
	full bool
	// fault is the first checkpoint failure of a nested thread: the
	// execution stops advancing and runs again from its checkpoints.
	fault error
}

func (r *run) setFault(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fault == nil {
		r.fault = err
	}
}

func (r *run) faultErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fault
}

// frame is one thread of states: the top-level machine, a Parallel branch or
// a Map iteration.
type frame struct {
	r    *run
	m    *machine
	top  bool
	prev int64 // last event id emitted by this thread
	item map[string]any
	// path names a nested thread in sfn_threads ("" at the top level);
	// durable says whether it is checkpointed there (see threads.go).
	path    string
	durable bool
}

// emit appends a history event and returns its id. The details are encoded
// now, as json.Marshal would encode them.
func (f *frame) emit(typ string, details map[string]any) int64 {
	ev := event{typ: typ}
	if details != nil {
		b, err := expr.AppendJSON(nil, details, true)
		if err != nil {
			b = []byte("{}")
		}
		ev.details = b
	}
	return f.record(ev)
}

// emitData appends a state's entered or exited event, whose details are the
// state's name and its input or output (data, already encoded).
// ref, if not 0, is an earlier event with the same data (or, with sp, the
// object that data is with one member set).
func (f *frame) emitData(typ, field, name, data string, ref int64, sp *splice) int64 {
	return f.record(event{typ: typ, field: field, name: name, data: data, ref: ref, splice: sp})
}

func (f *frame) record(ev event) int64 {
	r := f.r
	r.mu.Lock()
	if r.nextID >= maxHistoryEvents && ev.typ != "ExecutionSucceeded" && ev.typ != "ExecutionFailed" && ev.typ != "ExecutionTimedOut" {
		// The cap: only the execution's own end may take the last id; the
		// driver then fails the execution there (finish records that event).
		r.full = true
		r.mu.Unlock()
		return f.prev
	}
	ev.prev = f.prev // a Map's frame is shared by its iterations
	ev.id = r.nextID
	r.nextID++
	ev.ts = r.e.clock.Now().UnixNano()
	r.events.add(ev)
	f.prev = ev.id
	r.mu.Unlock()
	return ev.id
}

// historyFull reports whether the execution reached the history cap.
func (r *run) historyFull() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.full
}

// lastEvent returns the id of the last event f emitted.
func (f *frame) lastEvent() int64 {
	f.r.mu.Lock()
	defer f.r.mu.Unlock()
	return f.prev
}

// env builds the context object and variable scope a state evaluates in.
func (f *frame) env(st *state, cur *cursor) *evalEnv {
	if !st.usesContext {
		return &evalEnv{vars: cur.Vars}
	}
	r := f.r
	stateObj := map[string]any{
		"Name":        st.Name,
		"EnteredTime": formatTime(time.Unix(0, cur.EnteredAt)),
	}
	if st.Type == "Task" {
		stateObj["RetryCount"] = int64(cur.RetryCount)
	}
	ctxObj := map[string]any{
		"Execution": map[string]any{
			"Id":           r.arn,
			"Input":        r.input,
			"Name":         r.name,
			"RoleArn":      r.roleArn,
			"StartTime":    formatTime(r.start),
			"RedriveCount": int64(0),
		},
		"StateMachine": map[string]any{"Id": r.smArn, "Name": r.smName},
		"State":        stateObj,
	}
	if st.Type == "Task" && cur.Token != "" {
		ctxObj["Task"] = map[string]any{"Token": cur.Token}
	}
	return &evalEnv{ctxObj: ctxObj, vars: cur.Vars}
}

// formatTime renders a time as AWS does in the context object.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// encodeJSON renders a value for history details and outputs.
func encodeJSON(v any) string {
	s, err := expr.Encode(v)
	if err != nil {
		return "null"
	}
	return s
}

type jsonNumber = json.Number
