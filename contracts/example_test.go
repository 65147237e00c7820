package contracts_test

import (
	"fmt"

	"loanflow/contracts"
)

func ExampleDecode() {
	var app contracts.LoanApplication
	err := contracts.Decode(contracts.SchemaLoanApplication, []byte(`{
		"applicationId": "APP-1",
		"applicant": {"name": "Ada", "email": "ada@example.com"},
		"property": {"address": {"line1": "1 Road", "town": "Leeds", "postcode": "LS1 1AA"}},
		"loanAmount": 0, "currency": "GBP", "termMonths": 120}`), &app)
	fmt.Println(err)
	// Output: invalid loan-application: loanAmount: must be > 0
}
