// Package scenarios is the catalogue of loan scenarios that the demo and the
// end-to-end tests run: each says which fault the mock valuation service
// plays (a marker in the property's name) and which outcome the loan must
// reach. A Runner drives them through the AWS SDK against any endpoint: the
// local stack or a deployed stack; WriteResults and Progress show a run as
// `loanflow demo` does. It lives outside test/ because the CLI ships it.
package scenarios

import (
	"fmt"

	"loanflow/contracts"
)

// Outcome is how an execution ends, as a user reads it.
type Outcome struct {
	// Status is the execution status (SUCCEEDED, FAILED, ...).
	Status string
	// Decision and Reason come from a SUCCEEDED execution's output.
	Decision, Reason string
	// Error is a FAILED execution's error name.
	Error string
}

// String is the outcome as the demo's table shows it: the decision and its
// reason, or the status and the error.
func (o Outcome) String() string {
	switch {
	case o.Status == "SUCCEEDED":
		return o.Decision + " (" + o.Reason + ")"
	case o.Error != "":
		return o.Status + " " + o.Error
	}
	return o.Status
}

// Scenario is one kind of loan.
type Scenario struct {
	Name string
	// Marker goes into the property's name for the mock service.
	Marker string
	// PropertyValue pins the valuation (pence); LoanAmount is the loan (pence).
	PropertyValue, LoanAmount int64
	Expect                    Outcome
	// Counter names a resolver metric that must grow by at least one per loan
	// (late, duplicate, unknown, rejected callbacks resume nothing, but are counted).
	Counter string
	// DeadLetters says each loan leaves one message in the request DLQ.
	DeadLetters bool
	// Slow scenarios wait for the callback timeout.
	Slow bool
}

// Resolver metric names (consumers/valuationcallback).
const (
	MetricLate      = "CallbacksLate"
	MetricDuplicate = "CallbacksDuplicate"
	MetricUnknown   = "CallbacksUnknown"
	MetricRejected  = "CallbacksRejected"
)

// All returns every scenario of the demo.
func All() []Scenario {
	timedOut := Outcome{Status: "SUCCEEDED", Decision: "REFERRED", Reason: "VALUATION_TIMED_OUT"}
	return []Scenario{
		{Name: "happy path", PropertyValue: 40000000, LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "APPROVED", Reason: "LTV_WITHIN_POLICY"}},
		{Name: "high loan-to-value", PropertyValue: 26000000, LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "DECLINED", Reason: "LTV_ABOVE_POLICY"}},
		{Name: "flaky valuation service", Marker: "mock:flaky", PropertyValue: 40000000, LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "APPROVED", Reason: "LTV_WITHIN_POLICY"}},
		{Name: "slow valuation service", Marker: "mock:slow", PropertyValue: 40000000, LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "APPROVED", Reason: "LTV_WITHIN_POLICY"}},
		{Name: "failed valuation", Marker: "mock:failed", LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "REFERRED", Reason: "VALUATION_FAILED"}},
		{Name: "late callback", Marker: "mock:late", LoanAmount: 25000000, Expect: timedOut, Counter: MetricLate, Slow: true},
		{Name: "duplicate callback", Marker: "mock:duplicate", PropertyValue: 40000000, LoanAmount: 25000000,
			Expect: Outcome{Status: "SUCCEEDED", Decision: "APPROVED", Reason: "LTV_WITHIN_POLICY"}, Counter: MetricDuplicate},
		{Name: "unknown callback id", Marker: "mock:unknown-reference", LoanAmount: 25000000, Expect: timedOut, Counter: MetricUnknown, Slow: true},
		{Name: "forged signature", Marker: "mock:forged", LoanAmount: 25000000, Expect: timedOut, Counter: MetricRejected, Slow: true},
		{Name: "stale signature", Marker: "mock:stale", LoanAmount: 25000000, Expect: timedOut, Counter: MetricRejected, Slow: true},
		{Name: "timeout (no callback)", Marker: "mock:no-callback", LoanAmount: 25000000, Expect: timedOut, Slow: true},
		{Name: "valuation service 5xx", Marker: "mock:server-error", LoanAmount: 25000000,
			Expect: Outcome{Status: "FAILED", Error: "ValuationServiceUnavailable"}, DeadLetters: true},
	}
}

// Loan builds the i-th loan application of a scenario.
func (s Scenario) Loan(runID string, i int) contracts.LoanApplication {
	name := s.Marker
	if s.PropertyValue > 0 {
		if name != "" {
			name += " "
		}
		name += fmt.Sprintf("value=%d", s.PropertyValue)
	}
	return contracts.LoanApplication{
		ApplicationID: fmt.Sprintf("%s-%s-%d", runID, slug(s.Name), i),
		Applicant:     contracts.Applicant{Name: "Ada Lovelace", Email: "ada@example.com"},
		Property: contracts.Property{Name: name, PropertyType: "TERRACED",
			Address: contracts.Address{Line1: fmt.Sprintf("%d Analytical Row", i+1), Town: "London", Postcode: "SW1A 1AA"}},
		LoanAmount: s.LoanAmount, Currency: "GBP", TermMonths: 300,
	}
}

func slug(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
		if len(out) >= 24 {
			break
		}
	}
	for len(out) > 0 && out[len(out)-1] == '-' {
		out = out[:len(out)-1]
	}
	return string(out)
}
