package asl

// StateMocker is an optional interface of a Host: TestState's mock of a Map
// or Parallel state's result (a Task's mock is its Host's Invoke). For the
// top-level state, when MockState answers ok, the state's threads do not
// run: its input is processed as usual, then its result is result (or it
// fails with err, which Retry and Catch handle as the state's own error).
// failures is the number of Map iterations the mock says failed
// (TestState's mapIterationFailureCount): beyond the Map's tolerated
// failure threshold, the Map fails with States.ExceedToleratedFailureThreshold.
type StateMocker interface {
	MockState(state string) (result any, err *StateError, failures int, ok bool)
}

// mocked runs the mock of st, if its Host has one for it (see StateMocker);
// tolCount and tolPct are a Map's thresholds (-1: none), items its number of
// iterations.
func (f *frame) mocked(st *state, cur *Cursor, ev *evalEnv, tolCount int, tolPct float64) (Outcome, bool) {
	if !f.top {
		return Outcome{}, false
	}
	m, ok := f.x.host.(StateMocker)
	if !ok {
		return Outcome{}, false
	}
	res, se, failures, ok := m.MockState(st.Name)
	if !ok {
		return Outcome{}, false
	}
	if se != nil {
		return f.handleError(st, cur, ev, se), true
	}
	items, _ := res.([]any)
	if st.Type == "Map" && failures > 0 && !withinTolerance(failures, len(items), tolCount, tolPct) {
		return f.handleError(st, cur, ev, &StateError{Name: ErrExceedToleratedFailure, Cause: "The specified tolerated failure threshold was exceeded"}), true
	}
	return f.complete(st, cur, ev, res), true
}

// withinTolerance reports whether n failed iterations of total are within
// a Map's configured thresholds (count and percentage; -1 when absent). A
// Map with neither configured is within them: TestState reports a mocked
// Map without thresholds as succeeded whatever its failure count.
func withinTolerance(n, total, count int, pct float64) bool {
	if count < 0 && pct < 0 {
		return true
	}
	if count >= 0 && n <= count {
		return true
	}
	return pct >= 0 && total > 0 && float64(n)*100/float64(total) <= pct
}
