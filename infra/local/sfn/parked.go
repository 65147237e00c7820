package sfn

import (
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxParkedRows bounds the parked rows an engine keeps: enough for the
// executions that a busy stack parks for a moment (a loan waits for its
// valuation some milliseconds), bounded in memory whatever else waits.
const maxParkedRows = 512

// parkedRows keeps, for the executions its workers parked last (a
// checkpoint that waits: a task token, a timer), the row as that checkpoint
// committed it, so that resuming one (SendTaskSuccess, its timer) need not
// read it again. Only the worker that holds an execution writes its row
// while it runs, except StopExecution: a stop makes every row kept before
// it stale (stops counts them), and the row is then read. A row is used
// once (take); the oldest are dropped beyond maxParkedRows.
type parkedRows struct {
	stops atomic.Uint64 // StopExecution calls so far

	mu   sync.Mutex
	by   map[int64]parkedRow
	ring [maxParkedRows]parkedSlot // ids in the order they were kept
	next int                       // ring slot to fill next
	seq  uint64
}

type parkedRow struct {
	row   execRow
	stops uint64 // stops when the checkpoint began
	seq   uint64
}

type parkedSlot struct {
	id  int64
	seq uint64
}

// stopping is called before and after each StopExecution's write,
// whatever its outcome: the rows kept until then are not used.
func (p *parkedRows) stopping() { p.stops.Add(1) }

// keep records row, committed by a checkpoint of execution id that began
// when stops was at stops.
func (p *parkedRows) keep(id int64, row execRow, stops uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by == nil {
		p.by = make(map[int64]parkedRow, maxParkedRows)
	}
	if old := p.ring[p.next]; old.seq != 0 {
		if r, ok := p.by[old.id]; ok && r.seq == old.seq {
			delete(p.by, old.id)
		}
	}
	p.seq++
	p.ring[p.next] = parkedSlot{id: id, seq: p.seq}
	p.next = (p.next + 1) % maxParkedRows
	p.by[id] = parkedRow{row: row, stops: stops, seq: p.seq}
}

// take returns and forgets the row kept for execution id, if any and no
// StopExecution came since its checkpoint began.
func (p *parkedRows) take(id int64) (*execRow, bool) {
	p.mu.Lock()
	r, ok := p.by[id]
	if ok {
		delete(p.by, id)
	}
	p.mu.Unlock()
	if !ok || r.stops != p.stops.Load() {
		return nil, false
	}
	return &r.row, true
}

// size is the number of rows kept.
func (p *parkedRows) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.by)
}

// parkedRow returns r's row as a checkpoint that parks it at cursor,
// with its history's next event id next, commits it (false: r lacks a
// deadline, which a row always has, and keeps none).
func (r *run) parkedRow(cursor string, next int64) (execRow, bool) {
	if r.deadline.IsZero() {
		return execRow{}, false
	}
	row := execRow{
		arn: r.arn, smARN: r.smARN, name: r.name, hash: r.hash, roleARN: r.roleARN, status: string(StatusRunning),
		input: r.input, startNS: r.start.UnixNano(), deadline: sql.NullInt64{Int64: r.deadline.UnixNano(), Valid: true},
		cursor: sql.NullString{String: cursor, Valid: true}, nextEvent: next, redriveCount: r.redriveCount,
	}
	if r.redriveDate != nil {
		row.redriveNS = sql.NullInt64{Int64: r.redriveDate.UnixNano(), Valid: true}
	}
	return row, true
}
