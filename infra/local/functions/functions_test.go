package functions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"loanflow/infra/local/functions"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

type ValuationRejected struct{ Status int }

func (e *ValuationRejected) Error() string { return "rejected" }

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func TestInvokeReportsErrorTypeLikeTheGoRuntime(t *testing.T) {
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	var gotARN, gotID string
	_, err := r.Register(functions.Spec{Name: "fn", Timeout: time.Second, Handler: func(ctx context.Context, in struct{ Fail bool }) (string, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		gotARN, gotID = lc.InvokedFunctionArn, lc.AwsRequestID
		if in.Fail {
			return "", &ValuationRejected{Status: 400}
		}
		return "ok", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Invoke(context.Background(), "arn:aws:lambda:us-east-1:000000000000:function:fn", []byte(`{}`))
	if err != nil || string(out) != `"ok"` {
		t.Fatalf("got %s %v", out, err)
	}
	if gotARN != "arn:aws:lambda:us-east-1:000000000000:function:fn" || gotID == "" {
		t.Fatalf("lambda context: %q %q", gotARN, gotID)
	}
	_, err = r.Invoke(context.Background(), "fn", []byte(`{"Fail":true}`))
	var fe *functions.Error
	if !errors.As(err, &fe) || fe.Type != "ValuationRejected" {
		t.Fatalf("want errorType ValuationRejected, got %v", err)
	}
	if _, err := r.Invoke(context.Background(), "nope", nil); !errors.Is(err, functions.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestInvokeTimeoutAndPanic(t *testing.T) {
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	_, _ = r.Register(functions.Spec{Name: "slow", Timeout: 20 * time.Millisecond, Handler: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	_, _ = r.Register(functions.Spec{Name: "boom", Handler: func() error { panic("kaboom") }})
	_, err := r.Invoke(context.Background(), "slow", []byte(`{}`))
	var fe *functions.Error
	if !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Fatalf("timeout: %v", err)
	}
	_, err = r.Invoke(context.Background(), "boom", []byte(`{}`))
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "kaboom") {
		t.Fatalf("panic: %v", err)
	}
	st := r.All()
	if len(st) != 2 || st[0].Errors != 1 || st[1].Errors != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestSQSMappingHonoursBatchItemFailuresAndRedrive(t *testing.T) {
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sqlitedb.Close(db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := sqs.New(ctx, db, sqs.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateQueue(ctx, "dlq", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateQueue(ctx, "q", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + b.QueueARN("dlq") + `","maxReceiveCount":"2"}`}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	fn, _ := r.Register(functions.Spec{Name: "consumer", Timeout: time.Second, Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ev.Records {
			seen[m.Body]++
			if m.EventSource != "aws:sqs" || m.Attributes["ApproximateReceiveCount"] == "" {
				t.Errorf("record lacks SQS attributes: %+v", m)
			}
			if m.Body == "poison" {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	}})
	if _, err := b.Send(ctx, "q", sqs.NewMessage{Body: "good"}, sqs.NewMessage{Body: "poison"}); err != nil {
		t.Fatal(err)
	}
	m := &functions.SQSMapping{Queue: "q", Function: fn, BatchSize: 10, MaxConcurrency: 2, ReportBatchItemFailures: true, Log: quiet()}
	go m.Run(ctx, b)
	// Two 1 s visibility timeouts pass on the way: a generous deadline,
	// which the poll leaves as soon as the poison message is in the DLQ.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		dlq, _ := b.QueueStats(ctx, "dlq")
		q, _ := b.QueueStats(ctx, "q")
		if dlq.Visible == 1 && q.Visible+q.InFlight == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	dlq, _ := b.QueueStats(ctx, "dlq")
	q, _ := b.QueueStats(ctx, "q")
	mu.Lock()
	defer mu.Unlock()
	if dlq.Visible != 1 || q.Visible+q.InFlight != 0 {
		t.Fatalf("dlq=%+v q=%+v", dlq, q)
	}
	if seen["good"] != 1 || seen["poison"] != 2 {
		t.Fatalf("deliveries: %v (good once; poison maxReceiveCount times)", seen)
	}
}

// Concurrent invocations each get their own response. aws-lambda-go's
// Handler.Invoke returns bytes of a pooled buffer that it has already put
// back for the next invocation; in Lambda (one invocation at a time) that is
// harmless, here two callers would read each other's answers.
func TestConcurrentInvocationsKeepTheirOwnResponses(t *testing.T) {
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	type in struct{ N int }
	type out struct {
		N   int
		Pad string
	}
	if _, err := r.Register(functions.Spec{Name: "echo", ReservedConcurrency: 64, Handler: func(_ context.Context, e in) (out, error) {
		return out{N: e.N, Pad: strings.Repeat("x", 64)}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mixed atomic.Int64
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := g*1000 + i
				b, err := r.Invoke(context.Background(), "echo", []byte(fmt.Sprintf(`{"N":%d}`, n)))
				if err != nil {
					t.Error(err)
					return
				}
				runtime.Gosched()
				var o out
				if err := json.Unmarshal(b, &o); err != nil || o.N != n {
					mixed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if m := mixed.Load(); m > 0 {
		t.Fatalf("%d of 9,600 invocations read another invocation's response", m)
	}
}

// A function keeps what it was registered with, to be compared with its
// deployed twin, and its reserved concurrency bounds its invocations.
func TestRegisterKeepsTheSpec(t *testing.T) {
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	f, err := r.Register(functions.Spec{Name: "one", Timeout: 5 * time.Second, MemoryMB: 512, ReservedConcurrency: 1,
		Environment: map[string]string{"K": "v"}, Handler: func(ctx context.Context) error {
			started <- struct{}{}
			<-release
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Timeout != 5*time.Second || f.MemoryMB != 512 || f.ReservedConcurrency != 1 || f.Environment["K"] != "v" {
		t.Fatalf("registered %+v", f)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Invoke(context.Background(), "one", nil); done <- err }()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Invoke(ctx, "one", nil); !errors.Is(err, functions.ErrThrottled) {
		t.Errorf("a second invocation beyond the reserved concurrency: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(functions.Spec{Name: "neg", ReservedConcurrency: -1, Handler: func() {}}); err == nil {
		t.Error("a negative reserved concurrency was registered")
	}
}

// Close ends the goroutines the registry keeps warm for invocations, so a
// closed stack leaves none behind; an invocation after Close still runs.
func TestCloseEndsTheWarmInvocationGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	if _, err := r.Register(functions.Spec{Name: "fn", Timeout: time.Second, Handler: func(context.Context, struct{}) (string, error) {
		return "ok", nil
	}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if out, err := r.Invoke(context.Background(), "fn", []byte(`{}`)); err != nil || string(out) != `"ok"` {
				t.Errorf("invoke: %s %v", out, err)
			}
		})
	}
	wg.Wait()
	r.Close()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before the registry", runtime.NumGoroutine(), before)
		}
	}
	if out, err := r.Invoke(context.Background(), "fn", []byte(`{}`)); err != nil || string(out) != `"ok"` {
		t.Fatalf("invoke after Close: %s %v", out, err)
	}
}
