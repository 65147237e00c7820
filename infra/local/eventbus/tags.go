package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// ErrNotTaggable is an ARN that names neither an event bus nor a rule: the
// only EventBridge resources with tags ("In EventBridge, rules and event
// buses can be tagged").
var ErrNotTaggable = errors.New("not an event bus or rule ARN")

// taggable reads a bus or rule ARN of this account and region: the bus and,
// for a rule, its name. It does not check that they exist.
func (b *Bus) taggable(arn string) (bus, rule string, err error) {
	prefix := fmt.Sprintf("arn:aws:events:%s:%s:", b.opts.Region, b.opts.AccountID)
	res, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", "", fmt.Errorf("%s: %w", arn, ErrNotTaggable)
	}
	if name, ok := strings.CutPrefix(res, "event-bus/"); ok && name != "" {
		return name, "", nil
	}
	if path, ok := strings.CutPrefix(res, "rule/"); ok && path != "" {
		if bus, rule, custom := strings.Cut(path, "/"); custom {
			return bus, rule, nil
		}
		return "default", path, nil
	}
	return "", "", fmt.Errorf("%s: %w", arn, ErrNotTaggable)
}

// checkTaggable returns the bus and rule an ARN names, with ErrBusNotFound
// or ErrRuleNotFound when one does not exist.
func (b *Bus) checkTaggable(arn string) (bus, rule string, err error) {
	bus, rule, err = b.taggable(arn)
	if err != nil {
		return "", "", err
	}
	if ok, _ := b.busExists(context.Background(), bus); !ok {
		return bus, rule, fmt.Errorf("%w: %s", ErrBusNotFound, bus)
	}
	if rule != "" {
		if _, err := b.Rule(bus, rule); err != nil {
			return bus, rule, err
		}
	}
	return bus, rule, nil
}

// TagResource adds tags to a bus or rule, replacing the values of keys it
// has.
func (b *Bus) TagResource(ctx context.Context, arn string, tags []Tag) error {
	if _, _, err := b.checkTaggable(arn); err != nil {
		return err
	}
	err := b.w.Write(ctx, "tag resource", func(tx *sql.Tx) error {
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO evb_tags (arn, key, value) VALUES (?, ?, ?)
ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, t.Key, t.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tag %s: %w", arn, err)
	}
	return nil
}

// UntagResource removes tags by key; a key the resource lacks is ignored.
func (b *Bus) UntagResource(ctx context.Context, arn string, keys []string) error {
	if _, _, err := b.checkTaggable(arn); err != nil {
		return err
	}
	err := b.w.Write(ctx, "untag resource", func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM evb_tags WHERE arn = ? AND key = ?`, arn, k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("untag %s: %w", arn, err)
	}
	return nil
}

// Tags lists a bus's or rule's tags by key.
func (b *Bus) Tags(ctx context.Context, arn string) ([]Tag, error) {
	if _, _, err := b.checkTaggable(arn); err != nil {
		return nil, err
	}
	rows, err := b.db.QueryContext(ctx, `SELECT key, value FROM evb_tags WHERE arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	defer rows.Close()
	out := []Tag{}
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
