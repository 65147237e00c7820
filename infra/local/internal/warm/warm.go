// Package warm runs short calls on goroutines that outlive them. A goroutine
// started per call begins with a small stack and grows it, copy by copy,
// through a deep call chain (the AWS SDK's middleware, a handler's decoding);
// a goroutine that already ran such a call keeps its grown stack for the next.
package warm

import (
	"sync"
	"time"
)

// Pool hands calls to idle goroutines of its own, starting a new one when
// none is idle, so a call never waits for another to finish. The goroutine
// idle the shortest time takes the next call: its stack is the likeliest to
// be in the processor's cache. A goroutine idle for longer than the pool's
// idle limit, or once the pool is closed, ends.
type Pool struct {
	idle   time.Duration
	mu     sync.Mutex
	ready  []*worker // idle workers, the most recently idle last
	closed bool
}

type worker struct {
	work chan func() // one call at a time: buffered so that Go never waits
	quit chan struct{}
}

// New returns a pool whose goroutines end after idle without a call.
func New(idle time.Duration) *Pool { return &Pool{idle: idle} }

// Go runs f on a goroutine of the pool: an idle one, or a new one. It does
// not wait for f. f must not panic (recover inside it): as with the go
// statement, a panic ends the process.
func (p *Pool) Go(f func()) {
	p.mu.Lock()
	if n := len(p.ready); n > 0 {
		w := p.ready[n-1]
		p.ready[n-1] = nil
		p.ready = p.ready[:n-1]
		p.mu.Unlock()
		w.work <- f
		return
	}
	p.mu.Unlock()
	go p.start(f)
}

func (p *Pool) start(f func()) {
	f()
	p.serve(&worker{work: make(chan func(), 1), quit: make(chan struct{})})
}

// padSize is the stack a worker keeps in use below the calls it runs. The
// garbage collector halves the stack of a goroutine that uses less than a
// quarter of it, so an idle worker would lose, a half at each cycle, the
// stack its calls grew, and grow it again, copy by copy, on its next call;
// with this much in use it keeps a stack of up to four times as much.
const padSize = 16 << 10

// serve runs calls until the worker has been idle too long or the pool
// closes, with padSize bytes of stack in use under them.
func (p *Pool) serve(w *worker) {
	var pad [padSize]byte
	hold(&pad)
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for p.park(w) {
		select {
		case f := <-w.work:
			f()
		case <-w.quit:
			return
		case <-t.C:
			if p.unpark(w) {
				return
			}
			// Go took it off the list as the timer fired: its call is coming.
			(<-w.work)()
		}
		t.Reset(p.idle)
	}
}

// park puts w on the idle list, unless the pool is closed.
func (p *Pool) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.ready = append(p.ready, w)
	return true
}

// unpark takes w off the idle list, and reports whether it was on it.
func (p *Pool) unpark(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range p.ready {
		if r == w {
			n := len(p.ready) - 1
			copy(p.ready[i:], p.ready[i+1:])
			p.ready[n] = nil
			p.ready = p.ready[:n]
			return true
		}
	}
	return false
}

// Close ends the idle goroutines; running calls finish first. Later calls
// each run on a new goroutine.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, w := range p.ready {
		close(w.quit)
	}
	p.ready = nil
}

// hold keeps pad on its goroutine's stack (it does not escape).
//
//go:noinline
func hold(pad *[padSize]byte) { _ = pad }
