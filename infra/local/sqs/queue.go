package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queue is a queue's configuration as cached in memory. Values are immutable.
type queue struct {
	id         int64
	name       string
	createdMS  int64
	modifiedMS int64
	attrs      map[string]string

	visibility time.Duration
	delay      time.Duration
	retention  time.Duration
	wait       time.Duration
	maxSize    int
	redrive    *redrivePolicy
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func newQueue(id int64, name string, created, modified int64, attrs map[string]string) *queue {
	sec := func(k string) time.Duration {
		n, _ := strconv.Atoi(attrs[k])
		return time.Duration(n) * time.Second
	}
	q := &queue{
		id: id, name: name, createdMS: created, modifiedMS: modified, attrs: attrs,
		visibility: sec(AttrVisibilityTimeout),
		delay:      sec(AttrDelaySeconds),
		retention:  sec(AttrMessageRetentionPeriod),
		wait:       sec(AttrReceiveMessageWaitTimeSecond),
	}
	q.maxSize, _ = strconv.Atoi(attrs[AttrMaximumMessageSize])
	if v := attrs[AttrRedrivePolicy]; v != "" {
		var p redrivePolicy
		if json.Unmarshal([]byte(v), &p) == nil {
			if i := strings.LastIndexByte(p.DeadLetterTargetArn, ':'); i >= 0 {
				p.dlq = p.DeadLetterTargetArn[i+1:]
			}
			q.redrive = &p
		}
	}
	return q
}

func (b *Broker) loadQueues(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT id, name, created_at, modified_at, attributes FROM sqs_queues`)
	if err != nil {
		return fmt.Errorf("sqs: load queues: %w", err)
	}
	defer rows.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for rows.Next() {
		var (
			id, created, modified int64
			name, raw             string
		)
		if err := rows.Scan(&id, &name, &created, &modified, &raw); err != nil {
			return fmt.Errorf("sqs: load queues: %w", err)
		}
		attrs := defaultAttrs()
		if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
			return fmt.Errorf("sqs: load queue %s attributes: %w", name, err)
		}
		b.queues[name] = newQueue(id, name, created, modified, attrs)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqs: load queues: %w", err)
	}
	return nil
}

func (b *Broker) lookup(name string) (*queue, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	q, ok := b.queues[name]
	return q, ok
}

func (b *Broker) mustQueue(name string) (*queue, error) {
	if name == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter QueueUrl.")
	}
	q, ok := b.lookup(name)
	if !ok {
		return nil, noQueue(name)
	}
	return q, nil
}

// CreateQueue creates a standard queue and returns its URL. Creating an
// existing queue with the same attributes returns its URL; with different
// ones it fails with ErrQueueNameExists.
func (b *Broker) CreateQueue(ctx context.Context, name string, attrs map[string]string) (string, error) {
	if strings.HasSuffix(name, ".fifo") {
		return "", fail(ErrUnsupportedOperation, "FIFO queues are not supported by the loanflow local stack.")
	}
	if !queueNameRE.MatchString(name) {
		return "", invalidParam("QueueName", name, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.")
	}
	merged, err := b.mergeAttrs(defaultAttrs(), attrs)
	if err != nil {
		return "", err
	}
	if q, ok := b.lookup(name); ok {
		for k := range attrs {
			if k != AttrFifoQueue && q.attrs[k] != merged[k] {
				return "", fail(ErrQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return b.QueueURL(name), nil
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return "", fmt.Errorf("sqs create queue %s: %w", name, err)
	}
	now := b.nowMS()
	var id int64
	err = b.write(ctx, "create queue", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx,
			`INSERT INTO sqs_queues (name, created_at, modified_at, attributes) VALUES (?, ?, ?, ?)
			 ON CONFLICT (name) DO NOTHING RETURNING id`, name, now, now, string(raw)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // created concurrently
		}
		if err != nil {
			return fmt.Errorf("sqs create queue %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if id != 0 {
		b.mu.Lock()
		b.queues[name] = newQueue(id, name, now, now, merged)
		b.mu.Unlock()
		b.log.InfoContext(ctx, "queue created", "queue", name)
	}
	return b.QueueURL(name), nil
}

// GetQueueURL returns the URL of an existing queue.
func (b *Broker) GetQueueURL(name string) (string, error) {
	if _, err := b.mustQueue(name); err != nil {
		return "", err
	}
	return b.QueueURL(name), nil
}

// ListQueues returns the names of the queues that start with prefix, sorted.
func (b *Broker) ListQueues(prefix string) []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var names []string
	for n := range b.queues {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// DeadLetterSourceQueues returns the names of the queues whose RedrivePolicy
// targets dlq, sorted.
func (b *Broker) DeadLetterSourceQueues(dlq string) []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var names []string
	for n, q := range b.queues {
		if q.redrive != nil && q.redrive.dlq == dlq {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// DeleteQueue deletes a queue and its messages.
func (b *Broker) DeleteQueue(ctx context.Context, name string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	err = b.write(ctx, "delete queue", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_messages WHERE queue_id = ?`, q.id); err != nil {
			return fmt.Errorf("sqs delete queue %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_queues WHERE id = ?`, q.id); err != nil {
			return fmt.Errorf("sqs delete queue %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.queues, name)
	b.mu.Unlock()
	b.waiters.notify(q.id)
	b.log.InfoContext(ctx, "queue deleted", "queue", name)
	return nil
}

// SetAttributes changes a queue's settable attributes.
func (b *Broker) SetAttributes(ctx context.Context, name string, attrs map[string]string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	merged, err := b.mergeAttrs(q.attrs, attrs)
	if err != nil {
		return err
	}
	if p := newQueue(q.id, name, 0, 0, merged).redrive; p != nil && p.dlq == name {
		return fail(ErrInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target cannot be the queue itself.", merged[AttrRedrivePolicy])
	}
	raw, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("sqs set attributes %s: %w", name, err)
	}
	now := b.nowMS()
	err = b.write(ctx, "set attributes", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_queues SET attributes = ?, modified_at = ? WHERE id = ?`, string(raw), now, q.id); err != nil {
			return fmt.Errorf("sqs set attributes %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.queues[name] = newQueue(q.id, name, q.createdMS, now, merged)
	b.mu.Unlock()
	return nil
}

// Attributes returns the named attributes of a queue ("All" for every one).
func (b *Broker) Attributes(ctx context.Context, name string, names []string) (map[string]string, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	all := slices.Contains(names, AttrAll)
	want := map[string]bool{}
	for _, n := range names {
		if n == AttrAll {
			continue
		}
		if _, ok := intAttrs[n]; !ok && !freeAttrs[n] && !readOnlyAttrs[n] && n != AttrRedrivePolicy {
			return nil, fail(ErrInvalidAttributeName, "Unknown Attribute %s.", n)
		}
		want[n] = true
	}
	out := map[string]string{}
	pick := func(k, v string) {
		if all || want[k] {
			out[k] = v
		}
	}
	for k, v := range q.attrs {
		pick(k, v)
	}
	pick(AttrQueueArn, b.QueueARN(name))
	pick(AttrCreatedTimestamp, strconv.FormatInt(q.createdMS/1000, 10))
	pick(AttrLastModifiedTimestamp, strconv.FormatInt(q.modifiedMS/1000, 10))
	if all || want[AttrApproximateNumberOfMessages] || want[AttrApproximateNotVisible] || want[AttrApproximateDelayed] {
		s, err := b.stats(ctx, q)
		if err != nil {
			return nil, err
		}
		pick(AttrApproximateNumberOfMessages, strconv.FormatInt(s.Visible, 10))
		pick(AttrApproximateNotVisible, strconv.FormatInt(s.InFlight, 10))
		pick(AttrApproximateDelayed, strconv.FormatInt(s.Delayed, 10))
	}
	return out, nil
}

// Purge deletes every message in a queue.
func (b *Broker) Purge(ctx context.Context, name string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	return b.write(ctx, "purge", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_messages WHERE queue_id = ?`, q.id); err != nil {
			return fmt.Errorf("sqs purge %s: %w", name, err)
		}
		return nil
	})
}
