package bench

import (
	"context"
	"io"
	"testing"
)

// TestSystemQuick runs the end-to-end figures on a small load: every loan
// must succeed and every figure must be measured (not a timing assertion).
func TestSystemQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	res, figs, err := RunSystem(context.Background(), true, SystemOptions{Loans: 60, InFlight: 20, Samples: 10}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.LoansPerSec <= 0 || res.BareExecsPerSec <= 0 || res.WebhookP50 <= 0 || res.DirectP50 <= 0 || len(figs) != 3 {
		t.Fatalf("figures not measured: %+v", res)
	}
	if res.Transitions != 4 {
		t.Fatalf("a happy-path loan entered %d states, want 4 (RequestValuation, AssessLoan, Approved, PublishDecision)", res.Transitions)
	}
	if res.LambdaInvocations < 1 || res.LambdaInvocations > 2 {
		t.Fatalf("%.2f processor invocations per loan, want between 1 and 2", res.LambdaInvocations)
	}
}

func BenchmarkSystemLoans(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res, _, err := RunSystem(context.Background(), true, SystemOptions{Loans: 300, InFlight: 100, Samples: 20}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.LoansPerSec, "loans/s")
		b.ReportMetric(float64(res.WebhookP99.Microseconds()), "webhook-p99-µs")
	}
}
