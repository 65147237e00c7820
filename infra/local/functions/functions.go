// Package functions runs Lambda handlers in-process on the local stack: each
// function is the same handler code that runs in Lambda, invoked through
// aws-lambda-go's handler adapter with a Lambda context, its timeout and a
// concurrency limit. It also runs SQS event source mappings.
package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"loanflow/infra/local/internal/ids"
	"loanflow/infra/local/internal/warm"
)

// Spec describes a function to register: the handler, and what the function
// was deployed with, kept to be compared with the deployed function's.
type Spec struct {
	Name string
	// Handler is any handler lambda.Start accepts, e.g. h.Handle.
	Handler any
	// Timeout is the invocation's time limit; 0 means 3s, as Lambda's.
	Timeout time.Duration
	// MemoryMB is the function's memory size. Nothing here limits memory:
	// it is recorded only.
	MemoryMB int
	// ReservedConcurrency is the concurrency reserved for the function; 0
	// reserves none, and the function may run 100 invocations at once here
	// (the account's unreserved pool stands in for it).
	ReservedConcurrency int
	// Environment is the environment the function was configured from
	// (its main reads it with os.Getenv on AWS).
	Environment map[string]string
}

// unreservedConcurrency is how many invocations a function without reserved
// concurrency may run at once.
const unreservedConcurrency = 100

// Function is a registered function.
type Function struct {
	Name    string
	ARN     string
	Timeout time.Duration
	// MemoryMB, ReservedConcurrency and Environment are the Spec's.
	MemoryMB            int
	ReservedConcurrency int
	Environment         map[string]string
	handlers            *handlerPool
	sem                 chan struct{}
	// workers run the invocations: goroutines that keep, for the next
	// invocation, the stack a handler grew (a warm execution environment's).
	workers *warm.Pool

	invocations atomic.Int64
	errors      atomic.Int64
	throttles   atomic.Int64
}

// Stats are a function's counters since start.
type Stats struct {
	Name        string
	ARN         string
	Invocations int64
	Errors      int64
	Throttles   int64
	InFlight    int
	Concurrency int
}

// Error is a function error as Lambda reports it: the error type (the Go
// type name of the returned error, as the Go runtime reports it) and message.
type Error struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// ErrNotFound means no function has that name or ARN.
var ErrNotFound = errors.New("function not found")

// ErrThrottled means the function is at its concurrency limit and the caller
// gave up waiting (its context ended).
var ErrThrottled = errors.New("function concurrency limit reached")

// Registry holds the local functions.
type Registry struct {
	region, account string
	log             *slog.Logger
	mu              sync.RWMutex
	fns             map[string]*Function
	workers         *warm.Pool
}

// workerIdle is how long a goroutine that ran an invocation waits for the next before it ends.
const workerIdle = 10 * time.Second

// NewRegistry returns an empty registry.
func NewRegistry(region, account string, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	return &Registry{region: region, account: account, log: log, fns: map[string]*Function{}, workers: warm.New(workerIdle)}
}

// Close ends the goroutines kept warm for invocations; invocations still
// running finish, and later ones each run on a goroutine of their own.
func (r *Registry) Close() { r.workers.Close() }

// ARN returns the ARN a function of that name has.
func (r *Registry) ARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.region, r.account, name)
}

// Register adds a function.
func (r *Registry) Register(s Spec) (*Function, error) {
	if s.Name == "" || s.Handler == nil {
		return nil, fmt.Errorf("register function: name and handler are required")
	}
	if s.Timeout <= 0 {
		s.Timeout = 3 * time.Second
	}
	if s.ReservedConcurrency < 0 {
		return nil, fmt.Errorf("register function %s: reserved concurrency %d must be >= 0", s.Name, s.ReservedConcurrency)
	}
	limit := s.ReservedConcurrency
	if limit == 0 {
		limit = unreservedConcurrency
	}
	f := &Function{Name: s.Name, ARN: r.ARN(s.Name), Timeout: s.Timeout, MemoryMB: s.MemoryMB, ReservedConcurrency: s.ReservedConcurrency,
		Environment: maps.Clone(s.Environment), handlers: newHandlerPool(s.Handler), sem: make(chan struct{}, limit),
		workers: r.workers}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.fns[s.Name]; ok {
		return nil, fmt.Errorf("register function %s: already registered", s.Name)
	}
	r.fns[s.Name] = f
	return f, nil
}

// Lookup finds a function by name, ARN, or ARN with a version/alias qualifier.
func (r *Registry) Lookup(nameOrARN string) (*Function, bool) {
	name := nameOrARN
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 {
			name = parts[6]
		}
	} else if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.fns[name]
	return f, ok
}

// All returns every function's counters, sorted by registration name.
func (r *Registry) All() []Stats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Stats, 0, len(r.fns))
	for _, f := range r.fns {
		out = append(out, Stats{Name: f.Name, ARN: f.ARN, Invocations: f.invocations.Load(), Errors: f.errors.Load(),
			Throttles: f.throttles.Load(), InFlight: len(f.sem), Concurrency: cap(f.sem)})
	}
	sortStats(out)
	return out
}

// Invoke runs a function synchronously (RequestResponse) and returns its
// response payload. A handler error is returned as *Error.
func (r *Registry) Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error) {
	f, ok := r.Lookup(nameOrARN)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, nameOrARN)
	}
	return f.Invoke(ctx, payload)
}

// Invoke runs the function once, waiting for a free concurrency slot.
func (f *Function) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	select {
	case f.sem <- struct{}{}:
	default:
		f.throttles.Add(1)
		select {
		case f.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("invoke %s: %w", f.Name, ErrThrottled)
		}
	}
	defer func() { <-f.sem }()
	f.invocations.Add(1)
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: f.ARN})
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	f.workers.Go(func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: &Error{Type: "Runtime.Panic", Message: fmt.Sprint(p)}}
			}
		}()
		o, e := f.handlers.invoke(ctx, payload)
		done <- result{o, e}
	})
	select {
	case res := <-done:
		if res.err != nil {
			f.errors.Add(1)
			var fe *Error
			if errors.As(res.err, &fe) {
				return nil, fe
			}
			return nil, &Error{Type: errorType(res.err), Message: res.err.Error()}
		}
		return res.out, nil
	case <-ctx.Done():
		f.errors.Add(1)
		return nil, &Error{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", f.Timeout.Seconds())}
	}
}

// errorType mirrors the Go runtime's errorType: the error's type name.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "error"
	}
	return t.Name()
}

// MarshalError encodes a function error as Lambda's error payload.
func MarshalError(e *Error) []byte {
	b, _ := json.Marshal(e)
	return b
}

// requestID is an invocation's request id: a version 4 UUID, as Lambda's.
func requestID() string { return ids.UUID() }

// handlerPool runs a handler with aws-lambda-go's own decoding and encoding
// (as the Go runtime does in Lambda), safely for concurrent invocations.
// lambda.Handler's Invoke returns bytes of a pooled buffer that it has
// already put back: the next invocation on that Handler reuses them. Lambda
// runs one invocation at a time per process; here many run at once, so each
// takes a Handler of its own and copies the response before giving it back.
type handlerPool struct{ pool sync.Pool }

func newHandlerPool(fn any) *handlerPool {
	p := &handlerPool{}
	p.pool.New = func() any { return lambda.NewHandler(fn) }
	return p
}

func (p *handlerPool) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h := p.pool.Get().(lambda.Handler)
	defer p.pool.Put(h)
	out, err := h.Invoke(ctx, payload)
	return bytes.Clone(out), err
}
