package sns

import (
	"context"
	"database/sql"
	"fmt"
)

// Timestamps are Unix milliseconds. attributes and tags are JSON objects of
// strings. A delivery is pending until it is delivered, failed (its retries
// spent, or a client error) or dropped (its subscription or message gone).
// A pending delivery is leased while an attempt is being made (next_at is
// then the end of the lease), else waits for next_at.
const schema = `
CREATE TABLE IF NOT EXISTS sns_topics (
	arn          TEXT PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	attributes   TEXT NOT NULL,
	tags         TEXT NOT NULL,
	subs_deleted INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sns_subscriptions (
	arn              TEXT PRIMARY KEY,
	topic_arn        TEXT NOT NULL,
	protocol         TEXT NOT NULL,
	endpoint         TEXT NOT NULL,
	attributes       TEXT NOT NULL,
	pending          INTEGER NOT NULL,
	token            TEXT NOT NULL DEFAULT '',
	token_expires_at INTEGER NOT NULL DEFAULT 0,
	authenticated    INTEGER NOT NULL DEFAULT 0,
	auth_unsubscribe INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sns_subscriptions_topic ON sns_subscriptions (topic_arn);
CREATE TABLE IF NOT EXISTS sns_messages (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	topic_arn    TEXT NOT NULL,
	subject      TEXT,
	message      TEXT NOT NULL,
	structure    TEXT NOT NULL DEFAULT '',
	attributes   TEXT,
	published_at INTEGER NOT NULL,
	matched      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sns_messages_topic ON sns_messages (topic_arn, seq);
CREATE TABLE IF NOT EXISTS sns_deliveries (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT NOT NULL,
	message_id TEXT NOT NULL,
	topic_arn  TEXT NOT NULL,
	sub_arn    TEXT NOT NULL,
	protocol   TEXT NOT NULL,
	endpoint   TEXT NOT NULL,
	state      TEXT NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	leased     INTEGER NOT NULL DEFAULT 0,
	first_at   INTEGER NOT NULL,
	next_at    INTEGER NOT NULL,
	done_at    INTEGER,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sns_deliveries_due ON sns_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS sns_deliveries_message ON sns_deliveries (message_id);
CREATE TABLE IF NOT EXISTS sns_meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
`

// migrate creates the tables and releases the leases a previous run held:
// one Service owns the file, so a leased delivery is one whose attempt a
// crash or a stop cut short; it is due again at once.
func (s *Service) migrate(ctx context.Context) error {
	err := s.w.Write(ctx, "sns migrate", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET leased = 0, next_at = ? WHERE state = 'pending' AND leased = 1`, s.nowMS())
		return err
	})
	if err != nil {
		return fmt.Errorf("sns: create tables: %w", err)
	}
	return nil
}
