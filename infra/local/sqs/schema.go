package sqs

import (
	"context"
	"database/sql"
	"fmt"
)

// Timestamps are Unix milliseconds. A message is visible when visible_at <= now;
// it is delayed when it is not visible and has never been received.
//
// group_id and dedup_id are a FIFO message's MessageGroupId and
// MessageDeduplicationId (group_id also a fair standard queue's group); its
// SequenceNumber derives from seq, which never changes, not even when the
// message moves to a dead-letter queue and back.
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

-- FIFO deduplication: one row per deduplication id (scope is the message
-- group under DeduplicationScope messageGroup, '' under queue) for the
-- 5-minute interval; it outlives the message, as on AWS.
CREATE TABLE IF NOT EXISTS sqs_dedup (
	queue_id   INTEGER NOT NULL,
	scope      TEXT NOT NULL,
	dedup_id   TEXT NOT NULL,
	message_id TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (queue_id, scope, dedup_id)
);

-- FIFO ReceiveRequestAttemptId: what one receive returned, so that its
-- retry within 5 minutes returns the same messages and receipt handles.
CREATE TABLE IF NOT EXISTS sqs_receive_attempts (
	queue_id   INTEGER NOT NULL,
	attempt_id TEXT NOT NULL,
	token      TEXT NOT NULL,
	seqs       TEXT NOT NULL,
	visible_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (queue_id, attempt_id)
);

-- Names of queues deleted in the last 60 seconds (QueueDeletedRecently).
CREATE TABLE IF NOT EXISTS sqs_deleted (
	name       TEXT PRIMARY KEY,
	deleted_at INTEGER NOT NULL
);

-- Message move tasks (StartMessageMoveTask), the 10 most recent per source.
CREATE TABLE IF NOT EXISTS sqs_move_tasks (
	id          TEXT PRIMARY KEY,
	source_arn  TEXT NOT NULL,
	dest_arn    TEXT NOT NULL,
	rate        INTEGER,
	status      TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	to_move     INTEGER NOT NULL,
	moved       INTEGER NOT NULL DEFAULT 0,
	failure     TEXT,
	cancel_at   INTEGER
);
CREATE INDEX IF NOT EXISTS sqs_move_tasks_source ON sqs_move_tasks (source_arn, started_at);
`

// addedColumns are the columns added to a table after its first version;
// migrate adds those an older state file lacks.
var addedColumns = []struct{ table, column, decl string }{
	{"sqs_queues", "tags", "TEXT"},
	{"sqs_queues", "purged_at", "INTEGER"},
	{"sqs_messages", "group_id", "TEXT"},
	{"sqs_messages", "dedup_id", "TEXT"},
}

// indexesOnAddedColumns are created once the columns exist.
const indexesOnAddedColumns = `
CREATE INDEX IF NOT EXISTS sqs_messages_group ON sqs_messages (queue_id, group_id, seq);
`

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("sqs: create tables: %w", err)
	}
	for _, c := range addedColumns {
		has, err := hasColumn(ctx, db, c.table, c.column)
		if err != nil {
			return fmt.Errorf("sqs: migrate %s: %w", c.table, err)
		}
		if has {
			continue
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.decl); err != nil {
			return fmt.Errorf("sqs: add column %s.%s: %w", c.table, c.column, err)
		}
	}
	if _, err := db.ExecContext(ctx, indexesOnAddedColumns); err != nil {
		return fmt.Errorf("sqs: create indexes: %w", err)
	}
	return nil
}

func hasColumn(ctx context.Context, db *sql.DB, table, column string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n)
	return n > 0, err
}
