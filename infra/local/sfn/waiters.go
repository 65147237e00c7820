package sfn

import (
	"context"
	"sync"
	"time"

	"loanflow/infra/local/asl"
)

// tokenWaiters routes the answers to task tokens (SendTaskSuccess, Failure,
// Heartbeat) to the nested threads waiting on them in this process. A
// top-level thread waits without a goroutine: its answer resumes the
// execution through the queue instead.
type tokenWaiters struct {
	mu sync.Mutex
	by map[string]chan asl.TaskSignal
}

// watch registers interest in a token; false if it was registered already.
func (w *tokenWaiters) watch(token string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.by[token]; ok {
		return false
	}
	if w.by == nil {
		w.by = map[string]chan asl.TaskSignal{}
	}
	w.by[token] = make(chan asl.TaskSignal, 4)
	return true
}

func (w *tokenWaiters) unwatch(token string) {
	w.mu.Lock()
	delete(w.by, token)
	w.mu.Unlock()
}

// channel returns the channel of a watched token (nil if not watched).
func (w *tokenWaiters) channel(token string) chan asl.TaskSignal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.by[token]
}

// signal passes s to the thread waiting on token, if any (and drops it when
// that thread has signals pending already).
func (w *tokenWaiters) signal(token string, s asl.TaskSignal) {
	if ch := w.channel(token); ch != nil {
		select {
		case ch <- s:
		default:
		}
	}
}

// await makes a nested thread wait (holding its goroutine) until until, an
// answer to token ("" for none), the engine's close or ctx's end.
func (e *Engine) await(ctx context.Context, token string, until time.Time) (asl.TaskSignal, error) {
	if token != "" && e.tokens.watch(token) {
		// Resumed after a restart: the answer may have come while nobody
		// watched the token.
		o, err := e.store.completedOutcome(ctx, token)
		if err != nil {
			return asl.TaskSignal{}, err
		}
		start, err := e.store.activityStart(ctx, token)
		if err != nil {
			return asl.TaskSignal{}, err
		}
		if o != nil {
			e.tokens.unwatch(token)
		}
		if o != nil || start != nil {
			return asl.TaskSignal{Outcome: o, Start: start}, nil
		}
	}
	var sig chan asl.TaskSignal
	if token != "" {
		sig = e.tokens.channel(token)
	}
	var timerC <-chan time.Time
	if !until.IsZero() {
		t := e.clock.NewTimer(until.Sub(e.clock.Now()))
		defer t.Stop()
		timerC = t.C()
	}
	select {
	case <-ctx.Done():
		return asl.TaskSignal{}, asl.ErrInterrupted
	case <-e.stop:
		return asl.TaskSignal{}, asl.ErrInterrupted
	case <-timerC:
		return asl.TaskSignal{}, nil
	case s := <-sig:
		if s.Outcome != nil {
			e.tokens.unwatch(token)
		}
		return s, nil
	}
}

// closeWaiters wakes WaitExecution callers when their execution closes, so a
// waiter re-reads its execution once per close instead of polling, or not at
// all when the close hands it the execution as it committed it.
type closeWaiters struct {
	mu sync.Mutex
	by map[string][]*closeWatch
}

// closeWatch is one watcher's wake-up: done is closed at the close, after x
// is set (nil when the closer did not know the whole execution).
type closeWatch struct {
	done chan struct{}
	x    *closedExecution
}

// closedExecution is an execution as its close committed it: what
// DescribeExecution would read of it then, except its redrive status, which
// depends on when it is read.
type closedExecution struct {
	Execution
	nextEvent int64 // the history's next event id, which redrivability reads
}

// describe returns x as DescribeExecution would read it at now: a copy of
// its own (the pointers too), so that callers may keep or change it.
func (x *closedExecution) describe(now time.Time) *Execution {
	d := x.Execution
	d.Output, d.Error, d.Cause = copyOf(d.Output), copyOf(d.Error), copyOf(d.Cause)
	d.StopDate, d.RedriveDate = copyOf(d.StopDate), copyOf(d.RedriveDate)
	d.RedriveStatus, d.RedriveStatusReason = redrivable(d.Status, d.StopDate, d.RedriveCount, x.nextEvent, now)
	return &d
}

// copyOf returns a pointer to a copy of *p (nil for nil).
func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// watch returns a watch woken at the next close of arn, and a func that
// stops watching.
func (w *closeWaiters) watch(arn string) (*closeWatch, func()) {
	cw := &closeWatch{done: make(chan struct{})}
	w.mu.Lock()
	if w.by == nil {
		w.by = map[string][]*closeWatch{}
	}
	w.by[arn] = append(w.by[arn], cw)
	w.mu.Unlock()
	return cw, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.by[arn]
		for i, c := range list {
			if c == cw {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(w.by, arn)
		} else {
			w.by[arn] = list
		}
	}
}

// closed wakes every watcher of arn with what build returns, the execution
// as its close committed it (build nil, or returning nil: the watchers read
// it). build runs only when arn has watchers.
func (w *closeWaiters) closed(arn string, build func() *closedExecution) {
	w.mu.Lock()
	list := w.by[arn]
	delete(w.by, arn)
	w.mu.Unlock()
	if len(list) == 0 {
		return
	}
	var x *closedExecution
	if build != nil {
		x = build()
	}
	for _, c := range list {
		c.x = x
		close(c.done)
	}
}
