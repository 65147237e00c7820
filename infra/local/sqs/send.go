package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"loanflow/infra/local/internal/ids"
)

// Send enqueues messages in one transaction: all are stored or none is.
// A message that breaks a limit fails the whole call; the protocol adapter
// validates batch entries one by one to report them separately. On a FIFO
// queue a message whose deduplication id (or, with ContentBasedDeduplication,
// body) repeats one of the last 5 minutes is accepted and dropped: its Sent
// carries the first message's id.
func (b *Broker) Send(ctx context.Context, name string, msgs ...NewMessage) ([]Sent, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if err := validate(q, m); err != nil {
			return nil, err
		}
	}
	return b.send(ctx, q, msgs)
}

// send stores validated messages.
func (b *Broker) send(ctx context.Context, q *queue, msgs []NewMessage) ([]Sent, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	now := b.nowMS()
	out := make([]Sent, len(msgs))
	stored := false
	// Ids, digests and encoded attributes are made before the write: the
	// write runs on the Writer's goroutine, which every component waits on.
	pre := make([]Sent, len(msgs))
	encAttrs := make([]any, len(msgs))
	for i, m := range msgs {
		pre[i] = Sent{MessageID: ids.UUID(), MD5OfBody: md5Hex(m.Body), MD5OfAttributes: md5OfAttributes(m.Attributes),
			MD5OfSystemAttributes: md5OfSystemAttributes(m.TraceHeader)}
		if len(m.Attributes) > 0 {
			raw, err := json.Marshal(m.Attributes)
			if err != nil {
				return nil, fmt.Errorf("sqs send to %s: encode attributes: %w", q.name, err)
			}
			encAttrs[i] = string(raw)
		}
	}
	err := b.write(ctx, "send", func(tx *sql.Tx) error {
		for i, m := range msgs {
			s := pre[i]
			delay := q.delay
			var scope, dedupID string
			if q.fifo {
				scope, dedupID = dedupKey(q, m)
				id, seq, dup, err := duplicateOf(ctx, tx, q.id, scope, dedupID, now)
				if err != nil {
					return fmt.Errorf("sqs send to %s: %w", q.name, err)
				}
				if dup {
					s.MessageID, s.SequenceNumber, s.Duplicate = id, sequenceNumber(seq), true
					out[i] = s
					continue
				}
			} else if m.Delay != nil {
				delay = *m.Delay
			}
			var attrs, md5Attrs any
			if encAttrs[i] != nil {
				attrs, md5Attrs = encAttrs[i], s.MD5OfAttributes
			}
			// The text, not a statement prepared on tx: the connection's
			// statement cache (sqlitedb) keeps it prepared across writes.
			var seq int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO sqs_messages
				(queue_id, id, body, attributes, md5_body, md5_attributes, trace_header, sent_at, visible_at, expires_at, group_id, dedup_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`, q.id, s.MessageID, m.Body, attrs, s.MD5OfBody, md5Attrs, nullIfEmpty(m.TraceHeader),
				now, now+delay.Milliseconds(), now+q.retention.Milliseconds(), nullIfEmpty(m.GroupID), nullIfEmpty(dedupID)).Scan(&seq); err != nil {
				return fmt.Errorf("sqs send to %s: %w", q.name, err)
			}
			if q.fifo {
				s.SequenceNumber = sequenceNumber(seq)
				if err := remember(ctx, tx, q.id, scope, dedupID, s.MessageID, seq, now); err != nil {
					return fmt.Errorf("sqs send to %s: %w", q.name, err)
				}
			}
			stored = true
			out[i] = s
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if stored {
		b.waiters.Notify(q.id)
	}
	return out, nil
}

// nullIfEmpty stores an empty string as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
