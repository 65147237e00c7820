package local

import (
	"sort"
	"sync"
)

// Counters counts named events (the resolver's callback outcomes), as the
// CloudWatch metrics do on AWS.
type Counters struct {
	mu sync.Mutex
	m  map[string]int64
}

// NewCounters returns empty counters.
func NewCounters() *Counters { return &Counters{m: map[string]int64{}} }

// Count adds one to name.
func (c *Counters) Count(name string) {
	c.mu.Lock()
	c.m[name]++
	c.mu.Unlock()
}

// Snapshot copies the counters.
func (c *Counters) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

// Names lists counter names, sorted.
func (c *Counters) Names() []string {
	s := c.Snapshot()
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
