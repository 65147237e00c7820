package sfn

import (
	"fmt"
	"strings"
	"unicode"

	"loanflow/infra/local/internal/modellen"
)

// maxNameLen is the model's limit on a state machine, activity or execution
// name (Name).
const maxNameLen = 80

// maxARNLen is the model's limit on an ARN a request gives (Arn), e.g. a
// roleArn.
const maxARNLen = 256

// checkMaxLen is the constraint a member of at most maxLen characters fails.
func checkMaxLen(value, member string, maxLen int) error {
	if modellen.Len(value) > maxLen {
		return constraintErr(value, member, fmt.Sprintf("have length less than or equal to %d", maxLen))
	}
	return nil
}

// checkName applies the API's rules to a name: the model's length limit
// first (a ValidationException, as AWS words it for CreateStateMachineAlias
// in LocalStack's test_sfn_api_aliasing.snapshot.json, recorded against
// AWS), then AWS's characters (InvalidName).
func checkName(name string) error {
	if err := checkMaxLen(name, "name", maxNameLen); err != nil {
		return err
	}
	if !validName(name) {
		return apiErr(CodeInvalidName, "Invalid Name: '%s'", name)
	}
	return nil
}

// validName applies AWS's rules for the characters of state machine,
// activity and execution names.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// nameFromARN returns the last ':'-separated part of an ARN.
func nameFromARN(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}

// maxTraceHeaderLen is the model's limit on StartExecution's traceHeader.
const maxTraceHeaderLen = 256

// CheckTraceHeader applies the model's constraints to StartExecution's
// traceHeader (TraceHeader: ASCII, at most 256 characters), which the
// engine takes and does not use.
func CheckTraceHeader(h string) error {
	for _, r := range h {
		if r > unicode.MaxASCII {
			return constraintErr(h, "traceHeader", `satisfy regular expression pattern: \p{ASCII}*`)
		}
	}
	return checkMaxLen(h, "traceHeader", maxTraceHeaderLen)
}
