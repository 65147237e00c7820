package sfn

import (
	"context"
	"database/sql"

	"loanflow/infra/local/asl"
)

// readHistory returns up to n events of execution id after event from (or
// before it when reverse), merged from sfn_history rows and chunks.
func (s *store) readHistory(ctx context.Context, id, from int64, n int, reverse bool) ([]asl.Event, error) {
	rowQ := `SELECT id, prev, ts_ns, type, details FROM sfn_history WHERE exec_id = ? AND id > ? ORDER BY id LIMIT ?`
	chunkQ := `SELECT data FROM sfn_history_chunks WHERE exec_id = ? AND first_id >= COALESCE(
		(SELECT MAX(first_id) FROM sfn_history_chunks WHERE exec_id = ? AND first_id <= ?), 0) ORDER BY first_id`
	if reverse {
		rowQ = `SELECT id, prev, ts_ns, type, details FROM sfn_history WHERE exec_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
		chunkQ = `SELECT data FROM sfn_history_chunks WHERE exec_id = ? AND first_id < ? ORDER BY first_id DESC`
	}
	rows, err := s.db.QueryContext(ctx, rowQ, id, from, n)
	if err != nil {
		return nil, err
	}
	var single []asl.Event
	for rows.Next() {
		var ev asl.Event
		var details sql.NullString
		if err := rows.Scan(&ev.ID, &ev.Prev, &ev.Time, &ev.Type, &details); err != nil {
			rows.Close()
			return nil, err
		}
		if details.Valid {
			ev.Details = []byte(details.String)
		}
		single = append(single, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	args := []any{id, id, from + 1} // the chunk holding event from+1, and later ones
	if reverse {
		args = []any{id, from}
	}
	crows, err := s.db.QueryContext(ctx, chunkQ, args...)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	var chunked []asl.Event
	for len(chunked) < n && crows.Next() {
		var data []byte
		if err := crows.Scan(&data); err != nil {
			return nil, err
		}
		evs, err := decodeChunk(data)
		if err != nil {
			return nil, err
		}
		if reverse {
			for i := len(evs) - 1; i >= 0 && len(chunked) < n; i-- {
				if evs[i].ID < from {
					chunked = append(chunked, evs[i])
				}
			}
		} else {
			for i := 0; i < len(evs) && len(chunked) < n; i++ {
				if evs[i].ID > from {
					chunked = append(chunked, evs[i])
				}
			}
		}
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}

	out := make([]asl.Event, 0, min(n, len(single)+len(chunked)))
	for len(out) < n && (len(single) > 0 || len(chunked) > 0) {
		takeSingle := len(chunked) == 0 ||
			len(single) > 0 && (single[0].ID < chunked[0].ID) != reverse
		if takeSingle {
			out, single = append(out, single[0]), single[1:]
		} else {
			out, chunked = append(out, chunked[0]), chunked[1:]
		}
	}
	return out, nil
}
