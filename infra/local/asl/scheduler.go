package asl

import (
	"context"
	"time"
)

// scheduler wakes executions whose durable deadline (wake_ns) has come. It
// keeps no per-execution state in memory: it scans the indexed wake_ns
// column, then sleeps until the earliest future deadline or a poke.
func (e *Engine) scheduler() {
	defer e.wg.Done()
	for {
		next, err := e.scanDue()
		if err != nil {
			e.log.Error("scan timers", "error", err.Error())
			next = e.clock.Now().Add(time.Second).UnixNano()
		}
		var timerC <-chan time.Time
		var t Timer
		if next != 0 {
			t = e.clock.NewTimer(time.Duration(next - e.clock.Now().UnixNano()))
			timerC = t.C()
		}
		select {
		case <-e.stop:
			if t != nil {
				t.Stop()
			}
			return
		case <-e.poke:
		case <-timerC:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// scanDue enqueues every execution due by now and returns the next deadline
// (0 when none).
func (e *Engine) scanDue() (int64, error) {
	e.smu.Lock()
	defer e.smu.Unlock()
	now := e.clock.Now().UnixNano()
	for {
		rows, err := e.db.QueryContext(context.Background(), `SELECT id FROM sfn_executions WHERE wake_ns IS NOT NULL AND wake_ns > ? AND wake_ns <= ?`, e.scanned, now)
		if err != nil {
			return 0, err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			e.enqueue(id, nil)
		}
		e.scanned = now
		var next *int64
		if err := e.db.QueryRow(`SELECT MIN(wake_ns) FROM sfn_executions WHERE wake_ns > ?`, now).Scan(&next); err != nil {
			return 0, err
		}
		if next == nil {
			return 0, nil
		}
		return *next, nil
	}
}

// notifyWake tells the scheduler about a committed deadline.
func (e *Engine) notifyWake(id int64, wake int64) {
	e.smu.Lock()
	due := wake <= e.scanned
	e.smu.Unlock()
	if due {
		e.enqueue(id, nil)
		return
	}
	select {
	case e.poke <- struct{}{}:
	default:
	}
}
