package functions_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"loanflow/infra/local/functions"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

// With a batching window, messages that arrive within it reach the function
// in one batch; without one, the first receive's messages are invoked at once.
// The window is long and the batch two messages, so that a full batch, not
// the end of the window, invokes it: a stalled test cannot miss the window.
func TestSQSMappingBatchingWindowFillsABatch(t *testing.T) {
	for _, tc := range []struct {
		window      time.Duration
		wantBatches int
	}{{time.Minute, 1}, {0, 2}} {
		t.Run(tc.window.String(), func(t *testing.T) {
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
			if _, err := b.CreateQueue(ctx, "q", nil); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var batches []int
			r := functions.NewRegistry("us-east-1", "000000000000", quiet())
			fn, _ := r.Register(functions.Spec{Name: "consumer", Timeout: time.Second, Handler: func(ctx context.Context, ev events.SQSEvent) error {
				mu.Lock()
				defer mu.Unlock()
				batches = append(batches, len(ev.Records))
				return nil
			}})
			m := &functions.SQSMapping{Queue: "q", Function: fn, BatchSize: 2, MaxBatchingWindow: tc.window, MaxConcurrency: 2, Log: quiet()}
			go m.Run(ctx, b)
			if _, err := b.Send(ctx, "q", sqs.NewMessage{Body: "first"}); err != nil {
				t.Fatal(err)
			}
			if tc.window == 0 {
				// Without a window the first message is invoked alone:
				// wait for it, so the second comes strictly after.
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
					mu.Lock()
					n := len(batches)
					mu.Unlock()
					if n > 0 || time.Now().After(deadline) {
						break
					}
				}
			} else {
				time.Sleep(200 * time.Millisecond)
			}
			if _, err := b.Send(ctx, "q", sqs.NewMessage{Body: "second"}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				n := 0
				for _, c := range batches {
					n += c
				}
				got := append([]int(nil), batches...)
				mu.Unlock()
				if n == 2 {
					if len(got) != tc.wantBatches {
						t.Fatalf("batches %v, want %d", got, tc.wantBatches)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("batches %v: not every message was delivered", got)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
