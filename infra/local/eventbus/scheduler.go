package eventbus

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"loanflow/infra/local/internal/ids"
)

// Scheduled events are what a scheduled rule sends its targets
// (LocalStack's test_events_schedule.snapshot.json, recorded against AWS):
// source aws.events, detail-type "Scheduled Event", the rule's ARN as the
// only resource, an empty detail, and the time it was due.
const (
	scheduledSource     = "aws.events"
	scheduledDetailType = "Scheduled Event"
)

// idleWait is how long the scheduler sleeps when nothing is scheduled; a
// change (PutRule, StartReplay, CancelReplay) wakes it sooner.
const idleWait = time.Hour

func (b *Bus) pokeScheduler() {
	select {
	case b.schedWake <- struct{}{}:
	default:
	}
}

// schedulerLoop fires the scheduled rules when they are due on the bus's
// clock and runs the replays that wait, until ctx ends.
func (b *Bus) schedulerLoop(ctx context.Context) {
	for {
		if err := b.runReplays(ctx); err != nil && ctx.Err() == nil {
			b.log.ErrorContext(ctx, "replays", "err", err.Error())
		}
		next, err := b.FireDueSchedules(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.ErrorContext(ctx, "scheduled rules", "err", err.Error())
		}
		wait := idleWait
		if !next.IsZero() {
			wait = max(next.Sub(b.clock.Now()), time.Millisecond)
		}
		if err != nil {
			wait = min(wait, time.Second)
		}
		fired, release := b.clock.After(wait)
		select {
		case <-ctx.Done():
			release()
			return
		case <-b.schedWake:
		case <-fired:
		}
		release()
	}
}

// FireDueSchedules sends a scheduled event to the targets of every enabled
// rule whose schedule is due on the bus's clock, and moves each due rule to
// its next time. A rule that missed several times (the stack was down)
// fires once. It returns when the next rule is due (zero when none is).
func (b *Bus) FireDueSchedules(ctx context.Context) (time.Time, error) {
	now := b.clock.Now().UTC()
	var due []Rule
	var next time.Time
	b.mu.RLock()
	for _, rs := range b.rules {
		for _, r := range rs {
			switch {
			case r.sched == nil || r.NextFire.IsZero():
			case !r.NextFire.After(now):
				due = append(due, *r)
			case next.IsZero() || r.NextFire.Before(next):
				next = r.NextFire
			}
		}
	}
	b.mu.RUnlock()
	for _, r := range due {
		at, err := b.fire(ctx, r, now)
		if err != nil {
			return time.Time{}, err
		}
		if !at.IsZero() && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, nil
}

// fire sends rule r's scheduled event (when r is enabled) and records its
// next time, in one transaction; it returns that next time.
func (b *Bus) fire(ctx context.Context, r Rule, now time.Time) (time.Time, error) {
	next, ok := r.sched.next(r.NextFire, now)
	if !ok {
		next = time.Time{}
	}
	var todo []routed
	if r.State != StateDisabled {
		id := ids.UUID()
		raw, err := json.Marshal(Event{Version: "0", ID: id, DetailType: scheduledDetailType, Source: scheduledSource,
			Account: b.opts.AccountID, Time: r.NextFire.UTC().Format("2006-01-02T15:04:05Z"), Region: b.opts.Region,
			Resources: []string{r.ARN}, Detail: json.RawMessage(`{}`)})
		if err != nil {
			return time.Time{}, fmt.Errorf("scheduled event of %s: %w", r.Name, err)
		}
		a := routed{id: id, bus: r.Bus, source: scheduledSource, detailType: scheduledDetailType, raw: raw, matched: []string{r.Name}}
		for _, t := range b.cachedTargets(r.Bus, r.Name) {
			a.deliveries = append(a.deliveries, routedDelivery{rule: r.Name, target: t.ID})
		}
		todo = append(todo, a)
	}
	queued := 0
	err := b.w.Write(ctx, "fire schedule", func(tx *sql.Tx) error {
		queued = 0
		// Only if the rule is still the one read: a PutRule in between set
		// its own next time.
		res, err := tx.ExecContext(ctx, `UPDATE evb_rules SET next_fire = ? WHERE bus = ? AND name = ? AND next_fire = ? AND schedule = ?`,
			unixMilli(next), r.Bus, r.Name, unixMilli(r.NextFire), r.ScheduleExpression)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			todo = nil
			return nil
		}
		return b.recordTx(ctx, tx, now, todo, &queued, nil)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("fire schedule of %s: %w", r.Name, err)
	}
	b.mu.Lock()
	for _, cur := range b.rules[r.Bus] {
		if cur.Name == r.Name && cur.NextFire.Equal(r.NextFire) && cur.ScheduleExpression == r.ScheduleExpression {
			cur.NextFire = next
		}
	}
	b.mu.Unlock()
	if queued > 0 {
		b.poke()
	}
	return next, nil
}
