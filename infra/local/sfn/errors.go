package sfn

import (
	"fmt"

	"loanflow/infra/local/asl"
)

// Error codes returned by Engine methods, as the Step Functions API names them.
const (
	CodeStateMachineDoesNotExist    = "StateMachineDoesNotExist"
	CodeStateMachineAlreadyExists   = "StateMachineAlreadyExists"
	CodeExecutionDoesNotExist       = "ExecutionDoesNotExist"
	CodeExecutionAlreadyExists      = "ExecutionAlreadyExists"
	CodeInvalidDefinition           = asl.CodeInvalidDefinition
	CodeInvalidName                 = "InvalidName"
	CodeInvalidARN                  = "InvalidArn"
	CodeInvalidExecutionInput       = "InvalidExecutionInput"
	CodeTaskDoesNotExist            = "TaskDoesNotExist"
	CodeTaskTimedOut                = "TaskTimedOut"
	CodeInvalidToken                = "InvalidToken"
	CodeInvalidOutput               = "InvalidOutput"
	CodeValidationException         = "ValidationException"
	CodeStateMachineTypeNotSupp     = "StateMachineTypeNotSupported"
	CodeStateMachineDeleting        = "StateMachineDeleting"
	CodeExecutionNotRedrivable      = "ExecutionNotRedrivable"
	CodeInvalidLoggingConfiguration = "InvalidLoggingConfiguration"
	CodeResourceNotFound            = "ResourceNotFound"
	CodeTooManyTags                 = "TooManyTags"
	CodeActivityDoesNotExist        = "ActivityDoesNotExist"
	CodeActivityAlreadyExists       = "ActivityAlreadyExists"
	CodeInvalidEncryption           = "InvalidEncryptionConfiguration"
)

// APIError is an error of the Step Functions API with its AWS error code:
// every error the Engine's API methods return for bad input or a missing
// resource is one. It is the interpreter's type, which reports invalid
// definitions with it.
type APIError = asl.APIError

// ErrorCode returns the AWS error code of err if it is (or wraps) an
// *APIError, and "" otherwise.
func ErrorCode(err error) string { return asl.ErrorCode(err) }

func apiErr(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// constraintErr is AWS's ValidationException for a request member whose
// value fails a constraint of the API's model, e.g. rule "have length less
// than or equal to 80".
func constraintErr(value, member, rule string) *APIError {
	return apiErr(CodeValidationException, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, member, rule)
}
