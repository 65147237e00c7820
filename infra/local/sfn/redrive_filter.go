package sfn

// ListExecutions' redriveFilter values (ExecutionRedriveFilter): executions
// redriven at least once, or never.
const (
	RedriveFilterRedriven    = "REDRIVEN"
	RedriveFilterNotRedriven = "NOT_REDRIVEN"
)

// checkRedriveFilter refuses a redriveFilter outside the API's enum, as
// AWS's request validation does.
func checkRedriveFilter(f string) error {
	switch f {
	case "", RedriveFilterRedriven, RedriveFilterNotRedriven:
		return nil
	}
	return apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]", f)
}

// redriveCondition is the SQL condition of a redriveFilter on
// sfn_executions ("" for none).
func redriveCondition(f string) string {
	switch f {
	case RedriveFilterRedriven:
		return ` AND redrive_count > 0`
	case RedriveFilterNotRedriven:
		return ` AND redrive_count = 0`
	}
	return ""
}
