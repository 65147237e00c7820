package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReceiveOptions tune one Receive call. Nil durations take the queue's
// VisibilityTimeout and ReceiveMessageWaitTimeSeconds.
type ReceiveOptions struct {
	// MaxMessages is 1 to 10; 0 means 1.
	MaxMessages       int
	VisibilityTimeout *time.Duration
	WaitTime          *time.Duration
	// ReceiveRequestAttemptID (FIFO queues only): a retry with the same id
	// within 5 minutes returns the same messages and receipt handles, as
	// long as none of them was deleted or had its visibility changed.
	ReceiveRequestAttemptID string
}

// Receive returns up to MaxMessages visible messages, hiding them for the
// visibility timeout. With a wait time it long-polls: it returns as soon as a
// message is available (a send wakes it at once) or when the wait is over,
// possibly with no messages. A message that has already been received
// maxReceiveCount times moves to the queue's dead-letter queue instead.
//
// From a FIFO queue, messages come in the order they were sent within each
// message group, as many of one group as possible; while a group has a
// message in flight, no later message of it is delivered, and other groups
// go on (see fifoCandidates).
func (b *Broker) Receive(ctx context.Context, name string, opt ReceiveOptions) ([]Message, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	limit := opt.MaxMessages
	if limit == 0 {
		limit = 1
	}
	if limit < 1 || limit > 10 {
		return nil, invalidParam("MaxNumberOfMessages", limit, "Must be between 1 and 10, if provided.")
	}
	vis := q.visibility
	if opt.VisibilityTimeout != nil {
		vis = *opt.VisibilityTimeout
		if vis < 0 || vis > 12*time.Hour {
			return nil, invalidParam("VisibilityTimeout", int64(vis/time.Second), "Must be >= 0 and <= 43200, if provided.")
		}
	}
	wait := q.wait
	if opt.WaitTime != nil {
		wait = *opt.WaitTime
		if wait < 0 || wait > 20*time.Second {
			return nil, invalidParam("WaitTimeSeconds", int64(wait/time.Second), "Must be >= 0 and <= 20, if provided.")
		}
	}
	attempt := ""
	if q.fifo && opt.ReceiveRequestAttemptID != "" {
		if err := checkFIFOID("ReceiveRequestAttemptId", opt.ReceiveRequestAttemptID); err != nil {
			return nil, err
		}
		attempt = opt.ReceiveRequestAttemptID
	}
	deadline := b.clock.Now().Add(wait)
	for {
		wake := b.waiters.Wait(q.id)
		taskDue, err := b.advanceMoveTasks(ctx)
		if err != nil {
			return nil, err
		}
		msgs, next, err := b.receiveOnce(ctx, q, limit, vis, attempt)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		if taskDue > 0 && (next == 0 || taskDue < next) {
			next = taskDue // a move task may bring messages then
		}
		now := b.clock.Now()
		if !now.Before(deadline) {
			return nil, nil
		}
		d := deadline.Sub(now)
		if next > 0 {
			if untilNext := msToTime(next).Sub(now); untilNext < d {
				d = max0(untilNext)
			}
		}
		timer, stop := b.clock.After(d)
		select {
		case <-wake:
		case <-timer:
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("sqs receive from %s: %w", name, ctx.Err())
		}
		stop()
		if cur, ok := b.lookup(name); !ok || cur.id != q.id {
			return nil, noQueue(name)
		}
	}
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// candidate is a visible message considered by one receive.
type candidate struct {
	seq, receiveCount, expiresAt int64
}

// receiveOnce takes up to limit visible messages (on a FIFO queue with a
// ReceiveRequestAttemptId, possibly those of the attempt's first receive).
// When it finds none it returns the time (Unix ms) at which the next message
// becomes visible, 0 if none will.
func (b *Broker) receiveOnce(ctx context.Context, q *queue, limit int, vis time.Duration, attempt string) ([]Message, int64, error) {
	var (
		out  []Message
		next int64
	)
	var dlq *queue
	if q.redrive != nil {
		if d, ok := b.lookup(q.redrive.dlq); ok {
			dlq = d
		} else {
			b.log.WarnContext(ctx, "dead-letter queue missing; delivering instead", "queue", q.name, "dlq", q.redrive.dlq)
		}
	}
	moved := false
	err := b.write(ctx, "receive", func(tx *sql.Tx) error {
		out = nil
		now := b.nowMS()
		visibleAt := now + vis.Milliseconds()
		if attempt != "" {
			msgs, ok, err := replayAttempt(ctx, tx, q, attempt, now, visibleAt)
			if err != nil {
				return fmt.Errorf("sqs receive from %s: %w", q.name, err)
			}
			if ok {
				out = msgs
				return nil
			}
		}
		if q.fifo {
			// An expired message would otherwise still hold its group back.
			if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_messages WHERE queue_id = ? AND expires_at <= ?`, q.id, now); err != nil {
				return fmt.Errorf("sqs receive from %s: expire: %w", q.name, err)
			}
		}
		token := newToken() // one per receive: a later receive makes these handles stale
		delivered := map[int64]bool{}
		for range 10 { // each round delivers, dead-letters or expires at least one message
			want := limit - len(out)
			var (
				cands []candidate
				err   error
			)
			if q.fifo {
				cands, err = fifoCandidates(ctx, tx, q.id, now, want, delivered)
			} else {
				cands, err = visibleCandidates(ctx, tx, q.id, now, want, delivered)
			}
			if err != nil {
				return fmt.Errorf("sqs receive from %s: %w", q.name, err)
			}
			if len(cands) == 0 {
				break
			}
			var deliver, expired, dead []int64
			for _, c := range cands {
				switch {
				case c.expiresAt <= now:
					expired = append(expired, c.seq)
				case dlq != nil && c.receiveCount >= int64(q.redrive.MaxReceiveCount):
					dead = append(dead, c.seq)
				default:
					deliver = append(deliver, c.seq)
				}
			}
			if len(expired) > 0 {
				if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_messages WHERE seq IN (`+placeholders(len(expired))+`)`, int64Args(expired)...); err != nil {
					return fmt.Errorf("sqs receive from %s: expire: %w", q.name, err)
				}
			}
			if len(dead) > 0 {
				args := append([]any{dlq.id, now, b.QueueARN(q.name), dlq.retention.Milliseconds()}, int64Args(dead)...)
				if _, err := tx.ExecContext(ctx, `UPDATE sqs_messages SET queue_id = ?, visible_at = ?, receipt = NULL,
					source_arn = ?, expires_at = sent_at + ? WHERE seq IN (`+placeholders(len(dead))+`)`, args...); err != nil {
					return fmt.Errorf("sqs receive from %s: dead-letter: %w", q.name, err)
				}
				moved = true
				b.log.InfoContext(ctx, "messages moved to dead-letter queue", "queue", q.name, "dlq", dlq.name, "count", len(dead))
			}
			if len(deliver) > 0 {
				msgs, err := deliverMessages(ctx, tx, deliver, now, visibleAt, token)
				if err != nil {
					return fmt.Errorf("sqs receive from %s: %w", q.name, err)
				}
				out = append(out, msgs...)
				for _, seq := range deliver {
					delivered[seq] = true
				}
			}
			// Fewer candidates than asked for: there are no more. (Asking
			// again would offer the messages just delivered with a
			// visibility timeout of 0 a second time.)
			if len(out) >= limit || len(cands) < want {
				break
			}
		}
		if attempt != "" {
			if err := recordAttempt(ctx, tx, q, attempt, out, now, visibleAt); err != nil {
				return fmt.Errorf("sqs receive from %s: %w", q.name, err)
			}
		}
		if len(out) == 0 {
			var n sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?`, q.id, now).Scan(&n); err != nil {
				return fmt.Errorf("sqs receive from %s: next visible: %w", q.name, err)
			}
			next = n.Int64
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if moved {
		b.waiters.Notify(dlq.id)
	}
	return out, next, nil
}

// visibleCandidates returns up to limit visible messages of a standard
// queue, those that became visible first first, leaving out those in skip.
func visibleCandidates(ctx context.Context, tx *sql.Tx, queueID, now int64, limit int, skip map[int64]bool) ([]candidate, error) {
	query := `SELECT seq, receive_count, expires_at FROM sqs_messages WHERE queue_id = ? AND visible_at <= ?`
	args := []any{queueID, now}
	if len(skip) > 0 {
		query += ` AND seq NOT IN (` + placeholders(len(skip)) + `)`
		for seq := range skip {
			args = append(args, seq)
		}
	}
	rows, err := tx.QueryContext(ctx, query+` ORDER BY visible_at, seq LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("select visible: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.seq, &c.receiveCount, &c.expiresAt); err != nil {
			return nil, fmt.Errorf("select visible: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// deliverMessages marks messages received with the receive's token and
// returns them in seqs order.
func deliverMessages(ctx context.Context, tx *sql.Tx, seqs []int64, now, visibleAt int64, token string) ([]Message, error) {
	args := append([]any{visibleAt, now, token}, int64Args(seqs)...)
	rows, err := tx.QueryContext(ctx, `UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1,
		first_receive_at = COALESCE(first_receive_at, ?), receipt = ?
		WHERE seq IN (`+placeholders(len(seqs))+`)
		RETURNING `+messageColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	defer rows.Close()
	bySeq := map[int64]Message{}
	for rows.Next() {
		seq, m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("deliver: %w", err)
		}
		m.ReceiptHandle = receiptHandle(seq, token)
		bySeq[seq] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("deliver: %w", err)
	}
	out := make([]Message, 0, len(seqs))
	for _, s := range seqs {
		if m, ok := bySeq[s]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// messageColumns are the columns scanMessage reads, in order.
const messageColumns = `seq, id, body, attributes, md5_body, md5_attributes, trace_header, source_arn, sent_at, receive_count, first_receive_at, group_id, dedup_id`

func scanMessage(rows *sql.Rows) (int64, Message, error) {
	var (
		seq, sent, count               int64
		m                              Message
		attrs, md5Attrs, trace, source sql.NullString
		group, dedup                   sql.NullString
		first                          sql.NullInt64
	)
	if err := rows.Scan(&seq, &m.ID, &m.Body, &attrs, &m.MD5OfBody, &md5Attrs, &trace, &source, &sent, &count, &first, &group, &dedup); err != nil {
		return 0, Message{}, err
	}
	m.GroupID, m.DeduplicationID = group.String, dedup.String
	if dedup.Valid {
		m.SequenceNumber = sequenceNumber(seq) // only FIFO messages have a deduplication id
	}
	if attrs.Valid {
		if err := json.Unmarshal([]byte(attrs.String), &m.Attributes); err != nil {
			return 0, Message{}, fmt.Errorf("message %s attributes: %w", m.ID, err)
		}
	}
	m.MD5OfAttributes, m.TraceHeader, m.DeadLetterSourceARN = md5Attrs.String, trace.String, source.String
	m.SentAt, m.ReceiveCount = msToTime(sent), int(count)
	if first.Valid {
		m.FirstReceivedAt = msToTime(first.Int64)
	}
	return seq, m, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func int64Args(v []int64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// receiptHandle identifies one receive of one message: the message's seq and
// the receive's token. A later receive changes the token, so older handles go
// stale.
func receiptHandle(seq int64, token string) string {
	return strconv.FormatInt(seq, 10) + "." + token
}

func parseReceiptHandle(h string) (int64, string, error) {
	s, token, ok := strings.Cut(h, ".")
	seq, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || seq <= 0 || len(token) != 24 || strings.Trim(token, "0123456789abcdef") != "" {
		return 0, "", fail(ErrReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", h)
	}
	return seq, token, nil
}
