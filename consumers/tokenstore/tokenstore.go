// Package tokenstore keeps the task tokens that paused executions wait on,
// keyed by the callback id that the valuation service calls back on. Every
// change of status is a conditional write, so a token is resolved at most once
// however many callbacks race for it.
package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loanflow/consumers/lambdalog"
)

// Status is where a token record stands.
type Status string

// Statuses of a record. A record starts PENDING; a callback event claims it
// (CLAIMED, with the event id) before it resumes the execution, then marks it
// RESOLVED. EXPIRED and FAILED are final, like RESOLVED.
const (
	StatusPending  Status = "PENDING"
	StatusClaimed  Status = "CLAIMED"
	StatusResolved Status = "RESOLVED"
	StatusExpired  Status = "EXPIRED"
	StatusFailed   Status = "FAILED"
)

// Final reports whether no further transition is possible from s.
func (s Status) Final() bool {
	return s == StatusResolved || s == StatusExpired || s == StatusFailed
}

// DynamoDB attribute names the table definition needs.
const (
	// AttrCallbackID is the partition key (type S).
	AttrCallbackID = "callbackId"
	// AttrExpiresAt is the TTL attribute (epoch seconds, type N).
	AttrExpiresAt = "expiresAt"
)

// Record is one stored task token.
type Record struct {
	CallbackID    string
	TaskToken     string
	ExecutionID   string
	ApplicationID string
	// LoanAmount is in minor units (pence).
	LoanAmount int64
	Status     Status
	// ValuationReference is the valuation service's reference, once known.
	ValuationReference string
	// ClaimedBy is the id of the callback event that claimed the record.
	ClaimedBy string
	CreatedAt time.Time
	// ExpiresAt is when the record stops mattering; the table's TTL removes
	// it after that. Stored with second precision.
	ExpiresAt  time.Time
	ResolvedAt time.Time
	// Outcome says how the record ended (SUCCEEDED, FAILED, or the error
	// name sent to Step Functions); Reason says why, for people.
	Outcome string
	Reason  string
}

// Errors of the store.
var (
	// ErrNotFound means no record has the callback id.
	ErrNotFound = errors.New("token record not found")
	// ErrConflict means the record is not in a status the change allows;
	// the error is a *ConflictError that carries the record as it is.
	ErrConflict = errors.New("token record status conflict")
)

// ConflictError is returned when a conditional change finds the record in
// another status. Current is the record as it stood.
type ConflictError struct {
	Op      string
	Current Record
}

func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("%s %s: record is %s", e.Op, lambdalog.ID(e.Current.CallbackID), e.Current.Status)
	if e.Current.ClaimedBy != "" {
		msg += " (claimed by " + e.Current.ClaimedBy + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Store is the token store port.
type Store interface {
	// Put stores r if no record has its callback id and reports created.
	// If one does, Put returns that record untouched and created is false.
	Put(ctx context.Context, r Record) (stored Record, created bool, err error)
	// Get returns the record, read consistently, or ErrNotFound.
	Get(ctx context.Context, callbackID string) (Record, error)
	// SetReference records the valuation reference; it never changes the
	// status, whatever the status is. ErrNotFound if there is no record.
	SetReference(ctx context.Context, callbackID, reference string) error
	// Claim moves PENDING to CLAIMED by claimID. Claiming again with the
	// same claimID succeeds (a retry of the same event); anything else is a
	// *ConflictError.
	Claim(ctx context.Context, callbackID, claimID string) (Record, error)
	// ClaimIf claims as Claim does, in the same conditional write only if
	// the record also meets g, and returns the record as it was before
	// (CLAIMED by claimID when this claim is a retry). A record that does
	// not meet g is a *ConflictError, like one in another status;
	// ErrNotFound if there is no record.
	ClaimIf(ctx context.Context, callbackID, claimID string, g ClaimGuard) (before Record, err error)
	// Resolve moves PENDING, or CLAIMED by claimID, to RESOLVED with the
	// outcome. claimID may be empty to resolve an unclaimed record.
	Resolve(ctx context.Context, callbackID, claimID, outcome, reason string, at time.Time) error
	// Expire moves PENDING, or CLAIMED by claimID, to EXPIRED.
	Expire(ctx context.Context, callbackID, claimID, reason string, at time.Time) error
	// Fail moves PENDING to FAILED with the outcome (the error sent to Step
	// Functions) and reason.
	Fail(ctx context.Context, callbackID, outcome, reason string, at time.Time) error
}

// ClaimGuard is what ClaimIf asks of a record besides its status: the
// checks a callback makes on the record it claims, so that one conditional
// write both checks and claims.
type ClaimGuard struct {
	// Reference must be the record's valuation reference, unless the record
	// has none yet.
	Reference string
	// CreatedBy, unless zero, is the latest time the record may have been
	// created at (a record without a creation time passes).
	CreatedBy time.Time
	// LiveAt, unless zero, must be before the record's expiry (a record
	// without an expiry passes).
	LiveAt time.Time
}

// Admits reports whether r meets g; the stores' conditions say the same.
func (g ClaimGuard) Admits(r Record) bool {
	return (r.ValuationReference == "" || r.ValuationReference == g.Reference) &&
		(g.CreatedBy.IsZero() || r.CreatedAt.IsZero() || !r.CreatedAt.After(g.CreatedBy)) &&
		(g.LiveAt.IsZero() || r.ExpiresAt.IsZero() || r.ExpiresAt.After(g.LiveAt))
}

// Normalize gives a record the precision the stores keep: UTC times,
// milliseconds, and whole seconds for ExpiresAt.
func Normalize(r Record) Record {
	r.CreatedAt = normTime(r.CreatedAt, time.Millisecond)
	r.ResolvedAt = normTime(r.ResolvedAt, time.Millisecond)
	r.ExpiresAt = normTime(r.ExpiresAt, time.Second)
	return r
}

func normTime(t time.Time, p time.Duration) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(p)
}

func validate(r Record) error {
	switch {
	case r.CallbackID == "":
		return errors.New("put: callback id is empty")
	case r.TaskToken == "":
		return errors.New("put: task token is empty")
	case r.Status == "":
		return errors.New("put: status is empty")
	}
	return nil
}
