package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	// phaseActivity: an activity task waits for a worker to take it
	// (GetActivityTask) and for its SendTask* on Token.
	phaseActivity = "activity"
)

// Cursor is the resumable position of one thread of an execution: the
// current state, its raw input, the variables and the state's progress.
// A checkpoint stores it (Encode) and a restart restores it (DecodeCursor);
// the runtime changes it only through Resume. Its JSON field names are the
// checkpoint format: "k" (Token) is also read by the runtime's recovery
// query.
type Cursor struct {
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
	// recorded MapStateStarted / ParallelStateStarted); a worker has taken
	// an activity task (and ActivityStarted is recorded).
	Started bool `json:"st,omitempty"`

	// outcome is the SendTask* result delivered for Token (Resume, Await).
	outcome *TaskOutcome
	// start is a worker's taking of the activity task, delivered by
	// ResumeActivity or Await.
	start *ActivityStart
	// chosen is the branch a Choice state chose, for exit.
	chosen string
	// inputJSON is Input encoded (set when the state is entered, or by the
	// previous state's exit), with its member spans when Input is an object.
	inputJSON  string
	inputIndex []member
}

// AwaitedToken returns the task token the cursor waits on (SendTask*), or
// "" when it waits on none.
func (cur *Cursor) AwaitedToken() string {
	if cur.Phase != phaseToken && cur.Phase != phaseActivity {
		return ""
	}
	return cur.Token
}

// AwaitsActivityStart reports whether the cursor waits on an activity task
// that no worker has taken yet, as far as it knows: the runtime then tells
// it of a taking stored meanwhile (ResumeActivity).
func (cur *Cursor) AwaitsActivityStart() bool {
	return cur.Phase == phaseActivity && !cur.Started
}

// ResumeActivity tells a cursor that waits on an activity task that a
// worker has taken it (nil: not yet).
func (cur *Cursor) ResumeActivity(s *ActivityStart) {
	if s != nil {
		cur.start = s
	}
}

// Resume brings a cursor that waits on a token up to date with its task as
// stored: a heartbeat deadline moved by heartbeats (0: unchanged) and the
// outcome committed for it (nil: none yet).
func (cur *Cursor) Resume(heartbeatAt int64, o *TaskOutcome) {
	if heartbeatAt != 0 {
		cur.HBAt = heartbeatAt
	}
	if o != nil {
		cur.outcome = o
	}
}

// Encode encodes cur for a checkpoint, reusing its input's JSON when known
// (DecodeCursor decodes either form to the same value).
func (cur *Cursor) Encode() ([]byte, error) { return marshalCursor(cur) }

// marshalCursor is Cursor.Encode.
func marshalCursor(cur *Cursor) ([]byte, error) {
	if cur.inputJSON == "" {
		return json.Marshal(cur)
	}
	type plain Cursor // without the shadowed Input
	return json.Marshal(struct {
		*plain
		Input json.RawMessage `json:"i"`
	}{(*plain)(cur), json.RawMessage(cur.inputJSON)})
}

// DecodeCursor decodes a checkpointed cursor, numbers kept exact.
func DecodeCursor(text string) (*Cursor, error) {
	cur := &Cursor{}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	if err := dec.Decode(cur); err != nil {
		return nil, fmt.Errorf("decode cursor: %w", err)
	}
	return cur, nil
}
