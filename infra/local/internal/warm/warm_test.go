package warm

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestGoDoesNotWaitForARunningCall(t *testing.T) {
	p := New(time.Minute)
	defer p.Close()
	release := make(chan struct{})
	started := make(chan struct{})
	p.Go(func() { close(started); <-release })
	<-started
	done := make(chan struct{})
	p.Go(func() { close(done) }) // the first goroutine is busy: a new one runs this
	<-done
	close(release)
}

func TestAnIdleGoroutineTakesTheNextCall(t *testing.T) {
	p := New(time.Minute)
	defer p.Close()
	first := make(chan uint64)
	p.Go(func() { first <- goid() })
	id := <-first
	// Once that goroutine is back on the idle list (on a busy machine it
	// may take a while after its call returned), it runs the next call.
	for deadline := time.Now().Add(10 * time.Second); idleCount(p) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the goroutine never went back on the idle list")
		}
	}
	next := make(chan uint64)
	p.Go(func() { next <- goid() })
	if got := <-next; got != id {
		t.Fatalf("the call ran on goroutine %d, not on the idle one (%d)", got, id)
	}
}

// idleCount is the number of goroutines on p's idle list.
func idleCount(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ready)
}

func TestCloseEndsIdleGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	p := New(time.Hour)
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 8 {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); <-release })
	}
	close(release)
	wg.Wait()
	p.Close()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before the pool", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	p.Go(func() { close(done) }) // a closed pool still runs calls
	<-done
}

func TestIdleGoroutinesEnd(t *testing.T) {
	before := runtime.NumGoroutine()
	p := New(time.Millisecond)
	defer p.Close()
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the idle limit, %d before the pool", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
}

// goid is a goroutine's id from its stack trace header.
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	var id uint64
	for _, c := range buf[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// The goroutine idle the shortest time takes the next call.
func TestTheMostRecentlyIdleGoroutineTakesTheNextCall(t *testing.T) {
	p := New(time.Minute)
	defer p.Close()
	release := make([]chan struct{}, 3)
	type call struct {
		i  int
		id uint64
	}
	calls := make(chan call, 3)
	for i := range release {
		release[i] = make(chan struct{})
		r := release[i]
		p.Go(func() { calls <- call{i, goid()}; <-r })
	}
	started := map[uint64]int{}
	for range release {
		c := <-calls
		started[c.id] = c.i
	}
	// Free them in the order 0, 2, 1: then 1 is the most recently idle.
	for _, i := range []int{0, 2, 1} {
		close(release[i])
		for deadline := time.Now().Add(5 * time.Second); idle(p) < len(started)-countOpen(release); {
			if time.Now().After(deadline) {
				t.Fatal("a freed goroutine did not come back to the pool")
			}
			time.Sleep(time.Millisecond)
		}
	}
	next := make(chan uint64)
	p.Go(func() { next <- goid() })
	if got := started[<-next]; got != 1 {
		t.Fatalf("the call ran on goroutine %d, want 1 (the most recently idle)", got)
	}
}

func idle(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ready)
}

func countOpen(cs []chan struct{}) int {
	n := 0
	for _, c := range cs {
		select {
		case <-c:
		default:
			n++
		}
	}
	return n
}

// Every call runs, also when goroutines reach their idle limit while calls
// are handed to them.
func TestEveryCallRunsAsGoroutinesExpire(t *testing.T) {
	p := New(time.Microsecond)
	defer p.Close()
	var wg sync.WaitGroup
	for range 20000 {
		wg.Add(1)
		p.Go(wg.Done)
	}
	wg.Wait()
}
