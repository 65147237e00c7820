package valuationcallback

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the callback metrics.
const MetricsNamespace = "Loanflow"

// MetricsService is the value of the Service dimension every metric carries,
// so dashboards can tell this resolver's counts from others in the namespace.
const MetricsService = "valuationcallback"

// Metric names, published in MetricsNamespace with the dimension Service=MetricsService.
const (
	// CallbacksResolved counts executions resumed with a valuation.
	CallbacksResolved = "CallbacksResolved"
	// CallbacksFailed counts executions resumed with ValuationFailed.
	CallbacksFailed = "CallbacksFailed"
	// CallbacksLate counts callbacks for tasks that had already timed out,
	// failed or expired.
	CallbacksLate = "CallbacksLate"
	// CallbacksDuplicate counts second callbacks for a resolved token.
	CallbacksDuplicate = "CallbacksDuplicate"
	// CallbacksUnknown counts callbacks on an unknown callback id.
	CallbacksUnknown = "CallbacksUnknown"
	// CallbacksRejected counts forged, stale, unsigned or malformed callbacks.
	CallbacksRejected = "CallbacksRejected"
)

// MetricNames lists every metric the resolver emits.
var MetricNames = []string{CallbacksResolved, CallbacksFailed, CallbacksLate, CallbacksDuplicate, CallbacksUnknown, CallbacksRejected}

// Metrics counts what happened to callbacks.
type Metrics interface {
	Count(name string)
}

// EMF writes each count as a CloudWatch Embedded Metric Format line, which
// CloudWatch Logs turns into a metric.
type EMF struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewEMF returns metrics written to w (os.Stdout in Lambda).
func NewEMF(w io.Writer) *EMF { return &EMF{w: w, now: time.Now} }

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Count implements Metrics.
func (e *EMF) Count(name string) {
	doc := map[string]any{
		"_aws": emfMeta{
			Timestamp: e.now().UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  MetricsNamespace,
				Dimensions: [][]string{{"Service"}},
				Metrics:    []emfMetric{{Name: name, Unit: "Count"}},
			}},
		},
		name:      1,
		"Service": MetricsService,
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return
	}
	b = append(b, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(b)
}

// Tally counts in memory: for tests and the local stack's console.
type Tally struct {
	mu     sync.Mutex
	counts map[string]int
}

// Count implements Metrics.
func (t *Tally) Count(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]int{}
	}
	t.counts[name]++
}

// Get returns the count of name.
func (t *Tally) Get(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[name]
}

// Snapshot returns a copy of every count.
func (t *Tally) Snapshot() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return out
}
