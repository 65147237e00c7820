package sqs

import (
	"context"
	"database/sql"
	"fmt"
)

// Peek returns up to limit messages of a queue, oldest first, without
// receiving them (no receipt handles, no change to receive counts). The
// console lists dead-letter queues with it.
func (b *Broker) Peek(ctx context.Context, name string, limit int) ([]Message, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := b.db.QueryContext(ctx, `SELECT `+messageColumns+` FROM sqs_messages
		WHERE queue_id = ? AND expires_at > ? ORDER BY seq LIMIT ?`, q.id, b.nowMS(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqs peek %s: %w", name, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		_, m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqs peek %s: %w", name, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqs peek %s: %w", name, err)
	}
	return out, nil
}

// Redrive moves messages from a dead-letter queue back to dest, visible at
// once with a fresh receive count: all of them, or only those with the given
// message ids. An empty dest means the one queue that dead-letters into dlq.
// It returns how many messages moved. A queue that no queue's RedrivePolicy
// targets is no dead-letter queue: redriving it fails with
// ErrNotDeadLetterQueue (errors.Is), as StartMessageMoveTask does on AWS.
func (b *Broker) Redrive(ctx context.Context, dlq, dest string, ids ...string) (int64, error) {
	from, err := b.mustQueue(dlq)
	if err != nil {
		return 0, err
	}
	sources := b.DeadLetterSourceQueues(dlq)
	if len(sources) == 0 {
		return 0, ErrNotDeadLetterQueue
	}
	if dest == "" {
		if len(sources) != 1 {
			return 0, fail(ErrInvalidParameterValue, "Queue %s is the dead-letter queue of %d queues; name the destination.", dlq, len(sources))
		}
		dest = sources[0]
	}
	if dest == dlq {
		return 0, fail(ErrInvalidParameterValue, "Source queue arn and destination queue arn cannot be the same.")
	}
	to, err := b.mustQueue(dest)
	if err != nil {
		return 0, err
	}
	now := b.nowMS()
	var moved int64
	err = b.write(ctx, "redrive", func(tx *sql.Tx) error {
		query := `UPDATE sqs_messages SET queue_id = ?, visible_at = ?, receive_count = 0, first_receive_at = NULL,
			receipt = NULL, source_arn = NULL, expires_at = ? WHERE queue_id = ?`
		args := []any{to.id, now, now + to.retention.Milliseconds(), from.id}
		if len(ids) > 0 {
			query += ` AND id IN (` + placeholders(len(ids)) + `)`
			for _, id := range ids {
				args = append(args, id)
			}
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("sqs redrive %s to %s: %w", dlq, dest, err)
		}
		moved, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, err
	}
	b.waiters.Notify(to.id)
	b.log.InfoContext(ctx, "messages redriven", "dlq", dlq, "queue", dest, "count", moved)
	return moved, nil
}
