package asl

import (
	"errors"
	"fmt"
)

// Error codes returned by Engine methods, as the Step Functions API names them.
const (
	CodeStateMachineDoesNotExist  = "StateMachineDoesNotExist"
	CodeStateMachineAlreadyExists = "StateMachineAlreadyExists"
	CodeExecutionDoesNotExist     = "ExecutionDoesNotExist"
	CodeExecutionAlreadyExists    = "ExecutionAlreadyExists"
	CodeInvalidDefinition         = "InvalidDefinition"
	CodeInvalidName               = "InvalidName"
	CodeInvalidArn                = "InvalidArn"
	CodeInvalidExecutionInput     = "InvalidExecutionInput"
	CodeTaskDoesNotExist          = "TaskDoesNotExist"
	CodeTaskTimedOut              = "TaskTimedOut"
	CodeInvalidToken              = "InvalidToken"
	CodeInvalidOutput             = "InvalidOutput"
	CodeValidationException       = "ValidationException"
	CodeStateMachineTypeNotSupp   = "StateMachineTypeNotSupported"
)

// APIError is an error of the Step Functions API with its AWS error code.
type APIError struct {
	Code    string
	Message string
}

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

// stateError is a runtime failure inside an execution, carrying an ASL error
// name that Retry and Catch match on.
type stateError struct {
	Name  string
	Cause string
}

func (e *stateError) Error() string { return e.Name + ": " + e.Cause }

// TaskError is returned by an Invoker to fail the task with the given ASL
// error name (for example "Lambda.ServiceException") and cause.
type TaskError struct {
	Name  string
	Cause string
}

func (e *TaskError) Error() string { return e.Name + ": " + e.Cause }
