package sqs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// dedupInterval is FIFO's deduplication interval, and how long a
// ReceiveRequestAttemptId can be retried.
const dedupInterval = 5 * time.Minute

// sequenceNumber is a FIFO message's SequenceNumber: 20 digits, like AWS's,
// that grow with the order in which messages were sent.
func sequenceNumber(seq int64) string {
	return "1" + fmt.Sprintf("%019d", seq)
}

// dedupKey returns the scope and the deduplication id under which a FIFO
// message is deduplicated: its own id or the SHA-256 of its body, within
// the queue or, under DeduplicationScope messageGroup, within its group.
func dedupKey(q *queue, m NewMessage) (scope, id string) {
	id = m.DeduplicationID
	if id == "" {
		sum := sha256.Sum256([]byte(m.Body))
		id = hex.EncodeToString(sum[:])
	}
	if q.groupDedup {
		scope = m.GroupID
	}
	return scope, id
}

// duplicateOf returns the message id and seq of the message stored under a
// deduplication key in the last 5 minutes, if any.
func duplicateOf(ctx context.Context, tx *sql.Tx, queueID int64, scope, id string, now int64) (string, int64, bool, error) {
	var (
		msgID string
		seq   int64
	)
	err := tx.QueryRowContext(ctx, `SELECT message_id, seq FROM sqs_dedup
		WHERE queue_id = ? AND scope = ? AND dedup_id = ? AND expires_at > ?`, queueID, scope, id, now).Scan(&msgID, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("deduplication lookup: %w", err)
	}
	return msgID, seq, true, nil
}

// remember records a FIFO message's deduplication key for 5 minutes from now.
func remember(ctx context.Context, tx *sql.Tx, queueID int64, scope, id, msgID string, seq, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO sqs_dedup (queue_id, scope, dedup_id, message_id, seq, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE SET
		message_id = excluded.message_id, seq = excluded.seq, expires_at = excluded.expires_at`,
		queueID, scope, id, msgID, seq, now+dedupInterval.Milliseconds())
	if err != nil {
		return fmt.Errorf("remember deduplication id: %w", err)
	}
	return nil
}

// fifoCandidates returns, in delivery order, up to limit messages of a FIFO
// queue that a receive may deliver now. Within a group, messages go in the
// order they were sent, and a message that is not visible (in flight or
// delayed) holds back every later message of its group: the group is
// locked while it has a message in flight. Groups go in the order their
// first message became visible, so a group whose messages came back from a
// visibility timeout queues behind the groups that waited meanwhile (what
// AWS does, per LocalStack's AWS-validated ordering tests). Messages in
// skip (delivered earlier in the same receive) are left out.
func fifoCandidates(ctx context.Context, tx *sql.Tx, queueID, now int64, limit int, skip map[int64]bool) ([]candidate, error) {
	heads, err := tx.QueryContext(ctx, `SELECT m.group_id FROM
			(SELECT group_id, MIN(seq) AS seq FROM sqs_messages WHERE queue_id = ?1 AND expires_at > ?2 GROUP BY group_id) h
			JOIN sqs_messages m ON m.seq = h.seq
		WHERE m.visible_at <= ?2 ORDER BY m.visible_at, m.seq LIMIT ?3`, queueID, now, limit+len(skip))
	if err != nil {
		return nil, fmt.Errorf("select groups: %w", err)
	}
	var groups []sql.NullString
	for heads.Next() {
		var g sql.NullString
		if err := heads.Scan(&g); err != nil {
			heads.Close()
			return nil, fmt.Errorf("select groups: %w", err)
		}
		groups = append(groups, g)
	}
	heads.Close()
	if err := heads.Err(); err != nil {
		return nil, fmt.Errorf("select groups: %w", err)
	}
	var out []candidate
	for _, g := range groups {
		if len(out) >= limit {
			break
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, receive_count, expires_at, visible_at FROM sqs_messages
			WHERE queue_id = ? AND group_id IS ? AND expires_at > ? ORDER BY seq LIMIT ?`, queueID, g, now, limit-len(out)+len(skip))
		if err != nil {
			return nil, fmt.Errorf("select group messages: %w", err)
		}
		for rows.Next() {
			var (
				c       candidate
				visible int64
			)
			if err := rows.Scan(&c.seq, &c.receiveCount, &c.expiresAt, &visible); err != nil {
				rows.Close()
				return nil, fmt.Errorf("select group messages: %w", err)
			}
			if visible > now {
				break // in flight or delayed: the rest of the group waits
			}
			if skip[c.seq] {
				continue
			}
			out = append(out, c)
			if len(out) >= limit {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("select group messages: %w", err)
		}
	}
	return out, nil
}

// receiveAttempt is what a receive with a ReceiveRequestAttemptId returned.
type receiveAttempt struct {
	token     string
	seqs      []int64
	visibleAt int64
}

// replayAttempt returns the messages an earlier receive with the same
// ReceiveRequestAttemptId returned, with the same receipt handles, and
// resets their visibility timeout, when that receive was less than 5
// minutes ago and none of its messages has been deleted, received again or
// had its visibility changed since. Otherwise it forgets the attempt and
// returns ok false: the receive proceeds as a new one.
func replayAttempt(ctx context.Context, tx *sql.Tx, q *queue, attemptID string, now, visibleAt int64) ([]Message, bool, error) {
	var (
		a       receiveAttempt
		rawSeqs string
		expires int64
	)
	err := tx.QueryRowContext(ctx, `SELECT token, seqs, visible_at, expires_at FROM sqs_receive_attempts
		WHERE queue_id = ? AND attempt_id = ?`, q.id, attemptID).Scan(&a.token, &rawSeqs, &a.visibleAt, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("receive attempt: %w", err)
	}
	forget := func() ([]Message, bool, error) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_receive_attempts WHERE queue_id = ? AND attempt_id = ?`, q.id, attemptID); err != nil {
			return nil, false, fmt.Errorf("receive attempt: %w", err)
		}
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(rawSeqs), &a.seqs); err != nil || expires <= now || len(a.seqs) == 0 {
		return forget()
	}
	args := append([]any{q.id, a.token, a.visibleAt}, int64Args(a.seqs)...)
	var unchanged int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqs_messages WHERE queue_id = ? AND receipt = ? AND visible_at = ?
		AND seq IN (`+placeholders(len(a.seqs))+`)`, args...).Scan(&unchanged); err != nil {
		return nil, false, fmt.Errorf("receive attempt: %w", err)
	}
	if unchanged != len(a.seqs) {
		return forget()
	}
	args = append([]any{visibleAt}, int64Args(a.seqs)...)
	rows, err := tx.QueryContext(ctx, `UPDATE sqs_messages SET visible_at = ? WHERE seq IN (`+placeholders(len(a.seqs))+`)
		RETURNING `+messageColumns, args...)
	if err != nil {
		return nil, false, fmt.Errorf("receive attempt: %w", err)
	}
	bySeq := map[int64]Message{}
	for rows.Next() {
		seq, m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("receive attempt: %w", err)
		}
		m.ReceiptHandle = receiptHandle(seq, a.token)
		bySeq[seq] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("receive attempt: %w", err)
	}
	out := make([]Message, 0, len(a.seqs))
	for _, s := range a.seqs {
		out = append(out, bySeq[s])
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sqs_receive_attempts SET visible_at = ? WHERE queue_id = ? AND attempt_id = ?`,
		visibleAt, q.id, attemptID); err != nil {
		return nil, false, fmt.Errorf("receive attempt: %w", err)
	}
	return out, true, nil
}

// recordAttempt remembers what a receive with a ReceiveRequestAttemptId
// returned, for 5 minutes.
func recordAttempt(ctx context.Context, tx *sql.Tx, q *queue, attemptID string, msgs []Message, now, visibleAt int64) error {
	if len(msgs) == 0 {
		return nil
	}
	seqs := make([]int64, len(msgs))
	token := ""
	for i, m := range msgs {
		seq, tok, err := parseReceiptHandle(m.ReceiptHandle)
		if err != nil {
			return fmt.Errorf("record receive attempt: %w", err)
		}
		seqs[i], token = seq, tok
	}
	raw, err := json.Marshal(seqs)
	if err != nil {
		return fmt.Errorf("record receive attempt: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sqs_receive_attempts (queue_id, attempt_id, token, seqs, visible_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, attempt_id) DO UPDATE SET
		token = excluded.token, seqs = excluded.seqs, visible_at = excluded.visible_at, expires_at = excluded.expires_at`,
		q.id, attemptID, token, string(raw), visibleAt, now+dedupInterval.Milliseconds())
	if err != nil {
		return fmt.Errorf("record receive attempt: %w", err)
	}
	return nil
}

// GroupStats is one message group of a FIFO queue, as the console shows it.
type GroupStats struct {
	ID string
	// Messages counts the group's messages, InFlight those received and
	// neither deleted nor visible again.
	Messages, InFlight int64
}

// Locked reports whether the group has a message in flight: no later
// message of the group is delivered until it is deleted or visible again.
func (g GroupStats) Locked() bool { return g.InFlight > 0 }

// maxGroupStats bounds the groups QueueStats lists.
const maxGroupStats = 100

// groupStats returns the message groups of a FIFO queue, oldest first, at
// most maxGroupStats of them, and how many groups there are.
func (b *Broker) groupStats(ctx context.Context, q *queue, now int64) ([]GroupStats, int, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT group_id, COUNT(*), COALESCE(SUM(visible_at > ?1 AND receive_count > 0), 0)
		FROM sqs_messages WHERE queue_id = ?2 AND expires_at > ?1 GROUP BY group_id ORDER BY MIN(seq)`, now, q.id)
	if err != nil {
		return nil, 0, fmt.Errorf("sqs groups of %s: %w", q.name, err)
	}
	defer rows.Close()
	var (
		out   []GroupStats
		total int
	)
	for rows.Next() {
		var (
			g  GroupStats
			id sql.NullString
		)
		if err := rows.Scan(&id, &g.Messages, &g.InFlight); err != nil {
			return nil, 0, fmt.Errorf("sqs groups of %s: %w", q.name, err)
		}
		total++
		if len(out) < maxGroupStats {
			g.ID = id.String
			out = append(out, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqs groups of %s: %w", q.name, err)
	}
	return out, total, nil
}
