package sfn

import (
	"context"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

// An execution that ended more than 14 days ago is NOT_REDRIVABLE with the
// documented reason (API reference, DescribeExecution redriveStatusReason:
// "Execution redrivable period exceeded.").
func TestRedrivablePeriod(t *testing.T) {
	stop := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if rs, reason := redrivable(StatusFailed, &stop, 0, 10, stop.Add(13*24*time.Hour)); rs != RedriveStatusRedrivable || reason != "" {
		t.Errorf("13 days after: %s %q, want REDRIVABLE", rs, reason)
	}
	if rs, reason := redrivable(StatusFailed, &stop, 0, 10, stop.Add(15*24*time.Hour)); rs != RedriveStatusNotRedrivable || reason != "Execution redrivable period exceeded." {
		t.Errorf("15 days after: %s %q", rs, reason)
	}
}

// An execution whose history reached the cap is NOT_REDRIVABLE: "Execution
// history event limit exceeded." (API reference, DescribeExecution
// redriveStatusReason).
func TestRedrivableAtTheHistoryCap(t *testing.T) {
	stop := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if rs, reason := redrivable(StatusFailed, &stop, 0, asl.MaxHistoryEvents+1, stop); rs != RedriveStatusNotRedrivable || reason != "Execution history event limit exceeded." {
		t.Errorf("at the cap: %s %q", rs, reason)
	}
	if rs, _ := redrivable(StatusFailed, &stop, 0, asl.MaxHistoryEvents, stop); rs != RedriveStatusRedrivable {
		t.Errorf("one event below the cap: %s, want REDRIVABLE", rs)
	}
}

// An execution failed at the history cap cannot be redriven.
func TestExecutionAtTheHistoryCapIsNotRedrivable(t *testing.T) {
	e := newTestEngine(t, Options{})
	arn := start(t, e, `{"StartAt":"Spin","States":{"Spin":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Out"}],"Default":"Spin"},"Out":{"Type":"Succeed"}}}`, "", `{}`)
	x := waitDone(t, e, arn)
	if x.Status != StatusFailed || x.RedriveStatus != RedriveStatusNotRedrivable || x.RedriveStatusReason != "Execution history event limit exceeded." {
		t.Fatalf("%s %s %q", x.Status, x.RedriveStatus, x.RedriveStatusReason)
	}
	if _, err := e.RedriveExecution(context.Background(), arn); ErrorCode(err) != CodeExecutionNotRedrivable {
		t.Fatalf("RedriveExecution: %v, want ExecutionNotRedrivable", err)
	}
}
