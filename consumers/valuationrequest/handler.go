// Package valuationrequest is the SQS consumer that turns a RequestValuation
// message into a valuation order: it stores the task token first, under a
// callback id derived from the token, then asks the valuation service to call
// back on that id. A redelivered message finds the record and orders nothing
// twice; a request that can never succeed fails the execution at once.
package valuationrequest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/internal/sfnerr"
	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/contracts"
)

// Errors sent to Step Functions with SendTaskFailure.
const (
	// ErrorRequestInvalid: the queue message breaks its contract.
	ErrorRequestInvalid = "ValuationRequestInvalid"
	// ErrorRequestRejected: the valuation service refused the request (4xx).
	ErrorRequestRejected = "ValuationRequestRejected"
	// ErrorServiceUnavailable: the service kept failing until the last receive.
	ErrorServiceUnavailable = "ValuationServiceUnavailable"
)

// TaskFailer is the part of *sfn.Client the consumer uses.
type TaskFailer interface {
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Deps are the handler's collaborators, built once in main.
type Deps struct {
	Store  tokenstore.Store
	Tasks  TaskFailer
	HTTP   *http.Client
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Handler consumes the valuation-request queue.
type Handler struct {
	cfg   Config
	store tokenstore.Store
	tasks TaskFailer
	http  *http.Client
	log   *slog.Logger
	now   func() time.Time
}

// NewHandler checks cfg and deps and returns the handler.
func NewHandler(cfg Config, d Deps) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Tasks == nil {
		return nil, errors.New("valuation-request: Store and Tasks are required")
	}
	h := &Handler{cfg: cfg, store: d.Store, tasks: d.Tasks, http: d.HTTP, log: d.Logger, now: d.Now}
	if h.http == nil {
		h.http = NewHTTPClient(cfg)
	}
	if h.log == nil {
		h.log = lambdalog.Discard()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// CallbackID derives the callback id from a task token: base64url (no
// padding) of SHA-256("loanflow/callback/v1\x00" + token), 43 characters.
// It is unguessable without the token and the same on every redelivery.
func CallbackID(taskToken string) string {
	sum := sha256.Sum256([]byte("loanflow/callback/v1\x00" + taskToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// CallbackURL is where the valuation service calls back for callbackID.
func CallbackURL(webhookBaseURL, callbackID string) string {
	return webhookBaseURL + "/valuations/" + callbackID
}

// Handle processes a batch concurrently (at most cfg.BatchConcurrency at
// once) and reports the messages that failed transiently, so that only they
// are received again.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	failed := make([]bool, len(ev.Records))
	sem := make(chan struct{}, h.cfg.BatchConcurrency)
	var wg sync.WaitGroup
	for i, msg := range ev.Records {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			mctx := lambdalog.With(ctx, slog.String("messageId", msg.MessageId))
			if err := h.safeProcess(mctx, msg); err != nil {
				failed[i] = true
			}
		})
	}
	wg.Wait()
	var resp events.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) safeProcess(ctx context.Context, msg events.SQSMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("process message: panic: %v", r)
			h.log.ErrorContext(ctx, "message failed; it will be received again", "err", err)
		}
	}()
	return h.process(ctx, msg)
}

// process handles one message; an error means "receive it again".
func (h *Handler) process(ctx context.Context, msg events.SQSMessage) (err error) {
	defer func() {
		// ctx is reassigned below as ids become known: log with the latest.
		if err != nil {
			h.log.ErrorContext(ctx, "message failed; it will be received again", "err", err,
				"receiveCount", receiveCount(msg))
		}
	}()
	var m contracts.ValuationRequestMessage
	if err := contracts.Decode(contracts.SchemaValuationRequestMessage, []byte(msg.Body), &m); err != nil {
		var ve *contracts.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("decode message: %w", err)
		}
		return h.rejectInvalid(ctx, msg, ve)
	}
	callbackID := CallbackID(m.TaskToken)
	ctx = lambdalog.With(ctx,
		slog.String("callbackId", lambdalog.ID(callbackID)),
		slog.String("executionId", m.ExecutionID),
		slog.String("applicationId", m.LoanApplication.ApplicationID),
		slog.String("taskToken", lambdalog.Token(m.TaskToken)))

	now := h.now()
	stored, created, err := h.store.Put(ctx, tokenstore.Record{
		CallbackID:    callbackID,
		TaskToken:     m.TaskToken,
		ExecutionID:   m.ExecutionID,
		ApplicationID: m.LoanApplication.ApplicationID,
		LoanAmount:    m.LoanApplication.LoanAmount,
		Status:        tokenstore.StatusPending,
		CreatedAt:     now,
		ExpiresAt:     h.expiresAt(m.RequestedAt, now),
	})
	if err != nil {
		return fmt.Errorf("store task token: %w", err)
	}
	if !created {
		switch {
		case stored.Status != tokenstore.StatusPending && (stored.ValuationReference != "" || stored.Status == tokenstore.StatusFailed):
			h.log.InfoContext(ctx, "redelivered request already settled; nothing to do", "status", stored.Status)
			return nil
		case stored.Status != tokenstore.StatusPending:
			// The service accepted it (a callback settled the record) but a
			// crash lost its 201 before the reference was recorded: ask again
			// with the same idempotency key, which orders nothing new.
			h.log.InfoContext(ctx, "redelivered request settled without its reference; asking again with the same idempotency key to record it",
				"status", stored.Status)
		case stored.ValuationReference != "":
			h.log.InfoContext(ctx, "redelivered request already accepted by the service; not ordering again",
				"valuationReference", stored.ValuationReference)
			return nil
		}
		h.log.InfoContext(ctx, "redelivered request not yet accepted; asking again with the same idempotency key")
	}

	body, err := json.Marshal(contracts.ValuationRequest{
		Property:    m.LoanApplication.Property,
		CallbackURL: CallbackURL(h.cfg.WebhookBaseURL, callbackID),
	})
	if err != nil {
		return fmt.Errorf("encode valuation request: %w", err)
	}
	ref, attempts, err := h.requestValuation(ctx, callbackID, body)
	var rej *rejectedError
	switch {
	case errors.As(err, &rej):
		return h.failTask(ctx, m.TaskToken, callbackID, ErrorRequestRejected, rej.Error())
	case err != nil:
		if n := receiveCount(msg); n >= h.cfg.MaxReceiveCount {
			if rec, gerr := h.store.Get(ctx, callbackID); gerr == nil && rec.Status != tokenstore.StatusPending {
				h.log.InfoContext(ctx, "service unavailable on the last receive, but the callback already settled the record",
					"status", rec.Status, "err", err)
				return nil
			}
			cause := fmt.Sprintf("valuation service unavailable on receive %d of %d (%d attempts on the last): %v",
				n, h.cfg.MaxReceiveCount, attempts, err)
			if ferr := h.failTask(ctx, m.TaskToken, callbackID, ErrorServiceUnavailable, cause); ferr != nil {
				h.log.ErrorContext(ctx, "could not fail the task after the last receive", "err", ferr)
			}
			return fmt.Errorf("last receive, message goes to the DLQ: %w", err)
		}
		return fmt.Errorf("request valuation (%d attempts): %w", attempts, err)
	}
	if ref == "" {
		h.log.WarnContext(ctx, "valuation accepted without a reference; the callback will still resolve it")
		return nil
	}
	if err := h.store.SetReference(ctx, callbackID, ref); err != nil {
		if errors.Is(err, tokenstore.ErrNotFound) {
			h.log.WarnContext(ctx, "token record vanished before its reference was recorded", "valuationReference", ref)
			return nil
		}
		return fmt.Errorf("record valuation reference %s: %w", ref, err)
	}
	h.log.InfoContext(ctx, "valuation requested", "valuationReference", ref, "attempts", attempts)
	return nil
}

// rejectInvalid fails the execution of a message that breaks its contract,
// when the message carries a task token; without one, nothing can be told,
// so the message fails and ends in the DLQ.
func (h *Handler) rejectInvalid(ctx context.Context, msg events.SQSMessage, ve *contracts.ValidationError) error {
	var partial struct {
		TaskToken   string `json:"taskToken"`
		ExecutionID string `json:"executionId"`
	}
	_ = json.Unmarshal([]byte(msg.Body), &partial)
	if partial.TaskToken == "" {
		return fmt.Errorf("message without a task token: %w", ve)
	}
	ctx = lambdalog.With(ctx,
		slog.String("executionId", partial.ExecutionID),
		slog.String("taskToken", lambdalog.Token(partial.TaskToken)))
	h.log.WarnContext(ctx, "message breaks its contract; failing the execution", "problems", ve.Problems)
	_, err := h.tasks.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: &partial.TaskToken,
		Error:     ptr(ErrorRequestInvalid),
		Cause:     ptr(sfnerr.Truncate(ve.Error(), sfnerr.MaxCauseLen)),
	})
	switch {
	case err == nil:
		return nil
	case sfnerr.TaskClosed(err):
		h.log.WarnContext(ctx, "task already closed; dropping the invalid message", "code", sfnerr.Code(err))
		return nil
	}
	return fmt.Errorf("send task failure %s: %w", ErrorRequestInvalid, err)
}

// failTask tells Step Functions the request failed for good, then marks the
// record FAILED. A task that is already closed is not an error.
func (h *Handler) failTask(ctx context.Context, token, callbackID, name, cause string) error {
	_, err := h.tasks.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{
		TaskToken: &token,
		Error:     ptr(name),
		Cause:     ptr(sfnerr.Truncate(cause, sfnerr.MaxCauseLen)),
	})
	if err != nil && !sfnerr.TaskClosed(err) {
		return fmt.Errorf("send task failure %s: %w", name, err)
	}
	if err != nil {
		h.log.WarnContext(ctx, "task already closed", "code", sfnerr.Code(err))
	}
	switch ferr := h.store.Fail(ctx, callbackID, name, cause, h.now()); {
	case ferr == nil:
	case errors.Is(ferr, tokenstore.ErrConflict), errors.Is(ferr, tokenstore.ErrNotFound):
		h.log.WarnContext(ctx, "token record already settled", "err", ferr)
	default:
		return fmt.Errorf("mark token record failed: %w", ferr)
	}
	h.log.WarnContext(ctx, "valuation request failed the execution", "error", name, "cause", cause)
	return nil
}

// expiresAt is when the record stops mattering: the callback timeout (from
// when the task started) plus the grace in which late callbacks are still
// recognised as late.
func (h *Handler) expiresAt(requestedAt string, now time.Time) time.Time {
	start := now
	if t, err := time.Parse(time.RFC3339Nano, requestedAt); err == nil && t.Before(now) {
		start = t
	}
	return start.Add(h.cfg.CallbackTimeout + h.cfg.TokenGrace)
}

func receiveCount(msg events.SQSMessage) int {
	n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func ptr[T any](v T) *T { return &v }
