package sns

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"loanflow/infra/local/functions"
	"loanflow/infra/local/sqs"
)

// delivery is one message (a notification or a confirmation) to one
// subscription, a row of sns_deliveries.
type delivery struct {
	id                                                    int64
	kind, messageID, topicARN, subARN, protocol, endpoint string
	attempts                                              int
	firstAt, nextAt                                       int64
	msg                                                   *storedMessage // nil: read it from sns_messages
}

// Delivery states.
const (
	statePending   = "pending"
	stateDelivered = "delivered"
	stateFailed    = "failed"
	stateDropped   = "dropped"
)

func insertDeliveries(ctx context.Context, tx *sql.Tx, ds []*delivery) error {
	if len(ds) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO sns_deliveries (kind, message_id, topic_arn, sub_arn, protocol, endpoint,
		state, leased, first_at, next_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, d := range ds {
		res, err := stmt.ExecContext(ctx, d.kind, d.messageID, d.topicARN, d.subARN, d.protocol, d.endpoint, d.firstAt, d.nextAt)
		if err != nil {
			return err
		}
		if d.id, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return nil
}

// lease is how long a delivery being made stays claimed: twice what an
// attempt may take. A crash in the middle makes it due again after this,
// so delivery is at least once.
func (s *Service) lease() time.Duration { return 2 * s.opts.DeliveryTimeout }

func (s *Service) leaseFrom(nowMS int64) int64 { return nowMS + s.lease().Milliseconds() }

// dispatch makes fresh deliveries: those to SQS queues before it returns
// (a consumer that saw Publish answer finds the message in its queue), the
// others on the worker pool. Once the Service is closed it leaves them to
// the next run, which finds them when their lease ends.
func (s *Service) dispatch(ctx context.Context, ds []*delivery) {
	var inline sync.WaitGroup
	for _, d := range ds {
		if d.protocol == "sqs" && d.kind == kindNotification {
			inline.Add(1)
			if !s.goTracked(func() {
				defer inline.Done()
				s.deliver(s.runCtx, d)
			}) {
				inline.Done()
			}
			continue
		}
		s.runAsync(d)
	}
	inline.Wait()
}

// runAsync makes a delivery on the worker pool.
func (s *Service) runAsync(d *delivery) {
	s.goTracked(func() {
		select {
		case s.sem <- struct{}{}:
		case <-s.runCtx.Done():
			return
		}
		defer func() { <-s.sem }()
		s.deliver(s.runCtx, d)
	})
}

// goTracked runs fn on a goroutine that Close waits for, unless the
// Service is closed (then it reports false and fn does not run).
func (s *Service) goTracked(fn func()) bool {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			// A bug in one delivery must not take the local stack down;
			// the delivery stays leased and is tried again after its lease.
			if p := recover(); p != nil {
				s.log.Error("sns: delivery panicked", "err", fmt.Sprint(p))
			}
		}()
		fn()
	}()
	return true
}

// Start runs the loop that retries failed deliveries and resumes those a
// previous run left, until Close.
func (s *Service) Start(ctx context.Context) {
	s.start.Do(func() {
		s.goTracked(func() { s.loop(s.runCtx) })
	})
}

// Close stops the deliveries and waits for those in flight; what is left
// pending is resumed by the next run.
func (s *Service) Close() {
	s.runMu.Lock()
	s.closed = true
	s.cancel()
	s.runMu.Unlock()
	s.wg.Wait()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastPrune time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			if err := s.prune(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "sns: prune old messages", "err", err.Error())
			}
		}
		next, err := s.dispatchDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "sns: delivery loop", "err", err.Error())
			next = time.Second
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(min(next, time.Minute))
	}
}

// dispatchDue claims due deliveries and starts them; it returns how long
// to wait for the next one.
func (s *Service) dispatchDue(ctx context.Context) (time.Duration, error) {
	for {
		ds, err := s.claim(ctx, 128)
		if err != nil {
			return time.Second, err
		}
		for _, d := range ds {
			s.runAsync(d)
		}
		if len(ds) < 128 {
			break
		}
	}
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(next_at) FROM sns_deliveries WHERE state = 'pending'`).Scan(&next); err != nil {
		return time.Second, fmt.Errorf("sns: next delivery: %w", err)
	}
	if !next.Valid {
		return time.Minute, nil
	}
	return max(time.Duration(next.Int64-s.nowMS())*time.Millisecond, time.Millisecond), nil
}

func (s *Service) claim(ctx context.Context, limit int) ([]*delivery, error) {
	var ds []*delivery
	err := s.write(ctx, "claim deliveries", func(tx *sql.Tx) error {
		ds = ds[:0]
		now := s.nowMS()
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, message_id, topic_arn, sub_arn, protocol, endpoint, attempts, first_at
			FROM sns_deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`, now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d := &delivery{}
			if err := rows.Scan(&d.id, &d.kind, &d.messageID, &d.topicARN, &d.subARN, &d.protocol, &d.endpoint, &d.attempts, &d.firstAt); err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		until := s.leaseFrom(now)
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET leased = 1, next_at = ? WHERE id = ?`, until, d.id); err != nil {
				return err
			}
		}
		return nil
	})
	return ds, err
}

// deliveryError is a failed attempt: permanent for a client error (SNS
// does not retry those), function for an error of the function itself
// (retried as Lambda retries asynchronous invocations), else retried under
// the subscription's retry policy.
type deliveryError struct {
	err       error
	permanent bool
	function  bool
}

func (e *deliveryError) Error() string { return e.err.Error() }

func permanent(format string, args ...any) error {
	return &deliveryError{err: fmt.Errorf(format, args...), permanent: true}
}

// deliver makes one attempt and records its outcome.
func (s *Service) deliver(ctx context.Context, d *delivery) {
	sub, ok := s.subscription(d.subARN)
	if !ok {
		s.finish(ctx, d, stateDropped, "the subscription was deleted")
		return
	}
	if d.kind == kindConfirmation && !sub.pending {
		s.finish(ctx, d, stateDropped, "the subscription is already confirmed")
		return
	}
	msg := d.msg
	if msg == nil && d.kind == kindNotification {
		var err error
		if msg, err = s.message(ctx, d.messageID); errors.Is(err, sql.ErrNoRows) {
			s.finish(ctx, d, stateDropped, "the message is gone")
			return
		} else if err != nil {
			s.retryLater(ctx, d, err)
			return
		}
	}
	actx, cancel := context.WithTimeout(ctx, s.opts.DeliveryTimeout)
	err := s.send(actx, d, sub, msg)
	cancel()
	if ctx.Err() != nil {
		return // closing: the lease makes it due again in the next run
	}
	if err == nil {
		s.finish(ctx, d, stateDelivered, "")
		return
	}
	d.attempts++
	var de *deliveryError
	if !errors.As(err, &de) {
		de = &deliveryError{err: err}
	}
	now := s.opts.Now()
	switch {
	case de.permanent:
		s.giveUp(ctx, d, sub, msg, err)
	case de.function:
		// Lambda retries a failed asynchronous invocation twice, a minute
		// and then two minutes later; the SNS dead-letter queue is not
		// involved (SNS delivered it).
		if d.attempts >= 3 {
			s.finish(ctx, d, stateFailed, "the function failed 3 times: "+err.Error())
			return
		}
		s.reschedule(ctx, d, now.Add(time.Duration(d.attempts)*60*s.opts.RetryUnit), err)
	default:
		policy := managedRetry(s.opts.ManagedMaxDelayRetries)
		if d.protocol == "http" || d.protocol == "https" {
			t, _ := s.topic(d.topicARN)
			policy, _ = httpPolicy(t, sub)
		}
		if d.attempts > policy.NumRetries {
			s.giveUp(ctx, d, sub, msg, fmt.Errorf("%w (after %d attempts)", err, d.attempts))
			return
		}
		s.reschedule(ctx, d, now.Add(policy.delay(d.attempts, s.opts.RetryUnit)), err)
	}
}

// send makes one attempt of d to sub.
func (s *Service) send(ctx context.Context, d *delivery, sub *subscription, msg *storedMessage) error {
	if d.kind == kindConfirmation {
		e, err := s.confirmation(sub, d.messageID, d.firstAt)
		if err != nil {
			return err
		}
		return s.post(ctx, sub, e.Type, e.MessageID, e.JSON(), false)
	}
	text := msg.textFor(sub.protocol)
	e, err := s.notification(msg, sub, text)
	if err != nil {
		return err
	}
	switch sub.protocol {
	case "sqs":
		return s.sendQueue(ctx, sub.endpoint, queueMessage(e, sub.raw()))
	case "lambda":
		payload, err := lambdaEvent(e, sub.arn)
		if err != nil {
			return err
		}
		return s.invoke(ctx, sub.endpoint, payload)
	case "http", "https":
		if sub.raw() {
			return s.post(ctx, sub, e.Type, e.MessageID, []byte(text), true)
		}
		return s.post(ctx, sub, e.Type, e.MessageID, e.JSON(), false)
	}
	return permanent("protocol %s is not delivered by the loanflow local stack", sub.protocol)
}

// queueMessage is what an SQS subscription receives: the envelope, or with
// raw delivery the message itself with its attributes as SQS attributes.
func queueMessage(e *envelope, raw bool) sqs.NewMessage {
	if !raw {
		return sqs.NewMessage{Body: string(e.JSON())}
	}
	m := sqs.NewMessage{Body: e.Message}
	if len(e.Attrs) > 0 {
		m.Attributes = make(map[string]sqs.MessageAttribute, len(e.Attrs))
		for k, a := range e.Attrs {
			m.Attributes[k] = sqs.MessageAttribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
	}
	return m
}

func (s *Service) sendQueue(ctx context.Context, queueARN string, m sqs.NewMessage) error {
	name, _ := queueNameOf(queueARN)
	if s.opts.Queues == nil {
		return permanent("no local SQS is wired to deliver to %s", queueARN)
	}
	_, err := s.opts.Queues.Send(ctx, name, m)
	var qe *sqs.Error
	if errors.As(err, &qe) {
		// The queue is gone or refuses the message: a client error.
		return permanent("sqs %s: %v", queueARN, err)
	}
	return err
}

func (s *Service) invoke(ctx context.Context, fn string, payload []byte) error {
	if s.opts.Functions == nil {
		return permanent("no local Lambda is wired to invoke %s", fn)
	}
	_, err := s.opts.Functions.Invoke(ctx, fn, payload)
	var fe *functions.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, functions.ErrNotFound):
		return permanent("lambda %s: %v", fn, err)
	case errors.As(err, &fe):
		return &deliveryError{err: fmt.Errorf("lambda %s: %w", fn, err), function: true}
	}
	return fmt.Errorf("lambda %s: %w", fn, err)
}

// post delivers to an http(s) subscription: a POST with SNS's headers;
// any 2xx answer is a success.
func (s *Service) post(ctx context.Context, sub *subscription, msgType, messageID string, body []byte, raw bool) error {
	t, _ := s.topic(sub.topicARN)
	_, ctype := httpPolicy(t, sub)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.endpoint, bytes.NewReader(body))
	if err != nil {
		return permanent("endpoint %s: %v", sub.endpoint, err)
	}
	h := req.Header
	h.Set("Content-Type", ctype)
	h.Set("User-Agent", "Amazon Simple Notification Service Agent")
	h.Set("x-amz-sns-message-type", msgType)
	h.Set("x-amz-sns-message-id", messageID)
	h.Set("x-amz-sns-topic-arn", sub.topicARN)
	if msgType == kindNotification {
		h.Set("x-amz-sns-subscription-arn", sub.arn)
	}
	if raw {
		h.Set("x-amz-sns-rawdelivery", "true")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", sub.endpoint, err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: HTTP %d: %s", sub.endpoint, resp.StatusCode, bytes.TrimSpace(excerpt))
	}
	return nil
}

// giveUp ends a delivery whose retries are spent or that met a client
// error: to the subscription's dead-letter queue if it has one.
func (s *Service) giveUp(ctx context.Context, d *delivery, sub *subscription, msg *storedMessage, cause error) {
	dlq := sub.redriveQueue()
	if dlq == "" || msg == nil {
		s.finish(ctx, d, stateFailed, cause.Error())
		s.log.WarnContext(ctx, "sns: delivery failed; the message is discarded (the subscription has no RedrivePolicy)",
			"messageId", d.messageID, "subscriptionArn", d.subARN, "attempts", d.attempts, "err", cause.Error())
		return
	}
	e, err := s.notification(msg, sub, msg.textFor(sub.protocol))
	if err == nil {
		m := queueMessage(e, sub.raw())
		if m.Attributes == nil || len(m.Attributes) > 8 {
			m.Attributes = map[string]sqs.MessageAttribute{}
		}
		m.Attributes["ErrorCode"] = sqs.MessageAttribute{DataType: "String", StringValue: errorCode(cause)}
		m.Attributes["ErrorMessage"] = sqs.MessageAttribute{DataType: "String", StringValue: truncate(cause.Error(), 1000)}
		err = s.sendQueue(ctx, dlq, m)
	}
	if err != nil {
		// Keep the message rather than lose it: try the DLQ again later.
		s.log.ErrorContext(ctx, "sns: send to the subscription's dead-letter queue", "messageId", d.messageID,
			"deadLetterQueue", dlq, "err", err.Error())
		s.reschedule(ctx, d, s.opts.Now().Add(60*s.opts.RetryUnit), fmt.Errorf("dead-letter queue %s: %w", dlq, err))
		return
	}
	s.finish(ctx, d, stateFailed, cause.Error()+" (sent to the dead-letter queue "+dlq+")")
}

func errorCode(err error) string {
	var de *deliveryError
	if errors.As(err, &de) && de.permanent {
		return "ClientError"
	}
	return "ServerError"
}

func (s *Service) finish(ctx context.Context, d *delivery, state, reason string) {
	err := s.write(ctx, "finish delivery", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET state = ?, attempts = ?, leased = 0, done_at = ?, last_error = ?
			WHERE id = ? AND state = 'pending'`, state, d.attempts+boolInt(state == stateDelivered), s.nowMS(), truncate(reason, 1000), d.id)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "sns: record delivery", "messageId", d.messageID, "err", err.Error())
	}
}

func (s *Service) reschedule(ctx context.Context, d *delivery, at time.Time, cause error) {
	err := s.write(ctx, "reschedule delivery", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET attempts = ?, leased = 0, next_at = ?, last_error = ?
			WHERE id = ? AND state = 'pending'`,
			d.attempts, at.UnixMilli(), truncate(cause.Error(), 1000), d.id)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "sns: reschedule delivery", "messageId", d.messageID, "err", err.Error())
	}
	s.log.InfoContext(ctx, "sns: delivery failed; will retry", "messageId", d.messageID, "subscriptionArn", d.subARN,
		"attempt", d.attempts, "retryInMs", time.Until(at).Milliseconds(), "err", truncate(cause.Error(), 300))
	s.poke()
}

// retryLater puts a delivery back for a while after a failure of our own
// (reading the message), without counting an attempt.
func (s *Service) retryLater(ctx context.Context, d *delivery, cause error) {
	s.reschedule(ctx, d, s.opts.Now().Add(time.Second), cause)
}

func (s *Service) message(ctx context.Context, id string) (*storedMessage, error) {
	m := &storedMessage{id: id}
	var subject sql.NullString
	var attrs []byte
	err := s.db.QueryRowContext(ctx, `SELECT topic_arn, subject, message, structure, attributes, published_at FROM sns_messages WHERE id = ?`, id).
		Scan(&m.topicARN, &subject, &m.message, &m.structure, &attrs, &m.publishedAt)
	if err != nil {
		return nil, err
	}
	m.subject = subject.String
	if m.attrs, err = decodeAttrs(attrs); err != nil {
		return nil, fmt.Errorf("sns: message %s: attributes: %w", id, err)
	}
	if m.structure == "json" {
		if m.perProtocol, _ = parseStructured(m.message); m.perProtocol == nil {
			m.perProtocol = map[string]string{"default": m.message} // checked at publish: not reached
		}
	}
	return m, nil
}

// prune keeps the newest KeepRecent messages (and every message with a
// delivery still pending) and removes unconfirmed subscriptions whose
// token has expired.
func (s *Service) prune(ctx context.Context) error {
	now := s.nowMS()
	var expired []string
	s.mu.RLock()
	for arn, sub := range s.subs {
		if sub.pending && sub.tokenExpires < now {
			expired = append(expired, arn)
		}
	}
	s.mu.RUnlock()
	for _, arn := range expired {
		if err := s.Unsubscribe(ctx, arn, true); err != nil {
			return err
		}
	}
	return s.write(ctx, "prune", func(tx *sql.Tx) error {
		var cutoff sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT seq FROM sns_messages ORDER BY seq DESC LIMIT 1 OFFSET ?`, s.opts.KeepRecent).Scan(&cutoff)
		if errors.Is(err, sql.ErrNoRows) {
			cutoff.Valid = false
		} else if err != nil {
			return err
		}
		if cutoff.Valid {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sns_messages WHERE seq <= ? AND NOT EXISTS
				(SELECT 1 FROM sns_deliveries d WHERE d.message_id = sns_messages.id AND d.state = 'pending')`, cutoff.Int64); err != nil {
				return err
			}
		}
		// Deliveries whose message is gone, and finished confirmations older than a day.
		_, err = tx.ExecContext(ctx, `DELETE FROM sns_deliveries WHERE state != 'pending' AND (
			(kind = 'Notification' AND NOT EXISTS (SELECT 1 FROM sns_messages m WHERE m.id = sns_deliveries.message_id))
			OR (kind != 'Notification' AND done_at < ?))`, now-24*time.Hour.Milliseconds())
		return err
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
