package sfn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The store's side of deleting state machines, describing the machine of
// an execution, and tags.

// deleteStateMachine deletes state machine arn at once when none of its
// executions runs, or marks it DELETING, and returns how many run.
func (s *store) deleteStateMachine(ctx context.Context, arn string) (int, error) {
	var running int
	added := false // this call added arn to s.deleting
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT COUNT(*) FROM sfn_executions WHERE sm_arn = ? AND status = 'RUNNING'`, arn).Scan(&running); err != nil {
			return fmt.Errorf("count running executions: %w", err)
		}
		if running > 0 {
			// Before the update, so that no finish committed after it misses it.
			if _, had := s.deleting.LoadOrStore(arn, struct{}{}); !had {
				added = true
			}
			_, err := tx.Exec(`UPDATE sfn_state_machines SET status = ? WHERE arn = ?`, machineDeleting, arn)
			return err
		}
		return dropMachine(tx, arn)
	})
	if err != nil && added {
		s.deleting.Delete(arn) // not DELETING after all
	}
	return running, err
}

// dropMachine deletes state machine arn and its tags.
func dropMachine(tx *sql.Tx, arn string) error {
	if _, err := tx.Exec(`DELETE FROM sfn_state_machines WHERE arn = ?`, arn); err != nil {
		return fmt.Errorf("delete state machine: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM sfn_tags WHERE arn = ?`, arn); err != nil {
		return fmt.Errorf("delete tags: %w", err)
	}
	return nil
}

// dropDeletedMachine deletes the state machine of execution execID, which
// has just closed, if it is DELETING and no other execution of it runs. It
// runs with every closing execution, so it is one statement that finds
// nothing to delete, not a query and then a delete.
func dropDeletedMachine(tx *sql.Tx, execID int64) error {
	res, err := tx.Exec(`DELETE FROM sfn_state_machines WHERE arn = (SELECT sm_arn FROM sfn_executions WHERE id = ?) AND status = ?
		AND NOT EXISTS (SELECT 1 FROM sfn_executions r WHERE r.sm_arn = sfn_state_machines.arn AND r.status = 'RUNNING')`, execID, machineDeleting)
	if err != nil {
		return fmt.Errorf("delete deleted state machine: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if _, err := tx.Exec(`DELETE FROM sfn_tags WHERE arn = (SELECT sm_arn FROM sfn_executions WHERE id = ?)`, execID); err != nil {
		return fmt.Errorf("delete tags: %w", err)
	}
	return nil
}

// deletingMachines returns the ARNs of the state machines being deleted.
func (s *store) deletingMachines(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT arn FROM sfn_state_machines WHERE status = ?`, machineDeleting)
	if err != nil {
		return nil, fmt.Errorf("read deleting state machines: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var arn string
		if err := rows.Scan(&arn); err != nil {
			return nil, fmt.Errorf("read deleting state machines: %w", err)
		}
		out = append(out, arn)
	}
	return out, rows.Err()
}

// machineForExecution reads the state machine of execution arn with the
// definition and role the execution runs with.
func (s *store) machineForExecution(ctx context.Context, arn string) (*StateMachine, error) {
	sm := &StateMachine{}
	var name, status, logging sql.NullString
	var updated sql.NullInt64
	var tracing sql.NullBool
	err := s.db.QueryRowContext(ctx, `SELECT x.sm_arn, d.definition, x.role_arn, m.name, m.status, m.updated_ns, m.logging, m.tracing
		FROM sfn_executions x JOIN sfn_definitions d ON d.hash = x.def_hash LEFT JOIN sfn_state_machines m ON m.arn = x.sm_arn WHERE x.arn = ?`, arn).
		Scan(&sm.ARN, &sm.Definition, &sm.RoleARN, &name, &status, &updated, &logging, &tracing)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apiErr(CodeExecutionDoesNotExist, "Execution Does Not Exist: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("describe state machine for execution: %w", err)
	}
	sm.Name, sm.Status, sm.Type, sm.TracingEnabled = nameFromARN(sm.ARN), status.String, "STANDARD", tracing.Bool
	if updated.Valid {
		sm.UpdateDate = time.Unix(0, updated.Int64)
	}
	if sm.Logging, err = decodeLogging(logging.String); err != nil {
		return nil, fmt.Errorf("describe state machine for execution %s: %w", arn, err)
	}
	return sm, nil
}

// resourceExists returns ResourceNotFound unless a state machine or
// activity arn exists.
func resourceExists(tx *sql.Tx, arn string) error {
	var n int
	if err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM sfn_state_machines WHERE arn = ?) + (SELECT COUNT(*) FROM sfn_activities WHERE arn = ?)`, arn, arn).Scan(&n); err != nil {
		return fmt.Errorf("read resource: %w", err)
	}
	if n == 0 {
		return apiErr(CodeResourceNotFound, "Resource not found: '%s'", arn)
	}
	return nil
}

// putTags adds or replaces tags on arn.
func putTags(tx *sql.Tx, arn string, tags map[string]string) error {
	for k, v := range tags {
		if _, err := tx.Exec(`INSERT INTO sfn_tags (arn, key, value) VALUES (?, ?, ?) ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value`, arn, k, v); err != nil {
			return fmt.Errorf("tag %s: %w", arn, err)
		}
	}
	return nil
}

// tagResource adds tags to and removes keys from an existing resource; at
// most 50 tags may result.
func (s *store) tagResource(ctx context.Context, arn string, tags map[string]string, keys []string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := resourceExists(tx, arn); err != nil {
			return err
		}
		if err := putTags(tx, arn, tags); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.Exec(`DELETE FROM sfn_tags WHERE arn = ? AND key = ?`, arn, k); err != nil {
				return fmt.Errorf("untag %s: %w", arn, err)
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM sfn_tags WHERE arn = ?`, arn).Scan(&n); err != nil {
			return fmt.Errorf("count tags: %w", err)
		}
		if n > 50 {
			return apiErr(CodeTooManyTags, "Too many tags: a resource can have at most 50 tags")
		}
		return nil
	})
}

// listTags reads the tags of an existing resource, by key.
func (s *store) listTags(ctx context.Context, arn string) ([]Tag, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := resourceExists(tx, arn); err != nil {
		return nil, err
	}
	rows, err := tx.Query(`SELECT key, value FROM sfn_tags WHERE arn = ? ORDER BY key`, arn)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	defer rows.Close()
	out := []Tag{}
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
