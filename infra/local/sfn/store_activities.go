package sfn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/asl"
)

// The store's side of activities: the activities themselves, and the
// activity tasks that executions schedule for their workers.

// migrateActivities adds what activities need to a state file: the
// encryption column of sfn_activities and the sfn_activity_tasks table. An
// activity task is also a row of sfn_tasks (same token), which holds its
// status, deadlines and outcome as for any task; sfn_activity_tasks adds the
// activity, the input and the worker that took it (seq orders the tasks of
// an activity first come, first served).
func migrateActivities(db schemaTx, existed bool) error {
	n := 1 // a new sfn_activities has the column
	if existed {
		if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('sfn_activities') WHERE name = 'encryption'`).Scan(&n); err != nil {
			return fmt.Errorf("read columns of sfn_activities: %w", err)
		}
	}
	if n == 0 {
		if _, err := db.Exec(`ALTER TABLE sfn_activities ADD COLUMN encryption TEXT`); err != nil {
			return fmt.Errorf("add column sfn_activities.encryption: %w", err)
		}
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS sfn_activity_tasks (
	seq INTEGER PRIMARY KEY,
	token TEXT NOT NULL UNIQUE,
	activity_arn TEXT NOT NULL,
	input TEXT NOT NULL,
	worker TEXT,
	started_ns INTEGER
);
CREATE INDEX IF NOT EXISTS sfn_activity_tasks_waiting ON sfn_activity_tasks(activity_arn, seq) WHERE started_ns IS NULL;`); err != nil {
		return fmt.Errorf("create sfn_activity_tasks: %w", err)
	}
	return nil
}

// addActivityTask writes the activity side of task t (its sfn_tasks row is
// written beside it) and notes the activity, whose pollers are woken once
// the write has committed.
func (s *store) addActivityTask(tx *sql.Tx, t asl.PendingTask) error {
	if _, err := tx.Exec(`INSERT OR IGNORE INTO sfn_activity_tasks (token, activity_arn, input) VALUES (?, ?, ?)`, t.Token, t.Activity, t.Input); err != nil {
		return fmt.Errorf("insert activity task: %w", err)
	}
	s.activityNotes = append(s.activityNotes, t.Activity)
	return nil
}

// activityRow is an activity as stored.
type activityRow struct {
	arn, name  string
	created    time.Time
	encryption string // JSON, "" for the default
}

// createActivity inserts activity a with tags, or returns the creation date
// of the activity of that name when it exists with the same encryption
// configuration (CreateActivity is idempotent on the name; tags are not
// changed).
func (s *store) createActivity(ctx context.Context, a activityRow, tags map[string]string) (time.Time, error) {
	created := a.created
	err := s.write(ctx, func(tx *sql.Tx) error {
		var ns int64
		var enc sql.NullString
		err := tx.QueryRow(`SELECT created_ns, encryption FROM sfn_activities WHERE arn = ?`, a.arn).Scan(&ns, &enc)
		if err == nil {
			if enc.String != a.encryption {
				// The wording follows "Activity Does Not Exist: '<arn>'"; no
				// recorded AWS answer was found for this one.
				return apiErr(CodeActivityAlreadyExists, "Activity Already Exists: '%s'", a.arn)
			}
			created = time.Unix(0, ns)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read activity: %w", err)
		}
		if _, err := tx.Exec(`INSERT INTO sfn_activities (arn, name, created_ns, encryption) VALUES (?, ?, ?, ?)`,
			a.arn, a.name, a.created.UnixNano(), nullStr(a.encryption)); err != nil {
			return fmt.Errorf("insert activity: %w", err)
		}
		return putTags(tx, a.arn, tags)
	})
	return created, err
}

// describeActivity reads activity arn (ActivityDoesNotExist when absent).
func (s *store) describeActivity(ctx context.Context, arn string) (*activityRow, error) {
	a := activityRow{arn: arn}
	var ns int64
	var enc sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT name, created_ns, encryption FROM sfn_activities WHERE arn = ?`, arn).Scan(&a.name, &ns, &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeActivityDoesNotExist, "Activity Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("describe activity: %w", err)
	}
	a.created, a.encryption = time.Unix(0, ns), enc.String
	return &a, nil
}

// activityExists reports whether activity arn exists.
func (s *store) activityExists(ctx context.Context, arn string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_activities WHERE arn = ?`, arn).Scan(&n); err != nil {
		return false, fmt.Errorf("read activity: %w", err)
	}
	return n > 0, nil
}

// listActivities returns up to n activities whose names follow after, by
// name.
func (s *store) listActivities(ctx context.Context, after string, n int) ([]activityRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT arn, name, created_ns FROM sfn_activities WHERE name > ? ORDER BY name LIMIT ?`, after, n)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	var out []activityRow
	for rows.Next() {
		var a activityRow
		var ns int64
		if err := rows.Scan(&a.arn, &a.name, &ns); err != nil {
			return nil, fmt.Errorf("list activities: %w", err)
		}
		a.created = time.Unix(0, ns)
		out = append(out, a)
	}
	return out, rows.Err()
}

// deleteActivity deletes activity arn and its tags (nothing when absent).
func (s *store) deleteActivity(ctx context.Context, arn string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM sfn_activities WHERE arn = ?`, arn); err != nil {
			return fmt.Errorf("delete activity: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM sfn_tags WHERE arn = ?`, arn); err != nil {
			return fmt.Errorf("delete tags: %w", err)
		}
		return nil
	})
}

// takenTask is an activity task a worker took.
type takenTask struct {
	token, input string
	execID       int64
	nested       bool
	hbAt         int64 // the heartbeat deadline from now on (0: none)
}

// takeActivityTask gives worker the oldest task of activity arn that waits
// for a worker, whose execution runs and whose timeout has not passed, and
// starts its heartbeat timer; nil when there is none. Rows whose task has
// closed before any worker took it (timed out, its execution ended) are
// deleted as the walk meets them, so dead tasks do not pile up in front of
// the live ones.
func (s *store) takeActivityTask(ctx context.Context, arn, worker string) (*takenTask, error) {
	var t *takenTask
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.clock.Now().UnixNano()
		after := int64(-1)
		for {
			var seq, hbSeconds int64
			var taskStatus, execStatus sql.NullString
			var timeout sql.NullInt64
			c := takenTask{}
			err := tx.QueryRow(`SELECT a.seq, a.token, a.input, COALESCE(t.exec_id, 0), COALESCE(t.nested, 0), COALESCE(t.hb_seconds, 0), t.status, x.status, t.timeout_ns
				FROM sfn_activity_tasks a LEFT JOIN sfn_tasks t ON t.token = a.token LEFT JOIN sfn_executions x ON x.id = t.exec_id
				WHERE a.activity_arn = ? AND a.started_ns IS NULL AND a.seq > ?
				ORDER BY a.seq LIMIT 1`, arn, after).Scan(&seq, &c.token, &c.input, &c.execID, &c.nested, &hbSeconds, &taskStatus, &execStatus, &timeout)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read activity tasks: %w", err)
			}
			after = seq
			if taskStatus.String != taskPending || execStatus.String != string(StatusRunning) {
				if _, err := tx.Exec(`DELETE FROM sfn_activity_tasks WHERE seq = ?`, seq); err != nil {
					return fmt.Errorf("delete closed activity task: %w", err)
				}
				continue
			}
			if timeout.Valid && timeout.Int64 <= now {
				continue // the engine is about to time it out
			}
			if _, err := tx.Exec(`UPDATE sfn_activity_tasks SET worker = ?, started_ns = ? WHERE seq = ?`, worker, now, seq); err != nil {
				return fmt.Errorf("start activity task: %w", err)
			}
			if hbSeconds > 0 {
				c.hbAt = now + hbSeconds*int64(time.Second)
				if _, err := tx.Exec(`UPDATE sfn_tasks SET hb_ns = ? WHERE token = ?`, c.hbAt, c.token); err != nil {
					return fmt.Errorf("start heartbeat timer: %w", err)
				}
			}
			t = &c
			return nil
		}
	})
	return t, err
}

// activityStart returns the worker's taking of the activity task of token,
// nil while no worker has taken it (or token is no activity task).
func (s *store) activityStart(ctx context.Context, token string) (*asl.ActivityStart, error) {
	var worker sql.NullString
	var started, hb sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT a.worker, a.started_ns, t.hb_ns FROM sfn_activity_tasks a JOIN sfn_tasks t ON t.token = a.token WHERE a.token = ?`, token).
		Scan(&worker, &started, &hb)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !started.Valid {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read activity task: %w", err)
	}
	return &asl.ActivityStart{Worker: worker.String, HeartbeatAt: hb.Int64}, nil
}

// activitySummaries lists the activities by name, each with its pending
// tasks of running executions not yet taken (and not timed out at now) and
// taken.
func (s *store) activitySummaries(ctx context.Context, now int64) ([]ActivitySummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.arn, a.name,
		(SELECT COUNT(*) FROM sfn_activity_tasks k JOIN sfn_tasks t ON t.token = k.token JOIN sfn_executions x ON x.id = t.exec_id
		  WHERE k.activity_arn = a.arn AND k.started_ns IS NULL AND t.status = ? AND x.status = 'RUNNING' AND (t.timeout_ns IS NULL OR t.timeout_ns > ?)),
		(SELECT COUNT(*) FROM sfn_activity_tasks k JOIN sfn_tasks t ON t.token = k.token JOIN sfn_executions x ON x.id = t.exec_id
		  WHERE k.activity_arn = a.arn AND k.started_ns IS NOT NULL AND t.status = ? AND x.status = 'RUNNING')
		FROM sfn_activities a ORDER BY a.name`, taskPending, now, taskPending)
	if err != nil {
		return nil, fmt.Errorf("summarize activities: %w", err)
	}
	defer rows.Close()
	var out []ActivitySummary
	for rows.Next() {
		var a ActivitySummary
		if err := rows.Scan(&a.ARN, &a.Name, &a.Waiting, &a.InProgress); err != nil {
			return nil, fmt.Errorf("summarize activities: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
