package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Send enqueues messages in one transaction: all are stored or none is.
// A message that breaks a limit fails the whole call; the protocol adapter
// validates batch entries one by one to report them separately.
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
	err := b.write(ctx, "send", func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sqs_messages
			(queue_id, id, body, attributes, md5_body, md5_attributes, trace_header, sent_at, visible_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("sqs send to %s: prepare: %w", q.name, err)
		}
		defer stmt.Close()
		for i, m := range msgs {
			delay := q.delay
			if m.Delay != nil {
				delay = *m.Delay
			}
			s := Sent{MessageID: newID(), MD5OfBody: md5Hex(m.Body), MD5OfAttributes: md5OfAttributes(m.Attributes)}
			var attrs, md5Attrs, trace any
			if len(m.Attributes) > 0 {
				raw, err := json.Marshal(m.Attributes)
				if err != nil {
					return fmt.Errorf("sqs send to %s: encode attributes: %w", q.name, err)
				}
				attrs, md5Attrs = string(raw), s.MD5OfAttributes
			}
			if m.TraceHeader != "" {
				trace = m.TraceHeader
			}
			if _, err := stmt.ExecContext(ctx, q.id, s.MessageID, m.Body, attrs, s.MD5OfBody, md5Attrs, trace,
				now, now+delay.Milliseconds(), now+q.retention.Milliseconds()); err != nil {
				return fmt.Errorf("sqs send to %s: %w", q.name, err)
			}
			out[i] = s
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.waiters.notify(q.id)
	return out, nil
}
