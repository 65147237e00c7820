package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tag limits (SQS Developer Guide, "Quotas related to queues").
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// tagPunctuation are the characters a tag may hold besides Unicode letters,
// digits and white space.
const tagPunctuation = "_.:/=+-@"

// checkTags checks tags to add to a queue that has current, against AWS's
// tag quotas: at most 50 tags, keys of 1 to 128 characters and values of
// up to 256, letters, digits, white space and _ . : / = + - @ only, and
// neither starting with the reserved prefix "aws:".
func checkTags(queueName string, current, added map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(added)) {
		v := added[k]
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLen {
			return fail(ErrInvalidParameterValue, "Tag keys must be between 1 and %d characters in length.", maxTagKeyLen)
		}
		if utf8.RuneCountInString(v) > maxTagValueLen {
			return fail(ErrInvalidParameterValue, "Tag values must be between 0 and %d characters in length (tag %s).", maxTagValueLen, k)
		}
		for _, s := range []string{k, v} {
			if strings.HasPrefix(strings.ToLower(s), "aws:") {
				return fail(ErrInvalidParameterValue, "Tag keys and values must not begin with the reserved prefix aws: (tag %s).", k)
			}
			if !validTagText(s) {
				return fail(ErrInvalidParameterValue, "Tag %s is invalid: tag keys and values may hold only Unicode letters, digits, white space and the characters %s", k, strings.Join(strings.Split(tagPunctuation, ""), " "))
			}
		}
	}
	n := len(current)
	for k := range added {
		if _, ok := current[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return fail(ErrInvalidParameterValue, "Too many tags added for queue %s.", queueName)
	}
	return nil
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune(tagPunctuation, r) {
			return false
		}
	}
	return true
}

// Tags returns a copy of a queue's tags.
func (b *Broker) Tags(name string) (map[string]string, error) {
	q, err := b.mustQueue(name)
	if err != nil {
		return nil, err
	}
	return maps.Clone(q.tags), nil
}

// TagQueue adds tags to a queue; a tag whose key the queue has replaces it.
func (b *Broker) TagQueue(ctx context.Context, name string, tags map[string]string) error {
	if len(tags) == 0 {
		return fail(ErrMissingParameter, "The request must contain the parameter Tags.")
	}
	return b.retag(ctx, name, func(cur map[string]string) (map[string]string, error) {
		if err := checkTags(name, cur, tags); err != nil {
			return nil, err
		}
		out := maps.Clone(cur)
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, tags)
		return out, nil
	})
}

// UntagQueue removes the tags with the given keys; a key the queue does
// not have is no error.
func (b *Broker) UntagQueue(ctx context.Context, name string, keys []string) error {
	if len(keys) == 0 {
		return fail(ErrMissingParameter, "The request must contain the parameter TagKeys.")
	}
	return b.retag(ctx, name, func(cur map[string]string) (map[string]string, error) {
		out := maps.Clone(cur)
		for _, k := range keys {
			delete(out, k)
		}
		return out, nil
	})
}

// retag replaces a queue's tags with what change makes of the stored ones.
func (b *Broker) retag(ctx context.Context, name string, change func(map[string]string) (map[string]string, error)) error {
	q, err := b.mustQueue(name)
	if err != nil {
		return err
	}
	var tags map[string]string
	err = b.write(ctx, "tag queue", func(tx *sql.Tx) error {
		var raw sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT tags FROM sqs_queues WHERE id = ?`, q.id).Scan(&raw); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return noQueue(name)
			}
			return fmt.Errorf("sqs tag queue %s: %w", name, err)
		}
		var cur map[string]string
		if raw.Valid {
			if err := json.Unmarshal([]byte(raw.String), &cur); err != nil {
				return fmt.Errorf("sqs tag queue %s: stored tags: %w", name, err)
			}
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		var stored any
		if len(next) > 0 {
			enc, err := json.Marshal(next)
			if err != nil {
				return fmt.Errorf("sqs tag queue %s: %w", name, err)
			}
			stored = string(enc)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sqs_queues SET tags = ? WHERE id = ?`, stored, q.id); err != nil {
			return fmt.Errorf("sqs tag queue %s: %w", name, err)
		}
		tags = next
		return nil
	})
	if err != nil {
		return err
	}
	b.update(q, func(cur *queue) *queue { return cur.with(func(c *queue) { c.tags = tags }) })
	return nil
}
