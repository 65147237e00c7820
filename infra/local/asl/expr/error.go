package expr

// ASL error names raised by this package.
const (
	ErrRuntime         = "States.Runtime"
	ErrIntrinsic       = "States.IntrinsicFailure"
	ErrQueryEvaluation = "States.QueryEvaluationError"
)

// Error is a runtime failure carrying an ASL error name and AWS's cause
// text. The interpreter prefixes Cause with the state context.
type Error struct {
	Name  string
	Cause string
}

// Error returns "Name: Cause".
func (e *Error) Error() string { return e.Name + ": " + e.Cause }

func runtimeErr(cause string) *Error   { return &Error{Name: ErrRuntime, Cause: cause} }
func intrinsicErr(cause string) *Error { return &Error{Name: ErrIntrinsic, Cause: cause} }
