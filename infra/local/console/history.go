package console

import (
	"strings"
	"time"
)

// State statuses in the drawing.
const (
	stateSucceeded = "succeeded"
	stateFailed    = "failed"
	stateRunning   = "running"
)

// trail is what an execution's history says about its states: how each one
// ended, the transitions taken, and the state each event belongs to.
type trail struct {
	status map[string]string
	taken  map[[2]string]bool
	first  string // the first state entered
	last   string // the last state entered
	steps  []string
}

// walkHistory follows the *StateEntered and *StateExited events. A state is
// succeeded once exited; failed when a failure event happened inside it and
// it was never exited (a caught error moves on without an exit) or when the
// execution ended while it was open; running while the execution still is.
func walkHistory(events []HistoryEvent, execStatus string) trail {
	t := trail{status: map[string]string{}, taken: map[[2]string]bool{}, steps: make([]string, len(events))}
	type open struct {
		name   string
		failed bool
	}
	var stack []open
	prev := ""
	for i, ev := range events {
		name, _ := ev.Details["name"].(string)
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			// A failed state that is still open when the next one starts
			// had its error caught: it ends there.
			for len(stack) > 0 && stack[len(stack)-1].failed {
				t.status[stack[len(stack)-1].name] = stateFailed
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, open{name: name})
			t.status[name] = stateRunning
			if ev.Type == "FailStateEntered" {
				stack[len(stack)-1].failed = true
			}
			if t.first == "" {
				t.first = name
			}
			if prev != "" {
				t.taken[[2]string{prev, name}] = true
			}
			prev, t.last = name, name
			t.steps[i] = name
		case strings.HasSuffix(ev.Type, "StateExited"):
			t.steps[i] = name
			for j := len(stack) - 1; j >= 0; j-- {
				if stack[j].name == name {
					stack = stack[:j]
					break
				}
			}
			t.status[name] = stateSucceeded
		default:
			if len(stack) > 0 {
				t.steps[i] = stack[len(stack)-1].name
				if isFailure(ev.Type) {
					stack[len(stack)-1].failed = true
				}
			}
		}
	}
	for _, o := range stack {
		switch {
		case execStatus == "RUNNING": // waiting, working, or retrying after an error
			t.status[o.name] = stateRunning
		case execStatus == "SUCCEEDED" && !o.failed:
			t.status[o.name] = stateSucceeded
		default:
			t.status[o.name] = stateFailed
		}
	}
	return t
}

// isFailure tells whether an event reports an error inside a state.
func isFailure(eventType string) bool {
	if strings.HasPrefix(eventType, "Execution") {
		return false
	}
	return strings.HasSuffix(eventType, "Failed") || strings.HasSuffix(eventType, "TimedOut") ||
		strings.HasSuffix(eventType, "Aborted")
}

// historyRow is one line of the history table.
type historyRow struct {
	HistoryEvent
	Step, Resource, Elapsed string
	Fields                  []historyField // folded payloads: input, output, error, cause, ...
	Failure, Entered        bool
}

// historyField is one folded payload of an event.
type historyField struct {
	Label, Value string
}

// foldedDetails are the details shown folded, in this order; the rest of
// the details are small and shown inline.
var foldedDetails = []struct{ key, label string }{
	{"error", "Error"}, {"cause", "Cause"}, {"input", "Input"}, {"output", "Output"},
	{"parameters", "Parameters"}, {"result", "Result"},
}

func historyRows(events []HistoryEvent, steps []string, start time.Time) []historyRow {
	rows := make([]historyRow, 0, len(events))
	if start.IsZero() && len(events) > 0 {
		start = events[0].Time
	}
	for i, ev := range events {
		r := historyRow{HistoryEvent: ev, Step: steps[i], Failure: isFailure(ev.Type) ||
			ev.Type == "ExecutionFailed" || ev.Type == "ExecutionTimedOut" || ev.Type == "ExecutionAborted",
			Entered: strings.HasSuffix(ev.Type, "StateEntered")}
		if !ev.Time.IsZero() {
			r.Elapsed = formatAge(ev.Time.Sub(start))
		}
		if res, ok := ev.Details["resource"].(string); ok {
			r.Resource = res
			if rt, ok := ev.Details["resourceType"].(string); ok && rt != "" {
				r.Resource = rt + ":" + res
			}
		}
		for _, f := range foldedDetails {
			if v, ok := ev.Details[f.key]; ok && v != nil && v != "" {
				r.Fields = append(r.Fields, historyField{Label: f.label, Value: prettyJSON(toText(v))})
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// toText shows a detail as text: strings as they are, anything else as JSON.
func toText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return encodeJSON(v)
}
