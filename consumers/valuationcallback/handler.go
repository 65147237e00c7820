// Package valuationcallback resolves task tokens: it is the target of the
// "Valuation Completed" and "Valuation Failed" rules. It verifies the
// callback's signature, finds the token by callback id, claims the record
// for the event, resumes the execution, and marks the record RESOLVED.
//
// The claim is what makes retries honest. A callback claims the record under
// an id derived from the signed callback as received (signature.Digest), not
// from the event: a transient Step Functions failure returns an error so
// EventBridge retries, and that retry, a redrive of the event from the DLQ or
// a replay from the archive finds the record claimed by the same callback and
// carries on, while any other callback for a claimed or resolved record is a
// duplicate. Late,
// duplicate, unknown, forged, stale and malformed callbacks are acknowledged,
// logged on one line with a reason, counted, and resume nothing.
package valuationcallback

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/internal/sfnerr"
	"loanflow/consumers/lambdalog"
	"loanflow/consumers/signature"
	"loanflow/consumers/tokenstore"
	"loanflow/contracts"
)

// ErrorValuationFailed is the error sent to Step Functions for a failed
// valuation; the loan processor catches it.
const ErrorValuationFailed = "ValuationFailed"

// Record outcomes.
const (
	OutcomeSucceeded = "SUCCEEDED"
	OutcomeFailed    = "FAILED"
)

// TaskResumer is the part of *sfn.Client the resolver uses.
type TaskResumer interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// KeySource gives the keys a callback may be signed with, the current key
// first, then the previous one while a rotation settles.
type KeySource interface {
	// Keys returns the keys. fresh asks for keys newer than any cached
	// copy: a signature matched none of them, perhaps because the key has
	// just been rotated.
	Keys(ctx context.Context, fresh bool) ([][]byte, error)
}

// Deps are the handler's collaborators, built once in main.
type Deps struct {
	Store tokenstore.Store
	Tasks TaskResumer
	// Keys are the signing keys; when nil, the keys in Config are used.
	Keys    KeySource
	Metrics Metrics
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Handler resolves valuation callbacks.
type Handler struct {
	cfg     Config
	store   tokenstore.Store
	tasks   TaskResumer
	keys    KeySource
	metrics Metrics
	log     *slog.Logger
	now     func() time.Time
}

// NewHandler checks cfg and deps and returns the handler.
func NewHandler(cfg Config, d Deps) (*Handler, error) {
	if d.Store == nil || d.Tasks == nil {
		return nil, errors.New("valuation-callback: Store and Tasks are required")
	}
	if cfg.SignatureTolerance <= 0 {
		return nil, errors.New("valuation-callback: SignatureTolerance: must be > 0")
	}
	keys := d.Keys
	if keys == nil {
		if len(cfg.SigningSecret) == 0 {
			return nil, errors.New("valuation-callback: a signing key is required (Deps.Keys or Config.SigningSecret): callbacks cannot be verified without one")
		}
		keys = StaticKeys{cfg.SigningSecret, cfg.SigningSecretPrevious}
	}
	h := &Handler{cfg: cfg, store: d.Store, tasks: d.Tasks, keys: keys, metrics: d.Metrics, log: d.Logger, now: d.Now}
	if h.metrics == nil {
		h.metrics = &Tally{}
	}
	if h.log == nil {
		h.log = lambdalog.Discard()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// Reasons an outcome is logged with.
const (
	ReasonResolved           = "resolved"
	ReasonValuationFailed    = "valuation_failed"
	ReasonUnsupportedType    = "unsupported_detail_type"
	ReasonMalformed          = "malformed_detail"
	ReasonSignatureMissing   = "signature_missing"
	ReasonSignatureForged    = "signature_forged"
	ReasonSignatureStale     = "signature_stale"
	ReasonSignatureScheme    = "signature_unsupported_scheme"
	ReasonReceiptInFuture    = "receipt_in_future"
	ReasonReceiptBeforeIssue = "received_before_issued"
	ReasonUnknownCallback    = "unknown_callback_id"
	ReasonReferenceMismatch  = "reference_mismatch"
	ReasonDuplicate          = "duplicate"
	ReasonAlreadyResolved    = "already_resolved_by_this_callback"
	ReasonTaskAlreadyFailed  = "task_already_failed"
	ReasonRecordExpired      = "record_expired"
	ReasonPastExpiry         = "past_expiry"
	ReasonTaskClosed         = "task_closed"
	ReasonTransientFailure   = "transient_failure"
	ReasonResolvedNotMarked  = "resolved_but_not_marked"
	reasonClaimLostTwiceLoop = "claim_conflict"
)

// outcome is what happened to one event: logged once, counted once.
type outcome struct {
	metric string
	reason string
	err    error // returned, so the platform retries
	level  slog.Level
	attrs  []slog.Attr
}

func ack(metric, reason string, attrs ...slog.Attr) outcome {
	return outcome{metric: metric, reason: reason, level: slog.LevelWarn, attrs: attrs}
}

func retry(err error) outcome {
	return outcome{reason: ReasonTransientFailure, err: err, level: slog.LevelError}
}

// Handle resolves one callback event. It returns an error only when retrying
// the same event can help.
func (h *Handler) Handle(ctx context.Context, ev events.CloudWatchEvent) error {
	ctx = lambdalog.With(ctx, slog.String("eventId", ev.ID), slog.String("detailType", ev.DetailType))
	o := h.resolve(ctx, ev)
	if o.metric != "" {
		h.metrics.Count(o.metric)
	}
	args := make([]any, 0, len(o.attrs)+2)
	args = append(args, slog.String("reason", o.reason))
	for _, a := range o.attrs {
		args = append(args, a)
	}
	if o.err != nil {
		args = append(args, slog.String("err", o.err.Error()))
	}
	msg := "callback " + o.reason
	if o.metric != "" {
		args = append(args, slog.String("metric", o.metric))
	}
	h.log.Log(ctx, o.level, msg, args...)
	return o.err
}

func (h *Handler) resolve(ctx context.Context, ev events.CloudWatchEvent) outcome {
	if ev.DetailType != contracts.DetailTypeCompleted && ev.DetailType != contracts.DetailTypeFailed {
		return ack(CallbacksRejected, ReasonUnsupportedType)
	}
	var d contracts.ValuationCallbackDetail
	if err := contracts.Decode(contracts.SchemaValuationCallbackDetail, ev.Detail, &d); err != nil {
		return ack(CallbacksRejected, ReasonMalformed, problems(err))
	}
	cb := slog.String("callbackId", lambdalog.ID(d.CallbackID))
	body, err := base64.StdEncoding.DecodeString(d.BodyBase64)
	if err != nil {
		return ack(CallbacksRejected, ReasonMalformed, cb, slog.String("detail", "bodyBase64: is not base64"))
	}
	ms, err := strconv.ParseInt(d.ReceivedAt, 10, 64)
	if err != nil {
		return ack(CallbacksRejected, ReasonMalformed, cb, slog.String("detail", "receivedAt: is not Unix milliseconds"))
	}
	receivedAt := time.UnixMilli(ms)
	tol := h.cfg.SignatureTolerance
	if receivedAt.After(h.now().Add(tol)) {
		return ack(CallbacksRejected, ReasonReceiptInFuture, cb, slog.Time("receivedAt", receivedAt))
	}

	// The signature binds the callback id and the raw bytes; its freshness
	// is judged at receipt, so retries, a redrive or a replay of this
	// callback are judged as it was when it arrived.
	msg := signature.Message{CallbackID: d.CallbackID, Body: body}
	keyIndex, err := h.verify(ctx, d.Signature, msg, receivedAt)
	switch {
	case errors.Is(err, signature.ErrMissing):
		return ack(CallbacksRejected, ReasonSignatureMissing, cb)
	case errors.Is(err, signature.ErrStale):
		return ack(CallbacksRejected, ReasonSignatureStale, cb, slog.String("detail", err.Error()))
	case errors.Is(err, signature.ErrUnsupported):
		return ack(CallbacksRejected, ReasonSignatureScheme, cb, slog.String("detail", err.Error()))
	case errors.Is(err, signature.ErrForged):
		return ack(CallbacksRejected, ReasonSignatureForged, cb, slog.String("detail", err.Error()))
	case err != nil:
		return retry(fmt.Errorf("signing keys: %w", err))
	}
	// One signed callback, however often it is delivered, claims as one.
	claimID := "cb-" + signature.Digest(d.Signature.Timestamp, d.Signature.Value, msg, d.ReceiptID)

	// The signed body is the truth; the parsed copy in the detail only
	// routes the event.
	var resp contracts.ValuationResponse
	if err := contracts.Decode(contracts.SchemaValuationResponse, body, &resp); err != nil {
		return ack(CallbacksRejected, ReasonMalformed, cb, problems(err))
	}
	if contracts.DetailType(resp.Status) != ev.DetailType || d.Response.Status != resp.Status {
		return ack(CallbacksRejected, ReasonMalformed, cb,
			slog.String("detail", "body status "+resp.Status+" does not match the event"))
	}
	ref := slog.String("valuationReference", resp.ValuationReference)

	// The common case in one conditional write: a record that passes every
	// check below is claimed at once. Any other record comes back as it
	// stands and goes through the checks one by one.
	rec, err := h.store.ClaimIf(ctx, d.CallbackID, claimID, tokenstore.ClaimGuard{
		Reference: resp.ValuationReference, // the reference check below
		CreatedBy: receivedAt.Add(tol),     // the received-before-issue check below
		LiveAt:    h.now(),                 // claimAndSend's expiry check
	})
	var ce *tokenstore.ConflictError
	switch {
	case err == nil:
		claimed := rec
		claimed.Status, claimed.ClaimedBy = tokenstore.StatusClaimed, claimID
		return h.send(ctx, claimID, claimed, resp, rec.Status == tokenstore.StatusClaimed, recordIDs(cb, ref, rec, claimID, keyIndex))
	case errors.Is(err, tokenstore.ErrNotFound):
		return ack(CallbacksUnknown, ReasonUnknownCallback, cb, ref)
	case errors.As(err, &ce):
		rec = ce.Current
	default:
		return retry(fmt.Errorf("claim token: %w", err))
	}
	ids := recordIDs(cb, ref, rec, claimID, keyIndex)
	if !rec.CreatedAt.IsZero() && receivedAt.Before(rec.CreatedAt.Add(-tol)) {
		return ack(CallbacksRejected, ReasonReceiptBeforeIssue, append(ids, slog.Time("receivedAt", receivedAt))...)
	}
	if rec.ValuationReference != "" && rec.ValuationReference != resp.ValuationReference {
		return ack(CallbacksRejected, ReasonReferenceMismatch,
			append(ids, slog.String("expectedReference", rec.ValuationReference))...)
	}
	return h.claimAndSend(ctx, claimID, rec, resp, ids)
}

// recordIDs are the attributes that name a callback and its record in the log.
func recordIDs(cb, ref slog.Attr, rec tokenstore.Record, claimID string, keyIndex int) []slog.Attr {
	ids := []slog.Attr{cb, ref, slog.String("executionId", rec.ExecutionID), slog.String("claimId", claimID)}
	if keyIndex > 0 {
		ids = append(ids, slog.Bool("signedWithPreviousKey", true))
	}
	return ids
}

// verify checks the signature against the current keys and, when none
// matches, once more against freshly read keys (a rotation may be newer than
// the cached copy).
func (h *Handler) verify(ctx context.Context, sig contracts.Signature, msg signature.Message, receivedAt time.Time) (int, error) {
	keys, err := h.keys.Keys(ctx, false)
	if err != nil {
		return -1, err
	}
	i, verr := signature.Verify(keys, sig.Timestamp, sig.Value, msg, receivedAt, h.cfg.SignatureTolerance)
	if !errors.Is(verr, signature.ErrForged) {
		return i, verr
	}
	fresh, err := h.keys.Keys(ctx, true)
	if err != nil {
		return -1, err
	}
	return signature.Verify(fresh, sig.Timestamp, sig.Value, msg, receivedAt, h.cfg.SignatureTolerance)
}

// claimAndSend claims the record for claimID and resumes its execution,
// unless the record's status says the callback is a duplicate or late.
func (h *Handler) claimAndSend(ctx context.Context, claimID string, rec tokenstore.Record, resp contracts.ValuationResponse, ids []slog.Attr) outcome {
	retried := false
	for range 2 {
		switch rec.Status {
		case tokenstore.StatusResolved:
			if rec.ClaimedBy == claimID {
				// This very callback resumed the loan before (a retry after
				// a lost acknowledgement, a redrive, a replay): not a second
				// answer from the provider, and nothing to do.
				return outcome{reason: ReasonAlreadyResolved, level: slog.LevelInfo, attrs: ids}
			}
			return ack(CallbacksDuplicate, ReasonDuplicate, append(ids, slog.String("resolvedBy", rec.ClaimedBy))...)
		case tokenstore.StatusFailed:
			return ack(CallbacksLate, ReasonTaskAlreadyFailed, append(ids, slog.String("failedWith", rec.Outcome))...)
		case tokenstore.StatusExpired:
			return ack(CallbacksLate, ReasonRecordExpired, ids...)
		case tokenstore.StatusClaimed:
			if rec.ClaimedBy != claimID {
				return ack(CallbacksDuplicate, ReasonDuplicate, append(ids, slog.String("claimedBy", rec.ClaimedBy))...)
			}
			retried = true
			return h.send(ctx, claimID, rec, resp, retried, ids)
		case tokenstore.StatusPending:
			if !rec.ExpiresAt.IsZero() && h.now().After(rec.ExpiresAt) {
				if err := h.store.Expire(ctx, rec.CallbackID, "", "callback after the record's expiry", h.now()); err != nil && !errors.Is(err, tokenstore.ErrConflict) {
					return retry(fmt.Errorf("expire token: %w", err))
				}
				return ack(CallbacksLate, ReasonPastExpiry, append(ids, slog.Time("expiresAt", rec.ExpiresAt))...)
			}
			claimed, err := h.store.Claim(ctx, rec.CallbackID, claimID)
			var ce *tokenstore.ConflictError
			switch {
			case err == nil:
				return h.send(ctx, claimID, claimed, resp, retried, ids)
			case errors.As(err, &ce):
				rec = ce.Current // another event got there first: classify again
				continue
			case errors.Is(err, tokenstore.ErrNotFound):
				return ack(CallbacksUnknown, ReasonUnknownCallback, ids...)
			default:
				return retry(fmt.Errorf("claim token: %w", err))
			}
		default:
			return retry(fmt.Errorf("token record in unexpected status %q", rec.Status))
		}
	}
	return retry(errors.New(reasonClaimLostTwiceLoop))
}

// send resumes the execution of a record claimed by claimID, then marks it
// RESOLVED. retried says the claim was already ours (this callback again).
func (h *Handler) send(ctx context.Context, claimID string, rec tokenstore.Record, resp contracts.ValuationResponse, retried bool, ids []slog.Attr) outcome {
	ids = append(ids, slog.String("taskToken", lambdalog.Token(rec.TaskToken)), slog.Bool("retry", retried))
	var err error
	metric, reason, result, cause := CallbacksResolved, ReasonResolved, OutcomeSucceeded, ""
	if resp.Status == contracts.StatusCompleted {
		out, merr := json.Marshal(contracts.ValuationResult{
			ValuationReference: resp.ValuationReference,
			PropertyValue:      resp.PropertyValue,
			Currency:           resp.Currency,
			ValuedAt:           resp.ValuedAt,
			LoanToValueBps:     contracts.LoanToValueBps(rec.LoanAmount, resp.PropertyValue),
		})
		if merr != nil {
			return retry(fmt.Errorf("encode valuation result: %w", merr))
		}
		_, err = h.tasks.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: &rec.TaskToken, Output: ptr(string(out))})
		ids = append(ids, slog.Int64("propertyValue", resp.PropertyValue))
	} else {
		metric, reason, result = CallbacksFailed, ReasonValuationFailed, OutcomeFailed
		cause = "valuation failed"
		if resp.Failure != nil {
			cause = resp.Failure.ReasonCode
			if resp.Failure.Reason != "" {
				cause += ": " + resp.Failure.Reason
			}
		}
		_, err = h.tasks.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
			TaskToken: &rec.TaskToken,
			Error:     ptr(ErrorValuationFailed),
			Cause:     ptr(sfnerr.Truncate(cause, sfnerr.MaxCauseLen)),
		})
		ids = append(ids, slog.String("cause", cause))
	}
	switch {
	case err == nil:
	case retried && sfnerr.Code(err) == "TaskDoesNotExist":
		// This event claimed the record and an earlier attempt of it sent the
		// answer (the task is gone, not timed out): the response of that call
		// was lost, not the resume. Record it as resolved.
		ids = append(ids, slog.Bool("confirmedOnRetry", true))
	case sfnerr.TaskClosed(err):
		code := sfnerr.Code(err)
		if xerr := h.store.Expire(ctx, rec.CallbackID, claimID, "Step Functions: "+code, h.now()); xerr != nil && !errors.Is(xerr, tokenstore.ErrConflict) {
			return retry(fmt.Errorf("expire token after %s: %w", code, xerr))
		}
		return ack(CallbacksLate, ReasonTaskClosed, append(ids, slog.String("code", code))...)
	default:
		return retry(fmt.Errorf("resume execution: %w", err))
	}
	if rerr := h.store.Resolve(ctx, rec.CallbackID, claimID, result, cause, h.now()); rerr != nil {
		var ce *tokenstore.ConflictError
		if errors.As(rerr, &ce) && ce.Current.Status == tokenstore.StatusResolved && ce.Current.ClaimedBy == claimID {
			// Another delivery of this very callback (the same claim: a
			// retry overlapping the first attempt, a redrive) resumed the
			// execution and marked the record first. Nothing is left to
			// do, and the callback was counted once, by that delivery.
			return outcome{reason: ReasonAlreadyResolved, level: slog.LevelInfo, attrs: ids}
		}
		// The execution has resumed; the record stays claimed by this
		// event, so later events are still recognised as duplicates.
		return outcome{metric: metric, reason: ReasonResolvedNotMarked, level: slog.LevelError,
			attrs: append(ids, slog.String("storeErr", rerr.Error()))}
	}
	return outcome{metric: metric, reason: reason, level: slog.LevelInfo, attrs: ids}
}

func problems(err error) slog.Attr {
	var ve *contracts.ValidationError
	if errors.As(err, &ve) {
		return slog.Any("problems", ve.Problems)
	}
	return slog.String("detail", err.Error())
}

func ptr[T any](v T) *T { return &v }

// StaticKeys are keys fixed at start: the current one, then the previous one
// (either may be empty).
type StaticKeys [2][]byte

// Keys implements KeySource.
func (k StaticKeys) Keys(context.Context, bool) ([][]byte, error) {
	out := make([][]byte, 0, 2)
	for _, key := range k {
		if len(key) > 0 {
			out = append(out, key)
		}
	}
	return out, nil
}
