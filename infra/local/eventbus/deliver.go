package eventbus

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

type delivery struct {
	id                 int64
	eventID, bus, rule string
	target, envelope   string
	attempts           int
	firstAt            time.Time
}

// Start runs the delivery loop, and the scheduler that fires scheduled
// rules and runs replays, until ctx ends; Close waits for in-flight
// deliveries.
func (b *Bus) Start(ctx context.Context) {
	ctx, b.stop = context.WithCancel(ctx)
	b.runMu.Lock()
	b.running, b.runCtx = true, ctx
	b.runMu.Unlock()
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		b.loop(ctx)
	}()
	go func() {
		defer b.wg.Done()
		b.schedulerLoop(ctx)
	}()
}

// Close stops the delivery loop and waits for in-flight deliveries.
func (b *Bus) Close() {
	b.runMu.Lock()
	b.running = false
	b.runMu.Unlock()
	if b.stop != nil {
		b.stop()
	}
	b.wg.Wait()
}

func (b *Bus) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// lease is how long a claimed delivery stays claimed, so delivery is at
// least once: an attempt that neither finishes nor fails in this time is
// made again. A crash or a stop mid-delivery makes it due at the next
// start (migrate).
func (b *Bus) lease() time.Duration { return b.opts.DeliveryTimeout + 5*time.Second }

func (b *Bus) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	lastPrune := time.Now()
	for {
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			if err := b.Prune(ctx); err != nil && ctx.Err() == nil {
				b.log.WarnContext(ctx, "prune recent events", "err", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-timer.C:
		}
		next, err := b.dispatchDue(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.ErrorContext(ctx, "event delivery loop", "err", err.Error())
			next = time.Second
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// dispatchDue claims due deliveries and starts them; it returns how long to
// sleep before the next one is due.
func (b *Bus) dispatchDue(ctx context.Context) (time.Duration, error) {
	for {
		now := b.opts.Now()
		ds, err := b.claim(ctx, now, 128)
		if err != nil {
			return time.Second, err
		}
		for _, d := range ds {
			select {
			case b.sem <- struct{}{}:
			case <-ctx.Done():
				return 0, nil
			}
			b.wg.Add(1)
			go func(d delivery) {
				defer b.wg.Done()
				defer func() { <-b.sem }()
				b.deliver(ctx, d)
			}(d)
		}
		if len(ds) < 128 {
			break
		}
	}
	var next sql.NullInt64
	if err := b.db.QueryRowContext(ctx, `SELECT min(next_at) FROM evb_deliveries`).Scan(&next); err != nil {
		return time.Second, fmt.Errorf("next delivery: %w", err)
	}
	if !next.Valid {
		return time.Hour, nil
	}
	wait := time.Until(time.UnixMilli(next.Int64))
	if wait < time.Millisecond {
		wait = time.Millisecond
	}
	return wait, nil
}

func (b *Bus) claim(ctx context.Context, now time.Time, limit int) ([]delivery, error) {
	var ds []delivery
	err := b.w.Write(ctx, "claim deliveries", func(tx *sql.Tx) error {
		ds = ds[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id, event_id, bus, rule, target, envelope, attempts, first_at FROM evb_deliveries
WHERE next_at <= ? ORDER BY next_at LIMIT ?`, now.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		for rows.Next() {
			var d delivery
			var first int64
			if err := rows.Scan(&d.id, &d.eventID, &d.bus, &d.rule, &d.target, &d.envelope, &d.attempts, &first); err != nil {
				rows.Close()
				return fmt.Errorf("claim deliveries: %w", err)
			}
			d.firstAt = time.UnixMilli(first)
			ds = append(ds, d)
		}
		rows.Close()
		until := now.Add(b.lease()).UnixMilli()
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `UPDATE evb_deliveries SET next_at = ?, leased = 1 WHERE id = ?`, until, d.id); err != nil {
				return fmt.Errorf("lease delivery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

func (b *Bus) deliver(ctx context.Context, d delivery) {
	t, ok := b.cachedTarget(d.bus, d.rule, d.target)
	if !ok {
		// The target was removed after the event matched: nothing to deliver to.
		b.finish(ctx, d.id)
		return
	}
	input, err := targetInput(t, []byte(d.envelope), matchContext{ruleARN: b.RuleARN(d.bus, d.rule), ruleName: d.rule, ingested: d.firstAt})
	if err != nil {
		// The same event and target would fail again: no retry.
		d.attempts++
		b.deadLetter(ctx, d, t, err)
		return
	}
	dctx, cancel := context.WithTimeout(withDelivery(ctx, Delivery{RuleARN: b.RuleARN(d.bus, d.rule), RoleARN: t.RoleARN}), b.opts.DeliveryTimeout)
	err = b.deliv.Deliver(dctx, t.ARN, input)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the next start makes it due again
	}
	if err == nil {
		b.finish(ctx, d.id)
		return
	}
	d.attempts++
	now := b.opts.Now()
	maxAge := time.Duration(t.RetryPolicy.MaximumEventAgeInSeconds) * time.Second
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	retries := t.RetryPolicy.MaximumRetryAttempts
	if d.attempts > retries || now.Sub(d.firstAt) >= maxAge {
		b.deadLetter(ctx, d, t, err)
		return
	}
	backoff := b.opts.RetryBase << (d.attempts - 1)
	if backoff > b.opts.RetryMax || backoff <= 0 {
		backoff = b.opts.RetryMax
	}
	backoff = backoff/2 + rand.N(backoff/2+1)
	if _, uerr := b.w.Exec(ctx, `UPDATE evb_deliveries SET attempts = ?, next_at = ?, last_error = ?, leased = 0 WHERE id = ?`,
		d.attempts, now.Add(backoff).UnixMilli(), truncate(err.Error(), 1000), d.id); uerr != nil {
		b.log.ErrorContext(ctx, "reschedule delivery", "eventId", d.eventID, "err", uerr.Error())
	}
	b.log.WarnContext(ctx, "event delivery failed; will retry", "eventId", d.eventID, "rule", d.rule, "target", t.ARN,
		"attempt", d.attempts, "retryInMs", backoff.Milliseconds(), "err", truncate(err.Error(), 300))
	b.poke()
}

func (b *Bus) finish(ctx context.Context, id int64) {
	if _, err := b.w.Exec(ctx, `DELETE FROM evb_deliveries WHERE id = ?`, id); err != nil {
		b.log.ErrorContext(ctx, "finish delivery", "id", id, "err", err.Error())
	}
}

// deadLetter sends the event to the target's DLQ (with EventBridge's
// attributes) and records the failure; the pending delivery is removed only
// when both are done.
func (b *Bus) deadLetter(ctx context.Context, d delivery, t Target, cause error) {
	attrs := map[string]string{
		"RULE_ARN":       b.RuleARN(d.bus, d.rule),
		"TARGET_ARN":     t.ARN,
		"ERROR_CODE":     "SDK_CLIENT_ERROR",
		"ERROR_MESSAGE":  truncate(cause.Error(), 1000),
		"RETRY_ATTEMPTS": strconv.Itoa(d.attempts - 1),
	}
	if t.DeadLetterARN != "" && b.dlq != nil {
		if dlqErr := b.dlq.SendToDLQ(ctx, t.DeadLetterARN, []byte(d.envelope), attrs); dlqErr != nil {
			b.log.ErrorContext(ctx, "send to dead-letter queue", "eventId", d.eventID, "dlq", t.DeadLetterARN, "err", dlqErr.Error())
			// Keep the delivery; try the DLQ again later rather than lose the event.
			_, _ = b.w.Exec(ctx, `UPDATE evb_deliveries SET next_at = ?, leased = 0 WHERE id = ?`, b.opts.Now().Add(b.opts.RetryMax).UnixMilli(), d.id)
			return
		}
	}
	if _, err := b.w.Exec(ctx, `INSERT INTO evb_failed (event_id, bus, rule, target_arn, dlq_arn, attempts, error, at, envelope)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.eventID, d.bus, d.rule, t.ARN, t.DeadLetterARN, d.attempts, truncate(cause.Error(), 1000),
		b.opts.Now().UnixMilli(), d.envelope); err != nil {
		b.log.ErrorContext(ctx, "record failed delivery", "eventId", d.eventID, "err", err.Error())
		return
	}
	b.finish(ctx, d.id)
	b.log.ErrorContext(ctx, "event delivery exhausted its retry policy", "eventId", d.eventID, "rule", d.rule, "target", t.ARN,
		"attempts", d.attempts, "deadLetterQueue", t.DeadLetterARN, "err", truncate(cause.Error(), 300))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
