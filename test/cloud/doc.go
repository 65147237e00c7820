// Package cloud runs the scenario suite against a deployed LoanProcessor
// stack on AWS: go test -tags cloud ./test/cloud with LOANFLOW_STACK naming
// the stack. It reads the stack's outputs, and skips with a clear message when
// the stack or credentials are missing. Without the tag it holds no tests.
package cloud
