package wakeup

import "testing"

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Notify wakes every waiter on its keys, and only those; a Wait after it
// waits for the next Notify.
func TestBroadcast(t *testing.T) {
	var b Broadcast[string]
	a1, a2, other := b.Wait("a"), b.Wait("a"), b.Wait("b")
	if a1 != a2 {
		t.Fatal("waiters on one key should share a channel")
	}
	if !b.Waiting("a") || b.Waiting("c") {
		t.Fatalf("Waiting: a %v (want true), c %v (want false)", b.Waiting("a"), b.Waiting("c"))
	}
	b.Notify("a", "absent")
	if b.Waiting("a") {
		t.Fatal("a still waited on after its Notify")
	}
	if !closed(a1) || closed(other) {
		t.Fatalf("after Notify(a): a woken %v, b woken %v", closed(a1), closed(other))
	}
	if next := b.Wait("a"); closed(next) {
		t.Fatal("a Wait after Notify is already woken")
	}
	b.Notify("b")
	if !closed(other) {
		t.Fatal("Notify(b) did not wake b")
	}
}
