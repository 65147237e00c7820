package sfn

// Status is the status of an execution, as the Step Functions API names it.
type Status string

// Execution statuses.
const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// StatusPendingRedrive is the status AWS gives a redriven execution until
// it runs again. The local engine runs a redrive at once, so no execution
// has it; ListExecutions takes it as a filter, which then matches none.
const StatusPendingRedrive Status = "PENDING_REDRIVE"

// checkStatusFilter refuses a statusFilter outside the API's enum
// (ExecutionStatus), in AWS's words and order (LocalStack's
// test_sfn_api.snapshot.json, recorded against AWS).
func checkStatusFilter(s Status) error {
	switch s {
	case "", StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted, StatusPendingRedrive:
		return nil
	}
	return constraintErr(string(s), "statusFilter", "satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]")
}
