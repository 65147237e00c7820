package asl

import "sync"

// closeWaiters wakes WaitExecution callers when their execution closes, so a
// waiter re-reads its execution once per close instead of polling.
type closeWaiters struct {
	mu sync.Mutex
	by map[string][]chan struct{}
}

// watch returns a channel closed at the next close of arn, and a func that
// stops watching.
func (w *closeWaiters) watch(arn string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	if w.by == nil {
		w.by = map[string][]chan struct{}{}
	}
	w.by[arn] = append(w.by[arn], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.by[arn]
		for i, c := range list {
			if c == ch {
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

// closed wakes every watcher of arn.
func (w *closeWaiters) closed(arn string) {
	w.mu.Lock()
	list := w.by[arn]
	delete(w.by, arn)
	w.mu.Unlock()
	for _, c := range list {
		close(c)
	}
}
