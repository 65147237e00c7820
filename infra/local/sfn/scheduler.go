package sfn

import "time"

// scheduler wakes executions whose durable deadline (wake_ns) has come. It
// keeps no per-execution state in memory: it scans the indexed wake_ns
// column, then sleeps until the earliest future deadline or a poke.
func (e *Engine) scheduler() {
	defer e.wg.Done()
	for {
		next, err := e.scanDue()
		if err != nil {
			e.log.Error("scan timers", "err", err)
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
	ids, err := e.store.dueExecutions(e.scanned, now)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		e.enqueue(id, nil)
	}
	e.scanned = now
	next, err := e.store.nextWake(now)
	if err != nil {
		e.nextScan = 0
		return 0, err
	}
	e.nextScan = next
	return next, nil
}

// notifyWake tells the scheduler about a committed deadline. One at or
// after the deadline the scheduler sleeps until needs no new scan: the scan
// it makes then finds it (due, or the next deadline). Most deadlines are
// such (a task's timeout, minutes or a year away, after the earlier ones
// of other executions), so most checkpoints cost the scheduler nothing.
func (e *Engine) notifyWake(id int64, wake int64) {
	e.smu.Lock()
	due := wake <= e.scanned
	later := e.nextScan != 0 && wake >= e.nextScan
	e.smu.Unlock()
	if due {
		e.enqueue(id, nil)
		return
	}
	if later {
		return
	}
	select {
	case e.poke <- struct{}{}:
	default:
	}
}
