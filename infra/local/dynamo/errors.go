package dynamo

import (
	"errors"
	"fmt"
)

// Kinds of failure; every error the Store returns for bad input wraps one of
// them (test with errors.Is), and the adapter sends it as that AWS code.
var (
	ErrValidation                  = errors.New("ValidationException")
	ErrResourceNotFound            = errors.New("ResourceNotFoundException")
	ErrResourceInUse               = errors.New("ResourceInUseException")
	ErrConditionalCheckFailed      = errors.New("ConditionalCheckFailedException")
	ErrTransactionCanceled         = errors.New("TransactionCanceledException")
	ErrIdempotentParameterMismatch = errors.New("IdempotentParameterMismatchException")
	ErrLimitExceeded               = errors.New("LimitExceededException")
)

// Error is a client error of a given kind with an AWS-style message. Item is
// the current item of a failed condition check when ALL_OLD was asked for;
// Reasons are a cancelled transaction's, one per action.
type Error struct {
	Kind    error
	Message string
	Item    Item
	Reasons []CancellationReason
}

// CancellationReason is why one action of a transaction did not happen:
// Code None when it was not the cause, ConditionalCheckFailed,
// ValidationError, ...; Item is the item a failed condition saw, when asked
// for with ReturnValuesOnConditionCheckFailure ALL_OLD.
type CancellationReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message,omitempty"`
	Item    Item   `json:"Item,omitempty"`
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Message }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

func validation(format string, args ...any) error {
	return &Error{Kind: ErrValidation, Message: fmt.Sprintf(format, args...)}
}

func unsupported(what string) error {
	return validation("%s is not supported by the loanflow local stack", what)
}

func tableNotFound(name string) error {
	return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found: Table: " + name + " not found"}
}

// resourceNotFound is what the multi-table operations (batches and
// transactions) answer for a table that does not exist: DynamoDB does not
// name it.
func resourceNotFound() error {
	return &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found"}
}
