package asl

import (
	"strings"
	"time"
)

// HistoryEvent is one execution history event in AWS's shape: Details is the
// object found under DetailsKey(Type) (for example stateEnteredEventDetails),
// with inputs and outputs as JSON strings.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	Details         map[string]any
}

// DetailsKey returns the field name AWS uses for an event type's details,
// e.g. "taskScheduledEventDetails"; "" for types without details.
func DetailsKey(eventType string) string {
	switch {
	case strings.HasSuffix(eventType, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(eventType, "StateExited"):
		return "stateExitedEventDetails"
	case eventType == "ParallelStateStarted", eventType == "ParallelStateSucceeded", eventType == "ParallelStateFailed",
		eventType == "ParallelStateAborted", eventType == "MapStateSucceeded", eventType == "MapStateFailed", eventType == "MapStateAborted":
		return ""
	}
	return strings.ToLower(eventType[:1]) + eventType[1:] + "EventDetails"
}

// enteredType and exitedType name a state's entered/exited events.
func enteredType(st *state) string { return st.Type + "StateEntered" }
func exitedType(st *state) string  { return st.Type + "StateExited" }

// Execution data fields, stripped when includeExecutionData is false.
var dataFields = []string{"input", "output", "parameters"}

// stripData returns details without inputs, outputs and parameters.
func stripData(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	for _, f := range dataFields {
		delete(out, f)
		delete(out, f+"Details")
	}
	return out
}

func dataDetails(field, json string) map[string]any {
	return map[string]any{field: json, field + "Details": map[string]any{"truncated": false}}
}
