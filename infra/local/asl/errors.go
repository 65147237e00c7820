package asl

import (
	"errors"
	"fmt"
)

// CodeInvalidDefinition is the AWS error code of a definition that does not
// parse or validate (see ValidateDefinition).
const CodeInvalidDefinition = "InvalidDefinition"

// APIError is an error of the Step Functions API with its AWS error code.
// The interpreter returns one for an invalid definition; the runtime returns
// them for every API error.
type APIError struct {
	Code    string
	Message string
}

// Error renders the error as "Code: Message".
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the AWS error code of err if it is (or wraps) an
// *APIError, and "" otherwise.
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// Predefined ASL error names.
const (
	ErrAll                    = "States.ALL"
	ErrTaskFailed             = "States.TaskFailed"
	ErrTimeout                = "States.Timeout"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrRuntime                = "States.Runtime"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrBranchFailed           = "States.BranchFailed"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrPermissions            = "States.Permissions"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
	ErrQueryEvaluationError   = "States.QueryEvaluationError"
)

// StateError is a runtime failure inside an execution, carrying an ASL
// error name that Retry and Catch match on; an execution that fails ends
// with one.
type StateError struct {
	Name  string
	Cause string
}

// Error renders the error as "Name: Cause".
func (e *StateError) Error() string { return e.Name + ": " + e.Cause }

// TaskError is returned by an Invoker to fail the task with the given ASL
// error name (for example "Lambda.ServiceException") and cause.
type TaskError struct {
	Name  string
	Cause string
}

// Error renders the error as "Name: Cause".
func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }
