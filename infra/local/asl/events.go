package asl

// Event is a history event as the interpreter records it, before the runtime
// stores it. A state's entered or exited event keeps the state's name and
// its input or output as encoded JSON (Data, under Field); any other event
// keeps its details object encoded as json.Marshal would (nil when it has
// none).
type Event struct {
	ID, Prev int64
	// Time is when the event happened, in Unix nanoseconds.
	Time  int64
	Type  string
	Field string // "input" or "output" for entered/exited events
	Name  string // the state's name, for entered/exited events
	Data  string
	// Ref, when set, is an earlier event whose data is Data or, with Splice
	// set, whose data is an object that Data equals with one member set: a
	// runtime can store the reference instead of the data.
	Ref     int64
	Splice  *Splice
	Details []byte
}

// Splice describes data as an earlier event's object with the member Text
// ("key":value) inserted as its At-th member, replacing the member there
// when Replace is set.
type Splice struct {
	At      int
	Replace bool
	Text    string
}

// Apply returns base (a compact JSON object, as the interpreter encodes
// them) with the Splice applied; false if base is not such an object or the
// Splice does not fit it.
func (s *Splice) Apply(base string) (string, bool) {
	members, ok := scanMembers(base)
	if !ok || s.At > len(members) || s.Replace && s.At == len(members) {
		return "", false
	}
	return string(spliceText(nil, base, members, s.At, s.Replace, s.Text)), true
}

// The types of an execution's end events, which the runtime records
// (Execution.Emit) and which alone may take the history cap's last id.
const (
	EventExecutionSucceeded = "ExecutionSucceeded"
	EventExecutionFailed    = "ExecutionFailed"
	EventExecutionTimedOut  = "ExecutionTimedOut"
)

// enteredType and exitedType name a state's entered/exited events.
func enteredType(st *state) string { return stateEventTypes[st.Type][0] }
func exitedType(st *state) string  { return stateEventTypes[st.Type][1] }

var stateEventTypes = func() map[string][2]string {
	m := map[string][2]string{}
	for _, t := range []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"} {
		m[t] = [2]string{t + "StateEntered", t + "StateExited"}
	}
	return m
}()

// DataDetails returns the details of an event carrying data as JSON text
// under field ("input" or "output"), untruncated.
func DataDetails(field, json string) map[string]any {
	return map[string]any{field: json, field + "Details": map[string]any{"truncated": false}}
}
