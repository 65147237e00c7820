package sqs

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// QueueStats is what the console shows for a queue.
type QueueStats struct {
	Name string
	URL  string
	ARN  string
	// Visible, InFlight and Delayed are ApproximateNumberOfMessages,
	// ...NotVisible and ...Delayed.
	Visible  int64
	InFlight int64
	Delayed  int64
	// OldestAge is the age of the oldest message (CloudWatch's
	// ApproximateAgeOfOldestMessage); zero when the queue is empty.
	OldestAge time.Duration
	// DeadLetterQueue and MaxReceiveCount come from the RedrivePolicy.
	DeadLetterQueue string
	MaxReceiveCount int
	// SourceQueues are the queues that dead-letter into this one.
	SourceQueues []string
	// FIFO marks a FIFO queue; Groups are its message groups, oldest
	// first, at most 100 of them, and GroupCount how many it has.
	FIFO       bool
	Groups     []GroupStats
	GroupCount int
}

// Stats returns the statistics of every queue, sorted by name.
func (b *Broker) Stats(ctx context.Context) ([]QueueStats, error) {
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return nil, err
	}
	var out []QueueStats
	for _, name := range b.ListQueues("") {
		q, ok := b.lookup(name)
		if !ok {
			continue // deleted meanwhile
		}
		s, err := b.stats(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// QueueStats returns one queue's statistics.
func (b *Broker) QueueStats(ctx context.Context, name string) (QueueStats, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return QueueStats{}, err
	}
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return QueueStats{}, err
	}
	return b.stats(ctx, q)
}

func (b *Broker) stats(ctx context.Context, q *queue) (QueueStats, error) {
	s := QueueStats{Name: q.name, URL: b.QueueURL(q.name), ARN: b.QueueARN(q.name), SourceQueues: b.DeadLetterSourceQueues(q.name), FIFO: q.fifo}
	if q.redrive != nil {
		s.DeadLetterQueue, s.MaxReceiveCount = q.redrive.dlq, q.redrive.MaxReceiveCount
	}
	now := b.nowMS()
	var oldest sql.NullInt64
	err := b.db.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(visible_at <= ?1), 0),
			COALESCE(SUM(visible_at > ?1 AND receive_count > 0), 0),
			COALESCE(SUM(visible_at > ?1 AND receive_count = 0), 0),
			MIN(sent_at)
		FROM sqs_messages WHERE queue_id = ?2 AND expires_at > ?1`, now, q.id).Scan(&s.Visible, &s.InFlight, &s.Delayed, &oldest)
	if err != nil {
		return QueueStats{}, fmt.Errorf("sqs stats %s: %w", q.name, err)
	}
	if oldest.Valid && oldest.Int64 < now {
		s.OldestAge = time.Duration(now-oldest.Int64) * time.Millisecond
	}
	if q.fifo {
		if s.Groups, s.GroupCount, err = b.groupStats(ctx, q, now); err != nil {
			return QueueStats{}, err
		}
	}
	return s, nil
}

// Sweep deletes the messages of every queue whose retention period is over
// and returns how many it deleted. Receive also drops expired messages it
// meets; Sweep keeps counts honest for idle queues. It also forgets FIFO
// deduplication ids and receive attempts older than 5 minutes, and moves
// what rate-limited message move tasks are due to move.
func (b *Broker) Sweep(ctx context.Context) (int64, error) {
	if _, err := b.advanceMoveTasks(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := b.write(ctx, "sweep", func(tx *sql.Tx) error {
		now := b.nowMS()
		res, err := tx.ExecContext(ctx, `DELETE FROM sqs_messages WHERE expires_at <= ?`, now)
		if err != nil {
			return fmt.Errorf("sqs sweep: %w", err)
		}
		n, _ = res.RowsAffected()
		for _, stmt := range []string{`DELETE FROM sqs_dedup WHERE expires_at <= ?`, `DELETE FROM sqs_receive_attempts WHERE expires_at <= ?`} {
			if _, err := tx.ExecContext(ctx, stmt, now); err != nil {
				return fmt.Errorf("sqs sweep: %w", err)
			}
		}
		return nil
	})
	return n, err
}

// RunSweeper calls Sweep every interval until ctx is done.
func (b *Broker) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := b.Sweep(ctx); err != nil {
				b.log.WarnContext(ctx, "sweep expired messages", "err", err)
			} else if n > 0 {
				b.log.InfoContext(ctx, "expired messages deleted", "count", n)
			}
		}
	}
}
