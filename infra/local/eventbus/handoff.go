package eventbus

import (
	"context"
	"time"
)

// handoff carries the deliveries that PutEvents commits straight to the
// delivery workers. Their rows are written already leased to this process,
// as the delivery loop's claim would lease them, in the transaction that
// records the events, and they start as soon as it commits: no second
// write to claim them, no wake-up of the loop, no query for what is due.
// Delivery stays durable and at least once: the rows are committed before
// PutEvents answers, and a crash before or during a delivery leaves its row
// leased, due again at the next start, as any delivery a crash interrupts
// is. It is taken only when a worker is free for every
// delivery of the call and the loop runs; otherwise the rows are written
// due and the loop claims them.
type handoff struct {
	ctx   context.Context // the delivery loop's
	until time.Time       // the lease's end
	ds    []delivery      // the leased rows, filled by recordTx
}

// reserve takes a worker for each of n deliveries, all or none, and returns
// the handoff that will start them; nil when the bus does not run or too
// few workers are free.
func (b *Bus) reserve(n int, now time.Time) *handoff {
	if n == 0 {
		return nil
	}
	b.runMu.Lock()
	defer b.runMu.Unlock()
	if !b.running {
		return nil
	}
	for i := range n {
		select {
		case b.sem <- struct{}{}:
		default:
			for range i {
				<-b.sem
			}
			return nil
		}
	}
	// Counted while running, under runMu: Close cannot be waiting yet.
	b.wg.Add(n)
	return &handoff{ctx: b.runCtx, until: now.Add(b.lease())}
}

// release gives back n reserved workers that will not deliver.
func (b *Bus) release(n int) {
	for range n {
		<-b.sem
		b.wg.Done()
	}
}

// start runs the committed deliveries of h on their reserved workers and
// gives back the workers of any that were not written; n is how many were
// reserved.
func (b *Bus) start(h *handoff, n int) {
	for _, d := range h.ds {
		go func(d delivery) {
			defer b.wg.Done()
			defer func() { <-b.sem }()
			b.deliver(h.ctx, d)
		}(d)
	}
	b.release(n - len(h.ds))
}
