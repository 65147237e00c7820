// Package sfnerr classifies Step Functions task-callback errors.
package sfnerr

import (
	"errors"

	"github.com/aws/smithy-go"
)

// TaskClosed reports whether err says the task can no longer be completed:
// TaskTimedOut, TaskDoesNotExist or InvalidToken. Such an answer is final;
// retrying cannot help.
func TaskClosed(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "TaskTimedOut", "TaskDoesNotExist", "InvalidToken":
		return true
	}
	return false
}

// Code returns the API error code of err, or "" when it is not an API error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Limits Step Functions puts on SendTaskFailure.
const (
	MaxErrorLen = 256
	MaxCauseLen = 32768
)
