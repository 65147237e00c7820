// Package wakeup wakes long pollers (SQS ReceiveMessage, Step Functions
// GetActivityTask) when what they wait for may have come.
package wakeup

import "sync"

// Broadcast wakes every waiter on a key at once. Each key has a channel
// that Notify closes and drops: a waiter that gives up has nothing to undo,
// and the next Wait on the key gets a new channel. The zero value is ready.
type Broadcast[K comparable] struct {
	mu    sync.Mutex
	chans map[K]chan struct{}
}

// Wait returns a channel closed at the next Notify of key.
func (b *Broadcast[K]) Wait(key K) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.chans == nil {
		b.chans = map[K]chan struct{}{}
	}
	ch, ok := b.chans[key]
	if !ok {
		ch = make(chan struct{})
		b.chans[key] = ch
	}
	return ch
}

// Waiting reports whether anyone has waited on key since its last Notify.
func (b *Broadcast[K]) Waiting(key K) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.chans[key]
	return ok
}

// Notify wakes the waiters on each of keys.
func (b *Broadcast[K]) Notify(keys ...K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, key := range keys {
		if ch, ok := b.chans[key]; ok {
			close(ch)
			delete(b.chans, key)
		}
	}
}
