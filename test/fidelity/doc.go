// Package fidelity holds the local stack's API fidelity suite: a table of
// cases, each one documented AWS behaviour a user of the AWS SDKs or the aws
// CLI can hit (an error code and message, a default, a field of a response,
// an ordering or limit), checked through the AWS SDK for Go v2 against one
// local stack started by the test, plus a smaller set checked through boto3,
// whose parsing differs from the Go SDK's.
//
// TestFidelity (and TestFidelityBoto3, which skips without python3 and
// boto3) fails on any case that does not match AWS unless the case is listed
// in known-gaps.txt with its reason, and fails when a listed case matches AWS
// again, so the list only shrinks. It logs the score, "fidelity: P/N cases
// match AWS (S services)", in total and per service (go test -v shows it).
// With -fidelity.report or LOANFLOW_FIDELITY_REPORT=1 it reports the score
// and every mismatch, one "MISMATCH" line each, without failing, which
// measures an older tree:
//
//	go test -v -count=1 ./test/fidelity -run 'TestFidelity' -args -fidelity.report
//
// Each case names the source of the fact it checks: the botocore service
// model, the AWS API reference or developer guide, or a LocalStack
// snapshot recorded against AWS (tests/aws/services/<service>/*.snapshot.json),
// or dynalite's tests, which were run against DynamoDB.
package fidelity
