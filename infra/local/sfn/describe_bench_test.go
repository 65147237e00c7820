package sfn

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkDescribeExecution reads executions among 4,000 (the bench's
// loans), from 8 goroutines, while another keeps writing (as the engine does
// under load, which makes every read find a changed WAL).
func BenchmarkDescribeExecution(b *testing.B) {
	ctx := context.Background()
	e := newTestEngine(b, Options{})
	sm, _, err := e.CreateStateMachine(ctx, "d", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "arn:aws:iam::000000000000:role/r", "")
	if err != nil {
		b.Fatal(err)
	}
	const n = 4000
	arns := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range arns {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			arn, _, err := e.StartExecution(ctx, sm, fmt.Sprintf("x-%d", i), `{"applicationId":"APP-1","applicant":{"name":"Ada","email":"ada@example.com"},"loanAmount":25000000}`)
			if err != nil {
				b.Error(err)
			}
			arns[i] = arn
		}(i)
	}
	wg.Wait()
	for _, arn := range arns {
		if _, err := e.WaitExecution(ctx, arn); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("quiet", func(b *testing.B) { describeAll(b, e, arns) })
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = e.store.write(ctx, func(tx *sql.Tx) error {
				_, err := tx.Exec(`UPDATE sfn_executions SET wake_ns = NULL WHERE id = ?`, i%n+1)
				return err
			})
		}
	}()
	b.Run("writes", func(b *testing.B) { describeAll(b, e, arns) })
	close(stop)
	<-done
}

// describeAll describes arns in a scattered order from 8 goroutines.
func describeAll(b *testing.B, e *Engine, arns []string) {
	ctx := context.Background()
	n := len(arns)
	b.ReportAllocs()
	b.SetParallelism(4)
	var k sync.Mutex
	next := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k.Lock()
			next = (next + 7919) % n
			arn := arns[next]
			k.Unlock()
			x, err := e.DescribeExecution(ctx, arn)
			if err != nil || x.Status != StatusSucceeded {
				b.Errorf("%v %v", x, err)
				return
			}
		}
	})
}
