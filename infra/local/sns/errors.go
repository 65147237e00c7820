package sns

import (
	"errors"
	"fmt"
	"net/http"
)

// Kinds of failure; every error the Service returns for bad input wraps one
// of them (test with errors.Is). The protocol sends each kind as its code.
var (
	ErrInvalidParameter          = errors.New("InvalidParameter")
	ErrInvalidParameterValue     = errors.New("ParameterValueInvalid")
	ErrNotFound                  = errors.New("NotFound")
	ErrAuthorization             = errors.New("AuthorizationError")
	ErrInvalidAction             = errors.New("InvalidAction")
	ErrMalformedQueryString      = errors.New("MalformedQueryString")
	ErrMissingAction             = errors.New("MissingAction")
	ErrEmptyBatchRequest         = errors.New("EmptyBatchRequest")
	ErrTooManyEntriesInBatch     = errors.New("TooManyEntriesInBatchRequest")
	ErrBatchEntryIdsNotDistinct  = errors.New("BatchEntryIdsNotDistinct")
	ErrInvalidBatchEntryID       = errors.New("InvalidBatchEntryId")
	ErrBatchRequestTooLong       = errors.New("BatchRequestTooLong")
	ErrTagLimitExceeded          = errors.New("TagLimitExceeded")
	ErrFilterPolicyLimitExceeded = errors.New("FilterPolicyLimitExceeded")
	ErrResourceNotFound          = errors.New("ResourceNotFound")
)

// Error is a client error of a given kind with an AWS-style message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Message }

// Unwrap returns the kind, so errors.Is(err, ErrNotFound) works.
func (e *Error) Unwrap() error { return e.Kind }

// Code is the error code the query protocol sends.
func (e *Error) Code() string { return e.Kind.Error() }

// Status is the HTTP status the query protocol sends, as in SNS's model.
func (e *Error) Status() int {
	switch e.Kind {
	case ErrNotFound, ErrResourceNotFound:
		return http.StatusNotFound
	case ErrAuthorization, ErrFilterPolicyLimitExceeded:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

func fail(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// invalidParam is SNS's "Invalid parameter: Name" error, with a reason
// when there is one ("Invalid parameter: Name Reason: ...").
func invalidParam(name, reason string, args ...any) *Error {
	if reason == "" {
		return fail(ErrInvalidParameter, "Invalid parameter: %s", name)
	}
	return fail(ErrInvalidParameter, "Invalid parameter: %s Reason: %s", name, fmt.Sprintf(reason, args...))
}

// missing is the error for a required parameter that was not sent.
func missing(name string) *Error {
	return invalidParam(name, "no value for required parameter")
}

var (
	errTopicNotFound        = fail(ErrNotFound, "Topic does not exist")
	errSubscriptionNotFound = fail(ErrNotFound, "Subscription does not exist")
)
