package local

import (
	"context"

	"loanflow/infra/local/console"
)

var _ console.ActivityLister = (*consoleSource)(nil)

// Activities lists the Step Functions activities with their tasks.
func (c *consoleSource) Activities(ctx context.Context) ([]console.Activity, error) {
	sums, err := c.s.Engine.ActivitySummaries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.Activity, 0, len(sums))
	for _, a := range sums {
		out = append(out, console.Activity{Name: a.Name, ARN: a.ARN, Waiting: a.Waiting, InProgress: a.InProgress})
	}
	return out, nil
}
