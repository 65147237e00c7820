package sqs

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSendReceiveDelete measures the message round trip through the Go
// API: one op is one message sent, received and deleted.
func BenchmarkSendReceiveDelete(b *testing.B) {
	for _, batch := range []int{1, 10} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			br := newTestBroker(b, SystemClock{})
			ctx := context.Background()
			mustCreate(b, br, "bench", nil)
			msgs := make([]NewMessage, batch)
			for i := range msgs {
				msgs[i] = NewMessage{Body: `{"loanId":"L-000123","token":"AQB8AAAAKgAAAAMAAAAAAAAAAc..."}`}
			}
			zero := time.Duration(0)
			handles := make([]string, 0, batch)
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				if _, err := br.Send(ctx, "bench", msgs...); err != nil {
					b.Fatal(err)
				}
				got, err := br.Receive(ctx, "bench", ReceiveOptions{MaxMessages: batch, WaitTime: &zero})
				if err != nil || len(got) != batch {
					b.Fatalf("receive: %d messages, %v", len(got), err)
				}
				handles = handles[:0]
				for _, m := range got {
					handles = append(handles, m.ReceiptHandle)
				}
				if _, err := br.DeleteBatch(ctx, "bench", handles); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
