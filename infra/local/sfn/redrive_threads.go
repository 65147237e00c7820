package sfn

import (
	"database/sql"
	"fmt"

	"loanflow/infra/local/asl"
)

// A redrive reruns only what did not succeed: "For workflows that include an
// Inline Map or Parallel state, RedriveExecution API action reschedules and
// redrives only the iterations and branches that failed or aborted" (API
// reference, RedriveExecution). An unsuccessful execution keeps its Map
// iterations' and Parallel branches' checkpoints (sfn_threads) for that; a
// successful one drops them.
//
// At the redrive, the Map or Parallel state the execution stopped in is
// resumed where it was (see restartCursor), so it finds its threads again:
// a succeeded iteration or branch keeps its output and is not run again, a
// failed one runs again from its start, and one that was interrupted (the
// Map or Parallel failed around it, the execution was stopped or timed out)
// enters again the state it was in. Threads that only compute are never
// checkpointed and run again: doing so is invisible.

// redriveThreads prepares the checkpointed threads of execution id for its
// redrive: failed threads are dropped (they run again from their start),
// interrupted ones restart the state they were in.
func redriveThreads(tx *sql.Tx, id int64) error {
	if _, err := tx.Exec(`DELETE FROM sfn_threads WHERE exec_id = ? AND status = ?`, id, string(asl.ThreadFailed)); err != nil {
		return fmt.Errorf("redrive threads: %w", err)
	}
	rows, err := tx.Query(`SELECT path, cursor FROM sfn_threads WHERE exec_id = ? AND status = ?`, id, string(asl.ThreadRunning))
	if err != nil {
		return fmt.Errorf("redrive threads: %w", err)
	}
	type restart struct{ path, cursor string }
	var restarts []restart
	for rows.Next() {
		var path string
		var stored sql.NullString
		if err := rows.Scan(&path, &stored); err != nil {
			rows.Close()
			return fmt.Errorf("redrive threads: %w", err)
		}
		c, err := restartCursor(stored)
		if err != nil {
			rows.Close()
			return fmt.Errorf("redrive thread %s: %w", path, err)
		}
		if s, ok := c.(string); ok {
			restarts = append(restarts, restart{path, s})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("redrive threads: %w", err)
	}
	for _, r := range restarts {
		if _, err := tx.Exec(`UPDATE sfn_threads SET cursor = ? WHERE exec_id = ? AND path = ?`, r.cursor, id, r.path); err != nil {
			return fmt.Errorf("redrive thread %s: %w", r.path, err)
		}
	}
	return nil
}

// restartCursor turns where a thread stopped into where its redrive starts:
// a Map or Parallel state that had started its threads resumes as it was
// (it finds its threads' checkpoints under the same paths); any other state
// is entered again, with the same input and variables. No cursor (the
// thread stopped before its first checkpoint) is nil: it starts afresh.
func restartCursor(stored sql.NullString) (any, error) {
	if !stored.Valid {
		return nil, nil
	}
	cur, err := asl.DecodeCursor(stored.String)
	if err != nil {
		return nil, err
	}
	if !cur.Started {
		cur = &asl.Cursor{State: cur.State, Input: cur.Input, Vars: cur.Vars}
	}
	b, err := cur.Encode()
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
