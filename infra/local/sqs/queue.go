package sqs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// queue is a queue's configuration as cached in memory. Values are immutable.
type queue struct {
	id         int64
	name       string
	createdMS  int64
	modifiedMS int64
	attrs      map[string]string
	tags       map[string]string

	visibility time.Duration
	delay      time.Duration
	retention  time.Duration
	wait       time.Duration
	maxSize    int
	redrive    *redrivePolicy

	// fifo is a FIFO queue; contentDedup its ContentBasedDeduplication and
	// groupDedup a DeduplicationScope of messageGroup.
	fifo, contentDedup, groupDedup bool
}

// The name patterns are compiled on first use: their counted repetitions
// cost milliseconds at every start of the loanflow binary otherwise.
var queueNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })

// fifoNameRE is a FIFO queue's name: the suffix counts towards the 80
// characters.
var fifoNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,75}\.fifo$`) })

// fifoSuffix ends the name of every FIFO queue.
const fifoSuffix = ".fifo"

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
		fifo:       attrs[AttrFifoQueue] == "true",
	}
	q.contentDedup = q.fifo && attrs[AttrContentBasedDeduplication] == "true"
	q.groupDedup = q.fifo && attrs[AttrDeduplicationScope] == DedupScopeMessageGroup
	q.maxSize, _ = strconv.Atoi(attrs[AttrMaximumMessageSize])
	if v := attrs[AttrRedrivePolicy]; v != "" {
		var p redrivePolicy
		if json.Unmarshal([]byte(v), &p) == nil {
			if i := strings.LastIndexByte(p.DeadLetterTargetARN, ':'); i >= 0 {
				p.dlq = p.DeadLetterTargetARN[i+1:]
			}
			q.redrive = &p
		}
	}
	return q
}

// with returns a copy of q changed by fn (cached queues are never mutated).
func (q *queue) with(fn func(*queue)) *queue {
	c := *q
	fn(&c)
	return &c
}

// defaultsFor returns the attributes a new queue of the named kind starts with.
func defaultsFor(fifo bool) map[string]string {
	if fifo {
		return defaultFIFOAttrs()
	}
	return defaultAttrs()
}

func (b *Broker) loadQueues(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT id, name, created_at, modified_at, attributes, tags FROM sqs_queues`)
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
			tags                  sql.NullString
		)
		if err := rows.Scan(&id, &name, &created, &modified, &raw, &tags); err != nil {
			return fmt.Errorf("sqs: load queues: %w", err)
		}
		attrs := defaultsFor(strings.HasSuffix(name, fifoSuffix))
		if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
			return fmt.Errorf("sqs: load queue %s attributes: %w", name, err)
		}
		q := newQueue(id, name, created, modified, attrs)
		if tags.Valid {
			if err := json.Unmarshal([]byte(tags.String), &q.tags); err != nil {
				return fmt.Errorf("sqs: load queue %s tags: %w", name, err)
			}
		}
		b.queues[name] = q
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

// update caches the version of queue q that fn makes of the current one,
// unless q was deleted meanwhile.
func (b *Broker) update(q *queue, fn func(cur *queue) *queue) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.queues[q.name]; ok && cur.id == q.id {
		b.queues[q.name] = fn(cur)
	}
}

// recentlyDeleted is how long a deleted queue's name stays taken.
const recentlyDeleted = 60 * time.Second

// CreateQueue creates a queue and returns its URL: a FIFO queue when attrs
// set FifoQueue to true, which its name must then end in ".fifo" for (and
// only then). Creating an existing queue with the same attributes returns
// its URL; with different ones it fails with ErrQueueNameExists. A name
// whose queue was deleted less than 60 seconds ago fails with
// ErrQueueDeletedRecently.
func (b *Broker) CreateQueue(ctx context.Context, name string, attrs map[string]string) (string, error) {
	return b.createQueue(ctx, name, attrs, nil)
}

func (b *Broker) createQueue(ctx context.Context, name string, attrs, tags map[string]string) (string, error) {
	fifoAttr, hasFifoAttr := attrs[AttrFifoQueue]
	fifo := strings.EqualFold(strings.TrimSpace(fifoAttr), "true")
	if hasFifoAttr && !fifo && !strings.EqualFold(strings.TrimSpace(fifoAttr), "false") {
		return "", fail(ErrInvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: must be true or false.")
	}
	if fifo {
		if !fifoNameRE().MatchString(name) {
			return "", fail(ErrInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
	} else if !queueNameRE().MatchString(name) {
		return "", invalidParam("QueueName", name, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.")
	}
	merged, err := b.mergeAttrs(defaultsFor(fifo), attrs, fifo)
	if err != nil {
		return "", err
	}
	if p := newQueue(0, name, 0, 0, merged).redrive; p != nil && p.dlq == name {
		return "", fail(ErrInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target cannot be the queue itself.", merged[AttrRedrivePolicy])
	}
	if err := checkTags(name, nil, tags); err != nil {
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
	var rawTags any
	if len(tags) > 0 {
		t, err := json.Marshal(tags)
		if err != nil {
			return "", fmt.Errorf("sqs create queue %s: encode tags: %w", name, err)
		}
		rawTags = string(t)
	}
	now := b.nowMS()
	var id int64
	err = b.write(ctx, "create queue", func(tx *sql.Tx) error {
		var deletedAt int64
		err := tx.QueryRowContext(ctx, `SELECT deleted_at FROM sqs_deleted WHERE name = ?`, name).Scan(&deletedAt)
		switch {
		case err == nil && now-deletedAt < recentlyDeleted.Milliseconds():
			return fail(ErrQueueDeletedRecently, "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqs create queue %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sqs_deleted WHERE deleted_at <= ?`, now-recentlyDeleted.Milliseconds()); err != nil {
			return fmt.Errorf("sqs create queue %s: %w", name, err)
		}
		err = tx.QueryRowContext(ctx,
			`INSERT INTO sqs_queues (name, created_at, modified_at, attributes, tags) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (name) DO NOTHING RETURNING id`, name, now, now, string(raw), rawTags).Scan(&id)
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
		q := newQueue(id, name, now, now, merged)
		q.tags = maps.Clone(tags)
		b.mu.Lock()
		b.queues[name] = q
		b.mu.Unlock()
		b.log.InfoContext(ctx, "queue created", "queue", name, "fifo", fifo)
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

// DeleteQueue deletes a queue and its messages. Its name cannot be used
// again for 60 seconds (see CreateQueue).
func (b *Broker) DeleteQueue(ctx context.Context, name string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	now := b.nowMS()
	err = b.write(ctx, "delete queue", func(tx *sql.Tx) error {
		for _, stmt := range []string{
			`DELETE FROM sqs_messages WHERE queue_id = ?`,
			`DELETE FROM sqs_dedup WHERE queue_id = ?`,
			`DELETE FROM sqs_receive_attempts WHERE queue_id = ?`,
			`DELETE FROM sqs_queues WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, q.id); err != nil {
				return fmt.Errorf("sqs delete queue %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sqs_deleted (name, deleted_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET deleted_at = excluded.deleted_at`, name, now); err != nil {
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
	b.waiters.Notify(q.id)
	b.log.InfoContext(ctx, "queue deleted", "queue", name)
	return nil
}

// SetAttributes changes a queue's settable attributes. On a FIFO queue a
// new DelaySeconds applies to the messages already waiting too (AWS: "For
// FIFO queues, the per-queue delay setting is retroactive").
func (b *Broker) SetAttributes(ctx context.Context, name string, attrs map[string]string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	merged, err := b.mergeAttrs(q.attrs, attrs, q.fifo)
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
	next := newQueue(q.id, name, q.createdMS, b.nowMS(), merged)
	err = b.write(ctx, "set attributes", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_queues SET attributes = ?, modified_at = ? WHERE id = ?`, string(raw), next.modifiedMS, q.id); err != nil {
			return fmt.Errorf("sqs set attributes %s: %w", name, err)
		}
		if q.fifo && next.delay != q.delay {
			if _, err := tx.ExecContext(ctx, `UPDATE sqs_messages SET visible_at = sent_at + ? WHERE queue_id = ? AND receive_count = 0`,
				next.delay.Milliseconds(), q.id); err != nil {
				return fmt.Errorf("sqs set attributes %s: delay waiting messages: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.update(q, func(cur *queue) *queue {
		next.tags = cur.tags
		return next
	})
	b.waiters.Notify(q.id)
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
		if !knownAttr(n) {
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
		if k != AttrKmsDataKeyReusePeriodSeconds {
			pick(k, v)
		}
	}
	if q.attrs[AttrKmsMasterKeyID] != "" {
		// The data key reuse period means something with a KMS key only.
		pick(AttrKmsDataKeyReusePeriodSeconds, cmp.Or(q.attrs[AttrKmsDataKeyReusePeriodSeconds], defaultKmsDataKeyReusePeriod))
	}
	pick(AttrQueueARN, b.QueueARN(name))
	pick(AttrCreatedTimestamp, strconv.FormatInt(q.createdMS/1000, 10))
	pick(AttrLastModifiedTimestamp, strconv.FormatInt(q.modifiedMS/1000, 10))
	if all || want[AttrApproximateNumberOfMessages] || want[AttrApproximateNotVisible] || want[AttrApproximateDelayed] {
		if _, err := b.advanceMoveTasks(ctx); err != nil {
			return nil, err
		}
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

// purgeInterval is how often a queue may be purged.
const purgeInterval = 60 * time.Second

// Purge deletes every message in a queue, and on a FIFO queue its
// deduplication history. A queue may be purged once every 60 seconds: a
// second purge within them fails with ErrPurgeQueueInProgress, as on AWS.
func (b *Broker) Purge(ctx context.Context, name string) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	now := b.nowMS()
	err = b.write(ctx, "purge", func(tx *sql.Tx) error {
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT purged_at FROM sqs_queues WHERE id = ?`, q.id).Scan(&last); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return noQueue(name)
			}
			return fmt.Errorf("sqs purge %s: %w", name, err)
		}
		if last.Valid && now-last.Int64 < purgeInterval.Milliseconds() {
			return fail(ErrPurgeQueueInProgress, "Only one PurgeQueue operation on %s is allowed every 60 seconds.", name)
		}
		for _, stmt := range []string{
			`DELETE FROM sqs_messages WHERE queue_id = ?`,
			`DELETE FROM sqs_dedup WHERE queue_id = ?`,
			`DELETE FROM sqs_receive_attempts WHERE queue_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, q.id); err != nil {
				return fmt.Errorf("sqs purge %s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_queues SET purged_at = ? WHERE id = ?`, now, q.id); err != nil {
			return fmt.Errorf("sqs purge %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.log.InfoContext(ctx, "queue purged", "queue", name)
	return nil
}
