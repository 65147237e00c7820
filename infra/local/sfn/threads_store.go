package sfn

import (
	"fmt"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
)

// saveThread checkpoints a nested thread of r (see asl.Thread) with the
// events r buffered.
func (e *Engine) saveThread(r *run, path string, t asl.Thread) error {
	row := threadRow{path: path, status: string(t.Status)}
	if t.Cursor != nil {
		b, err := t.Cursor.Encode()
		if err != nil {
			return fmt.Errorf("encode cursor of %s thread %s: %w", r.arn, path, err)
		}
		row.cursor = string(b)
	}
	if t.Status == asl.ThreadSucceeded {
		row.output = asl.EncodeJSON(t.Output)
	}
	if t.Err != nil {
		row.errName, row.errCause = t.Err.Name, t.Err.Cause
	}
	if err := e.store.saveThread(r.id, &r.journal, row); err != nil {
		return fmt.Errorf("checkpoint %s thread %s: %w", r.arn, path, err)
	}
	return nil
}

// loadThreads returns r's checkpointed threads under prefix, by index.
func (e *Engine) loadThreads(r *run, prefix string) (map[int]asl.Thread, error) {
	rows, err := e.store.loadThreads(r.id, prefix)
	if err != nil {
		return nil, fmt.Errorf("read threads of %s: %w", r.arn, err)
	}
	out := make(map[int]asl.Thread, len(rows))
	for i, row := range rows {
		t := asl.Thread{Status: asl.ThreadStatus(row.status)}
		switch t.Status {
		case asl.ThreadRunning:
			if t.Cursor, err = asl.DecodeCursor(row.cursor); err != nil {
				return nil, fmt.Errorf("thread %s of %s: %w", row.path, r.arn, err)
			}
		case asl.ThreadSucceeded:
			if t.Output, err = expr.Decode([]byte(row.output)); err != nil {
				return nil, fmt.Errorf("output of thread %s of %s: %w", row.path, r.arn, err)
			}
		case asl.ThreadFailed:
			t.Err = &asl.StateError{Name: row.errName, Cause: row.errCause}
		}
		out[i] = t
	}
	return out, nil
}
