package sqs

import (
	"context"
	"database/sql"
	"fmt"
)

// Timestamps are Unix milliseconds. A message is visible when visible_at <= now;
// it is delayed when it is not visible and has never been received.
const schema = `
CREATE TABLE IF NOT EXISTS sqs_queues (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL,
	modified_at INTEGER NOT NULL,
	attributes  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sqs_messages (
	seq              INTEGER PRIMARY KEY AUTOINCREMENT,
	queue_id         INTEGER NOT NULL,
	id               TEXT NOT NULL,
	body             TEXT NOT NULL,
	attributes       TEXT,
	md5_body         TEXT NOT NULL,
	md5_attributes   TEXT,
	trace_header     TEXT,
	source_arn       TEXT,
	sent_at          INTEGER NOT NULL,
	visible_at       INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL,
	receive_count    INTEGER NOT NULL DEFAULT 0,
	first_receive_at INTEGER,
	receipt          TEXT
);
CREATE INDEX IF NOT EXISTS sqs_messages_ready ON sqs_messages (queue_id, visible_at, seq);
`

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("sqs: create tables: %w", err)
	}
	return nil
}
