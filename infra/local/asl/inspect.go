package asl

// Inspector is an optional interface of a Host: it sees the stages of the
// top-level state's data flow as the state runs, named as the TestState
// API's inspectionData fields (see the Stage constants). The runtime's
// TestState implements it; an execution's Host does not, and costs nothing.
type Inspector interface {
	Inspect(stage string, v any)
}

// Stages of a state's data flow an Inspector sees.
const (
	StageAfterInputPath      = "afterInputPath"
	StageAfterParameters     = "afterParameters"
	StageAfterArguments      = "afterArguments"
	StageResult              = "result"
	StageAfterResultSelector = "afterResultSelector"
	StageAfterResultPath     = "afterResultPath"
	// StageError is the *StateError handled by Retry and Catch.
	StageError = "error"
	// StageRetryIndex, StageRetryBackoff (whole seconds) and
	// StageCatchIndex are the errorDetails of a handled error: the retrier
	// that matched it (even when its attempts are spent) and its backoff,
	// the catcher that caught it.
	StageRetryIndex   = "retryIndex"
	StageRetryBackoff = "retryBackoffIntervalSeconds"
	StageCatchIndex   = "catchIndex"
)

// inspect reports v at stage to the state's Inspector, if any.
func (e *evalEnv) inspect(stage string, v any) {
	if e.insp != nil {
		e.insp.Inspect(stage, v)
	}
}

// inspector returns the Host's Inspector for the top-level thread (TestState
// runs one state there), nil otherwise.
func (f *frame) inspector() Inspector {
	if !f.top {
		return nil
	}
	insp, _ := f.x.host.(Inspector)
	return insp
}

// Map stages an Inspector sees.
const (
	StageAfterItemsPath             = "afterItemsPath"
	StageMaxConcurrency             = "maxConcurrency"
	StageToleratedFailureCount      = "toleratedFailureCount"
	StageToleratedFailurePercentage = "toleratedFailurePercentage"
)

// inspectMap reports a Map's items and limits (thresholds only when set).
func inspectMap(ev *evalEnv, ms *mapSpec, items any, maxConc, tolCount int, tolPct float64) {
	if ev.insp == nil {
		return
	}
	if ms.itemsPath != nil {
		ev.inspect(StageAfterItemsPath, items)
	}
	ev.inspect(StageMaxConcurrency, maxConc)
	if tolCount >= 0 {
		ev.inspect(StageToleratedFailureCount, tolCount)
	}
	if tolPct >= 0 {
		ev.inspect(StageToleratedFailurePercentage, tolPct)
	}
}
