package asl

import (
	"time"

	"loanflow/infra/local/asl/expr"
)

// Machine is a parsed, validated state machine (see Parse), or a Parallel
// branch or Map item processor, which share the StartAt/States shape.
type Machine struct {
	startAt        string
	states         map[string]*state
	timeoutSeconds int64 // top level only; 0 means none
}

// TimeoutSeconds is the definition's TimeoutSeconds, 0 when it has none.
func (m *Machine) TimeoutSeconds() int64 { return m.timeoutSeconds }

// StateNames returns the names of m's top-level states, in no order.
func (m *Machine) StateNames() []string {
	names := make([]string, 0, len(m.states))
	for name := range m.states {
		names = append(names, name)
	}
	return names
}

// RequestResponse reports whether state name of m is a Task of the
// request-response pattern: a call with neither .sync nor .waitForTaskToken,
// whose token no one can answer (the runtime need not persist it before the
// call).
func (m *Machine) RequestResponse(name string) bool {
	st, ok := m.states[name]
	return ok && st.Type == "Task" && st.task != nil && st.task.Pattern == patternRequest
}

// computeOnly reports whether m only computes: no state of it (or of its
// nested branches and processors) invokes a task, waits or retries, so a
// thread of it never blocks.
func (m *Machine) computeOnly() bool {
	for _, st := range m.states {
		switch st.Type {
		case "Pass", "Choice", "Succeed", "Fail":
		case "Parallel":
			for _, b := range st.branches {
				if !b.computeOnly() {
					return false
				}
			}
		case "Map":
			if st.mapSpec == nil || st.mapSpec.processor == nil || !st.mapSpec.processor.computeOnly() {
				return false
			}
		default:
			return false
		}
		if len(st.Retry) > 0 {
			return false
		}
	}
	return true
}

// state is one compiled state. Fields irrelevant to its Type stay zero.
type state struct {
	Name string
	Type string
	Next string
	End  bool
	// path is the JSON pointer of the state in the definition, for errors.
	path string

	// io is the state's data flow in its query language.
	io stateIO
	// usesContext says whether the state can read the context object ($$),
	// so that it is built only for those that can.
	usesContext bool
	// jsonata: the state's QueryLanguage is JSONata.
	jsonata bool
	// resultKey is set when the state's output is its raw input with the
	// result placed at this member (see jsonPathIO.resultMember).
	resultKey string

	Retry []*retrier
	Catch []*catcher

	// Pass
	result     any
	hasResult  bool
	resultSize int

	// Task
	task             *taskSpec
	timeoutSeconds   int64
	heartbeatSeconds int64
	timeoutPath      valueRef
	heartbeatPath    valueRef

	// Choice
	choices []*choiceRule
	dflt    string

	// Wait
	wait *waitSpec

	// Parallel
	branches []*Machine
	// branchesComputeOnly: no branch can block (see machine.computeOnly).
	branchesComputeOnly bool

	// Map
	mapSpec *mapSpec

	// Fail
	errName, cause     string
	errPath, causePath valueRef
}

// valueRef resolves a *Path field (a reference path or, where AWS allows it,
// an intrinsic function) against the state's scope.
type valueRef interface {
	get(sc expr.Scope) (any, error)
	String() string
}

type retrier struct {
	ErrorEquals []string
	Interval    time.Duration
	MaxAttempts int
	BackoffRate float64
	MaxDelay    time.Duration
	FullJitter  bool
}

type catcher struct {
	ErrorEquals []string
	Next        string
	// io evaluates ResultPath, Assign (and Output in JSONata) for the error output.
	io catchIO
}

type choiceRule struct {
	rule   condition
	Next   string
	assign assigner
	// output is a JSONata rule's Output (nil: the state's Output).
	output *jvalue
}

type waitSpec struct {
	seconds       int64
	hasSeconds    bool
	timestamp     time.Time
	hasTimestamp  bool
	secondsPath   valueRef
	timestampPath valueRef
}

type mapSpec struct {
	processor *Machine
	// computeOnly is processor.computeOnly(), set at parse time.
	computeOnly          bool
	itemsPath            valueRef
	maxConcurrency       int
	maxConcurrencyPath   valueRef
	toleratedCount       int
	hasToleratedCount    bool
	toleratedCountPath   valueRef
	toleratedPercent     float64
	hasToleratedPercent  bool
	toleratedPercentPath valueRef
}

// taskSpec is a Task's resource, recognised as a service integration.
type taskSpec struct {
	Resource string
	Service  string
	Action   string
	Pattern  string // "", "waitForTaskToken", "sync"
}
