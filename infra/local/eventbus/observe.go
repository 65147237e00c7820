package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// RecentEvent is an accepted event and the rules it matched, for the console.
type RecentEvent struct {
	ID         string
	Bus        string
	At         time.Time
	Source     string
	DetailType string
	Matched    []string
	Envelope   string
}

// Recent returns up to n of the latest events, newest first.
func (b *Bus) Recent(ctx context.Context, n int) ([]RecentEvent, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT id, bus, at, source, detail_type, matched, envelope FROM evb_events ORDER BY seq DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("recent events: %w", err)
	}
	defer rows.Close()
	var out []RecentEvent
	for rows.Next() {
		var e RecentEvent
		var at int64
		var matched string
		if err := rows.Scan(&e.ID, &e.Bus, &at, &e.Source, &e.DetailType, &matched, &e.Envelope); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at)
		_ = json.Unmarshal([]byte(matched), &e.Matched)
		out = append(out, e)
	}
	return out, rows.Err()
}

// FailedDelivery is a delivery that exhausted its retry policy.
type FailedDelivery struct {
	EventID   string
	Rule      string
	TargetARN string
	DLQARN    string
	Attempts  int
	Error     string
	At        time.Time
}

// Failed returns up to n of the latest failed deliveries, newest first.
func (b *Bus) Failed(ctx context.Context, n int) ([]FailedDelivery, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT event_id, rule, target_arn, dlq_arn, attempts, error, at FROM evb_failed ORDER BY id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("failed deliveries: %w", err)
	}
	defer rows.Close()
	var out []FailedDelivery
	for rows.Next() {
		var f FailedDelivery
		var at int64
		if err := rows.Scan(&f.EventID, &f.Rule, &f.TargetARN, &f.DLQARN, &f.Attempts, &f.Error, &at); err != nil {
			return nil, err
		}
		f.At = time.UnixMilli(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// Pending counts deliveries not yet done (in flight or waiting to retry).
func (b *Bus) Pending(ctx context.Context) (int, error) {
	var n int
	err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM evb_deliveries`).Scan(&n)
	return n, err
}

// Prune keeps the last KeepRecent events, and drops the archived events
// older than their archive's retention.
func (b *Bus) Prune(ctx context.Context) error {
	if _, err := b.w.Exec(ctx, `DELETE FROM evb_events WHERE seq <= (SELECT max(seq) FROM evb_events) - ?`, b.opts.KeepRecent); err != nil {
		return fmt.Errorf("prune recent events: %w", err)
	}
	return b.pruneArchives(ctx)
}
