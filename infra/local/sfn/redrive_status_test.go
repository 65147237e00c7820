package sfn

import (
	"testing"
	"time"
)

// An execution that ended more than 14 days ago is NOT_REDRIVABLE with the
// documented reason (API reference, DescribeExecution redriveStatusReason:
// "Execution redrivable period exceeded.").
func TestRedrivablePeriod(t *testing.T) {
	stop := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if rs, reason := redrivable(StatusFailed, &stop, 0, stop.Add(13*24*time.Hour)); rs != RedriveStatusRedrivable || reason != "" {
		t.Errorf("13 days after: %s %q, want REDRIVABLE", rs, reason)
	}
	if rs, reason := redrivable(StatusFailed, &stop, 0, stop.Add(15*24*time.Hour)); rs != RedriveStatusNotRedrivable || reason != "Execution redrivable period exceeded." {
		t.Errorf("15 days after: %s %q", rs, reason)
	}
}
