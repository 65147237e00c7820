package console

import "context"

// ActivityLister is a Source that lists its Step Functions activities; the
// overview then shows them with their tasks.
type ActivityLister interface {
	Activities(ctx context.Context) ([]Activity, error)
}

// Activity is a Step Functions activity with its tasks of running
// executions: waiting for a worker, and taken by one.
type Activity struct {
	Name, ARN           string
	Waiting, InProgress int
}
