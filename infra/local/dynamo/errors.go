package dynamo

import (
	"errors"
	"fmt"
)

// Kinds of failure; every error the Store returns for bad input wraps one of
// them (test with errors.Is), and the adapter sends it as that AWS code.
var (
	ErrValidation             = errors.New("ValidationException")
	ErrResourceNotFound       = errors.New("ResourceNotFoundException")
	ErrResourceInUse          = errors.New("ResourceInUseException")
	ErrConditionalCheckFailed = errors.New("ConditionalCheckFailedException")
)

// Error is a client error of a given kind with an AWS-style message. Item is
// the current item of a failed condition check when ALL_OLD was asked for.
type Error struct {
	Kind    error
	Message string
	Item    Item
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
