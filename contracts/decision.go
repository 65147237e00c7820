package contracts

// The loan processor's outcome: every terminal path of loan-processor.asl.json
// ends in a LoanDecision, which is both the execution's output and the detail
// of the "Loan Decided" event it publishes to the bus.
const (
	// DecisionSource is the source of the loan processor's events.
	DecisionSource = "loanflow.loan-processor"
	// DetailTypeLoanDecided is the detail-type of a LoanDecision event.
	DetailTypeLoanDecided = "Loan Decided"
	// DecisionVersion is the version of LoanDecision this code writes.
	DecisionVersion = "1"
)

// Decisions.
const (
	DecisionApproved = "APPROVED"
	DecisionReferred = "REFERRED"
	DecisionDeclined = "DECLINED"
)

// Reasons for a decision. The LTV reasons carry the valuation; the
// VALUATION_ reasons carry the error that ended the wait.
const (
	ReasonLTVWithinPolicy     = "LTV_WITHIN_POLICY"
	ReasonLTVNeedsUnderwriter = "LTV_NEEDS_UNDERWRITER"
	ReasonLTVAbovePolicy      = "LTV_ABOVE_POLICY"
	ReasonValuationTimedOut   = "VALUATION_TIMED_OUT"
	ReasonValuationFailed     = "VALUATION_FAILED"
)

// LoanDecision is a loan's outcome.
type LoanDecision struct {
	Version       string `json:"version"`
	ApplicationID string `json:"applicationId"`
	// ExecutionID is the loan processor execution that decided.
	ExecutionID string `json:"executionId"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
	// Valuation is set for the LTV reasons.
	Valuation *ValuationResult `json:"valuation,omitempty"`
	// Error is set for the VALUATION_ reasons: the ASL error that ended the
	// wait (States.Timeout, ValuationFailed) and its cause.
	Error *DecisionError `json:"error,omitempty"`
}

// DecisionError is the error output of the state that caught it.
type DecisionError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}
