package asl

import "fmt"

// TestCursor returns the cursor of a state that TestState runs: entered
// (no history event is recorded for it) at the host's current time, with
// vars as its variables and retried attempts already made by every one of
// its retriers (TestState's retrierRetryCount: only the retrier matching
// the error counts).
func (x *Execution) TestCursor(state string, input any, vars map[string]any, retried int) (*Cursor, error) {
	st, ok := x.m.states[state]
	if !ok {
		return nil, fmt.Errorf("test state: state %q does not exist", state)
	}
	cur := &Cursor{State: state, Input: input, Vars: vars, Phase: phaseRun, Entered: 1, EnteredAt: x.host.Now().UnixNano(), RetryCount: retried}
	if retried > 0 && len(st.Retry) > 0 {
		cur.Retries = make([]int, len(st.Retry))
		for i := range cur.Retries {
			cur.Retries[i] = retried
		}
	}
	return cur, nil
}

// Retrying reports whether the cursor's state failed and waits to be
// retried (TestState's RETRIABLE).
func (cur *Cursor) Retrying() bool { return cur.Phase == phaseRetry }

// StateType returns the type of the machine's state name ("" when it has
// no such state at its top level).
func (m *Machine) StateType(name string) string {
	if st, ok := m.states[name]; ok {
		return st.Type
	}
	return ""
}

// TaskPattern returns the integration pattern of the machine's Task state
// name: "", "waitForTaskToken" or "sync".
func (m *Machine) TaskPattern(name string) string {
	if st, ok := m.states[name]; ok && st.task != nil {
		return st.task.Pattern
	}
	return ""
}

// ActivityTask reports whether the machine's state name is a Task whose
// Resource is an activity ARN.
func (m *Machine) ActivityTask(name string) bool {
	st, ok := m.states[name]
	return ok && st.task != nil && st.task.Service == serviceActivity
}

// Branches returns the number of branches of the machine's Parallel state
// name.
func (m *Machine) Branches(name string) int {
	if st, ok := m.states[name]; ok {
		return len(st.branches)
	}
	return 0
}

// JSONata reports whether the machine's state name uses JSONata.
func (m *Machine) JSONata(name string) bool {
	st, ok := m.states[name]
	return ok && st.jsonata
}

// TaskIntegration returns "service:action" of the machine's Task state name
// when it calls an optimized integration's request-response API
// (arn:aws:states:::service:action), whose result is the API's response; ""
// otherwise (a waitForTaskToken or sync pattern, a bare Lambda ARN).
func (m *Machine) TaskIntegration(name string) string {
	st, ok := m.states[name]
	if !ok || st.task == nil || st.task.Pattern != "" || !isStatesARN(st.task.Resource) {
		return ""
	}
	return st.task.Service + ":" + st.task.Action
}

// ContextGiver is an optional interface of a Host: TestState's context
// field, which is the whole context object ($$) of the state it runs, in
// place of the one the execution's info makes.
type ContextGiver interface {
	ContextObject() (map[string]any, bool)
}

// givenContext returns a copy of the context object the Host gives the
// top-level state, if it gives one (see ContextGiver); the copy's members
// may be set (Task, Map) without touching the Host's.
func (f *frame) givenContext() (map[string]any, bool) {
	if !f.top {
		return nil, false
	}
	g, ok := f.x.host.(ContextGiver)
	if !ok {
		return nil, false
	}
	obj, ok := g.ContextObject()
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		out[k] = v
	}
	return out, true
}
