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
// a succeeded iteration or branch keeps its output and is not run again; a
// failed one, or one that was interrupted (the Map or Parallel failed
// around it, the execution was stopped or timed out), enters again the
// state where it stopped, with the input it had there, and the states it
// had passed are not run again. The same holds inside a Map or Parallel
// nested in them. Threads that only compute are never
// checkpointed and run again: doing so is invisible.

// redriveThreads prepares the checkpointed threads of execution id for its
// redrive: failed and interrupted threads run again from the state where
// they stopped (see restartCursor).
func redriveThreads(tx *sql.Tx, id int64) error {
	// A failed thread that kept no cursor (written before threads kept one)
	// runs again from its start.
	if _, err := tx.Exec(`DELETE FROM sfn_threads WHERE exec_id = ? AND status = ? AND cursor IS NULL`, id, string(asl.ThreadFailed)); err != nil {
		return fmt.Errorf("redrive threads: %w", err)
	}
	rows, err := tx.Query(`SELECT path, cursor FROM sfn_threads WHERE exec_id = ? AND status IN (?, ?)`, id, string(asl.ThreadRunning), string(asl.ThreadFailed))
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
		if _, err := tx.Exec(`UPDATE sfn_threads SET status = ?, cursor = ?, error = NULL, cause = NULL WHERE exec_id = ? AND path = ?`,
			string(asl.ThreadRunning), r.cursor, id, r.path); err != nil {
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
