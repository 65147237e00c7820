package sqs

import (
	"errors"
	"fmt"
)

// Kinds of failure; every error the Broker returns for bad input wraps one of
// them (test with errors.Is), and the protocol adapter maps each to its AWS code.
var (
	ErrQueueDoesNotExist      = errors.New("QueueDoesNotExist")
	ErrQueueNameExists        = errors.New("QueueNameExists")
	ErrInvalidParameterValue  = errors.New("InvalidParameterValue")
	ErrMissingParameter       = errors.New("MissingParameter")
	ErrInvalidAttributeName   = errors.New("InvalidAttributeName")
	ErrInvalidAttributeValue  = errors.New("InvalidAttributeValue")
	ErrReceiptHandleIsInvalid = errors.New("ReceiptHandleIsInvalid")
	ErrInvalidMessageContents = errors.New("InvalidMessageContents")
	ErrUnsupportedOperation   = errors.New("UnsupportedOperation")
	// ErrPurgeQueueInProgress is a second PurgeQueue of a queue within 60
	// seconds of the first (HTTP 403, as AWS).
	ErrPurgeQueueInProgress = errors.New("PurgeQueueInProgress")
	// ErrQueueDeletedRecently is a CreateQueue of a name whose queue was
	// deleted less than 60 seconds ago.
	ErrQueueDeletedRecently = errors.New("QueueDeletedRecently")
	// ErrResourceNotFound is StartMessageMoveTask's answer for a queue ARN
	// that names no queue (HTTP 404).
	ErrResourceNotFound = errors.New("ResourceNotFoundException")
	// ErrNotDeadLetterQueue is a redrive from a queue that no queue's
	// RedrivePolicy targets; AWS answers it as an InvalidParameterValue.
	ErrNotDeadLetterQueue = &Error{Kind: ErrInvalidParameterValue, Message: "Source queue must be configured as a Dead Letter Queue."}
)

// Error is a client error of a given kind with an AWS-style message.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Message }

// Unwrap returns the kind, so errors.Is(err, ErrQueueDoesNotExist) works.
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// noQueue is AWS's answer (JSON protocol) for a queue that does not exist:
// it does not name the queue.
func noQueue(string) error {
	return fail(ErrQueueDoesNotExist, "The specified queue does not exist.")
}

func invalidParam(name string, value any, reason string) error {
	return fail(ErrInvalidParameterValue, "Value %v for parameter %s is invalid. Reason: %s", value, name, reason)
}
