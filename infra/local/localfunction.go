package local

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"loanflow/infra/functionspec"
)

// localFunction is a function spec and how to build its handler: with its
// package's Build, as its main does in Lambda.
type localFunction struct {
	spec  functionspec.Spec
	build func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (handler any, err error)
}
