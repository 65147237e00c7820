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
// none is idle, so a call never waits for another to finish. A goroutine
// idle for longer than the pool's idle limit, or once the pool is closed,
// ends.
type Pool struct {
	work chan func()
	idle time.Duration
	quit chan struct{}
	once sync.Once
}

// New returns a pool whose goroutines end after idle without a call.
func New(idle time.Duration) *Pool {
	return &Pool{work: make(chan func()), idle: idle, quit: make(chan struct{})}
}

// Go runs f on a goroutine of the pool: an idle one, or a new one. It does
// not wait for f. f must not panic (recover inside it), as with the go
// statement, a panic ends the process.
func (p *Pool) Go(f func()) {
	select {
	case p.work <- f:
	default:
		go p.worker(f)
	}
}

func (p *Pool) worker(f func()) {
	f()
	p.serve()
}

// padSize is the stack a worker keeps in use below the calls it runs. The
// garbage collector halves the stack of a goroutine that uses less than a
// quarter of it, so an idle worker would lose, a half at each cycle, the
// stack its calls grew, and grow it again, copy by copy, on its next call;
// with this much in use it keeps a stack of up to four times as much.
const padSize = 16 << 10

// serve runs calls until the worker has been idle too long or the pool
// closes, with padSize bytes of stack in use under them.
func (p *Pool) serve() {
	var pad [padSize]byte
	hold(&pad)
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		select {
		case f := <-p.work:
			f()
			t.Reset(p.idle)
		case <-t.C:
			return
		case <-p.quit:
			return
		}
	}
}

// Close ends the idle goroutines; running calls finish first. Later calls
// each run on a new goroutine.
func (p *Pool) Close() { p.once.Do(func() { close(p.quit) }) }

// hold keeps pad on its goroutine's stack (it does not escape).
//
//go:noinline
func hold(pad *[padSize]byte) { _ = pad }
