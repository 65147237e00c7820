package sqs

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Delete deletes the message received with handle. Like SQS, a stale handle
// (the message was received again since) or an already deleted message is
// not an error, and deletes nothing; a malformed handle is
// ErrReceiptHandleIsInvalid. On a FIFO queue, a handle whose message is
// visible again (its visibility timeout expired) is ErrInvalidParameterValue:
// "The receipt handle has expired", as AWS answers.
func (b *Broker) Delete(ctx context.Context, name, handle string) error {
	errs, err := b.DeleteBatch(ctx, name, []string{handle})
	if err != nil {
		return err
	}
	return errs[0]
}

// DeleteBatch deletes several messages in one transaction. The first result
// holds one error (or nil) per handle; the second is a failure of the call.
func (b *Broker) DeleteBatch(ctx context.Context, name string, handles []string) ([]error, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(handles))
	deleted := false
	err = b.write(ctx, "delete", func(tx *sql.Tx) error {
		query := `DELETE FROM sqs_messages WHERE seq = ? AND queue_id = ? AND receipt = ?`
		if q.fifo {
			query += ` AND visible_at > ?`
		}
		now := b.nowMS()
		for i, h := range handles {
			seq, token, err := parseReceiptHandle(h)
			if err != nil {
				errs[i] = err
				continue
			}
			args := []any{seq, q.id, token}
			if q.fifo {
				args = append(args, now)
			}
			res, err := tx.ExecContext(ctx, query, args...) // cached by text (sqlitedb)
			if err != nil {
				return fmt.Errorf("sqs delete from %s: %w", name, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				deleted = true
				continue
			}
			if q.fifo {
				expired, err := handleExpired(ctx, tx, q.id, seq, token)
				if err != nil {
					return fmt.Errorf("sqs delete from %s: %w", name, err)
				}
				if expired {
					errs[i] = invalidParam("ReceiptHandle", h, "The receipt handle has expired.")
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if deleted && q.fifo {
		b.waiters.Notify(q.id) // the message's group may go on
	}
	return errs, nil
}

// handleExpired reports whether the message of a receipt handle is still
// there, not received since, and visible again.
func handleExpired(ctx context.Context, tx *sql.Tx, queueID, seq int64, token string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqs_messages WHERE seq = ? AND queue_id = ? AND receipt = ?`, seq, queueID, token).Scan(&n)
	return n > 0, err
}

// VisibilityChange is one entry of ChangeVisibilityBatch.
type VisibilityChange struct {
	ReceiptHandle string
	Timeout       time.Duration
}

// ChangeVisibility makes a received message visible again after timeout
// (0 releases it at once). A stale handle or a deleted message is
// ErrInvalidParameterValue, a malformed handle ErrReceiptHandleIsInvalid.
func (b *Broker) ChangeVisibility(ctx context.Context, name, handle string, timeout time.Duration) error {
	errs, err := b.ChangeVisibilityBatch(ctx, name, []VisibilityChange{{ReceiptHandle: handle, Timeout: timeout}})
	if err != nil {
		return err
	}
	return errs[0]
}

// ChangeVisibilityBatch changes several visibility timeouts in one
// transaction, returning one error (or nil) per entry.
func (b *Broker) ChangeVisibilityBatch(ctx context.Context, name string, changes []VisibilityChange) ([]error, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(changes))
	err = b.write(ctx, "change visibility", func(tx *sql.Tx) error {
		now := b.nowMS()
		for i, c := range changes {
			if c.Timeout < 0 || c.Timeout > 12*time.Hour {
				errs[i] = invalidParam("VisibilityTimeout", int64(c.Timeout/time.Second), "Must be >= 0 and <= 43200.")
				continue
			}
			seq, token, err := parseReceiptHandle(c.ReceiptHandle)
			if err != nil {
				errs[i] = err
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE sqs_messages SET visible_at = ? WHERE seq = ? AND queue_id = ? AND receipt = ?`,
				now+c.Timeout.Milliseconds(), seq, q.id, token) // cached by text (sqlitedb)
			if err != nil {
				return fmt.Errorf("sqs change visibility in %s: %w", name, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				errs[i] = invalidParam("ReceiptHandle", c.ReceiptHandle, "Message does not exist or is not available for visibility timeout change.")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.waiters.Notify(q.id)
	return errs, nil
}
