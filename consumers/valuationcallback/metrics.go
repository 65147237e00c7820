package valuationcallback

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the callback metrics.
const MetricsNamespace = "Loanflow"

// MetricsService is the value of the Service dimension every metric carries,
// so dashboards can tell this resolver's counts from others in the namespace.
const MetricsService = "valuationcallback"

// The dimensions of every metric: Service (MetricsService) and, on AWS,
// FunctionName (the function's own name, which tells stages sharing an
// account apart).
const (
	DimensionService      = "Service"
	DimensionFunctionName = "FunctionName"
)

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
//
// Lambda's log-level filtering reads every JSON line of a function with JSON
// logs: a line without a "level" (or without a valid RFC 3339 "timestamp")
// counts as INFO and is dropped when the function logs at WARN or ERROR.
// So each metric line carries a timestamp and the level the function is
// filtered at (at least INFO): whatever the level, the metrics arrive.
type EMF struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	level string
	dims  []string
	fn    string
}

// EMFOptions configures an EMF.
type EMFOptions struct {
	// LogLevel is the function's application log level, the one Lambda
	// filters at (AWS_LAMBDA_LOG_LEVEL; Config.LogLevel).
	LogLevel string
	// FunctionName, when set, is the FunctionName dimension
	// (AWS_LAMBDA_FUNCTION_NAME in Lambda).
	FunctionName string
}

// NewEMF returns metrics written to w (os.Stdout in Lambda).
func NewEMF(w io.Writer, o EMFOptions) *EMF {
	e := &EMF{w: w, now: time.Now, level: MetricLineLevel(o.LogLevel), dims: []string{DimensionService}, fn: o.FunctionName}
	if o.FunctionName != "" {
		e.dims = append(e.dims, DimensionFunctionName)
	}
	return e
}

// lambdaLevels are Lambda's application log levels, most detailed first.
var lambdaLevels = []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// MetricLineLevel is the level a metric line carries when the function is
// filtered at logLevel: that level itself, which Lambda always keeps, and
// never below INFO; INFO when logLevel is not one of Lambda's.
func MetricLineLevel(logLevel string) string {
	l := strings.ToUpper(strings.TrimSpace(logLevel))
	if l == "WARNING" {
		l = "WARN"
	}
	for i, name := range lambdaLevels {
		if name == l {
			return lambdaLevels[max(i, 2)]
		}
	}
	return "INFO"
}

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
	now := e.now()
	doc := map[string]any{
		"_aws": emfMeta{
			Timestamp: now.UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  MetricsNamespace,
				Dimensions: [][]string{e.dims},
				Metrics:    []emfMetric{{Name: name, Unit: "Count"}},
			}},
		},
		"level":          e.level,
		"timestamp":      now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		name:             1,
		DimensionService: MetricsService,
	}
	if e.fn != "" {
		doc[DimensionFunctionName] = e.fn
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

// Tally counts in memory, as the CloudWatch metrics do on AWS: for tests
// and the local stack's console.
type Tally struct {
	mu     sync.Mutex
	counts map[string]int64
}

// Count implements Metrics.
func (t *Tally) Count(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[string]int64{}
	}
	t.counts[name]++
}

// Get returns the count of name.
func (t *Tally) Get(name string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.counts[name]
}

// Snapshot returns a copy of every count.
func (t *Tally) Snapshot() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int64, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return out
}
