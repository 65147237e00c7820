package sfnerr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"loanflow/consumers/internal/sfnerr"
)

func TestTaskClosed(t *testing.T) {
	for err, want := range map[error]bool{
		&types.TaskTimedOut{}:                                true,
		&types.TaskDoesNotExist{}:                            true,
		&types.InvalidToken{}:                                true,
		fmt.Errorf("send: %w", &types.TaskTimedOut{}):        true,
		&smithy.GenericAPIError{Code: "TaskTimedOut"}:        true,
		&smithy.GenericAPIError{Code: "ThrottlingException"}: false,
		&types.InvalidOutput{}:                               false,
		errors.New("connection reset"):                       false,
	} {
		if got := sfnerr.TaskClosed(err); got != want {
			t.Errorf("TaskClosed(%v) = %v; want %v", err, got, want)
		}
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	if got := sfnerr.Truncate("££££", 3); got != "£" {
		t.Fatalf("Truncate = %q", got)
	}
}
