package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// StepFunctions is the part of *sfn.Client a Runner uses.
type StepFunctions interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// Queues is the part of *sqs.Client a Runner uses.
type Queues interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Runner runs scenarios against a deployed system.
type Runner struct {
	SFN             StepFunctions
	SQS             Queues
	StateMachineARN string
	DLQURL          string
	// Counters returns the resolver's metric counters (nil: not checked).
	Counters func() map[string]int64
	// Deadline bounds the wait for one loan's outcome, and then for the
	// counters and the DLQ (default 10 minutes; RunDeadline for a config).
	Deadline time.Duration
	// Poll is the first DescribeExecution polling interval; it doubles up
	// to MaxPoll, so that loans waiting for their timeout do not load the
	// machine they wait on.
	Poll, MaxPoll time.Duration
	// Progress, if set, is called after each loan ends.
	Progress func(done, total int)
}

// Loan is one loan's run.
type Loan struct {
	Scenario     string
	ExecutionARN string
	Actual       Outcome
	Err          error
	// Took is the execution's run time, from its start to its stop date.
	Took time.Duration
}

// Result sums up one scenario.
type Result struct {
	Scenario Scenario
	Loans    []Loan
	// Passed counts loans whose outcome is the expected one.
	Passed int
	// Problems lists what went wrong (wrong outcomes, missing counters, DLQ depth).
	Problems []string
}

// OK reports whether every loan ended as expected and every check held.
func (r Result) OK() bool { return r.Passed == len(r.Loans) && len(r.Problems) == 0 }

// Actual is the most common actual outcome.
func (r Result) Actual() string {
	n := map[string]int{}
	best, bestN := "", 0
	for _, l := range r.Loans {
		s := l.Actual.String()
		if l.Err != nil {
			s = "error: " + l.Err.Error()
		}
		n[s]++
		if n[s] > bestN {
			best, bestN = s, n[s]
		}
	}
	return best
}

// Median is the median time from an execution's start to its end.
func (r Result) Median() time.Duration {
	ds := make([]time.Duration, 0, len(r.Loans))
	for _, l := range r.Loans {
		ds = append(ds, l.Took)
	}
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// Run starts perScenario loans of every scenario at once, waits for each to
// end, and checks outcomes, counters and the DLQ.
func (r *Runner) Run(ctx context.Context, runID string, list []Scenario, perScenario int) ([]Result, error) {
	if r.Poll <= 0 {
		r.Poll = 50 * time.Millisecond
	}
	if r.MaxPoll < r.Poll {
		r.MaxPoll = max(r.Poll, time.Second)
	}
	if r.Deadline <= 0 {
		r.Deadline = 10 * time.Minute
	}
	var before map[string]int64
	if r.Counters != nil {
		before = r.Counters()
	}
	dlqBefore, err := r.dlqDepth(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]Result, len(list))
	total := len(list) * perScenario
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for si, s := range list {
		results[si] = Result{Scenario: s, Loans: make([]Loan, perScenario)}
		for i := 0; i < perScenario; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := r.runLoan(ctx, runID, s, i)
				mu.Lock()
				results[si].Loans[i] = l
				done++
				if r.Progress != nil {
					r.Progress(done, total)
				}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	wantDLQ := int64(0)
	for i := range results {
		res := &results[i]
		for _, l := range res.Loans {
			switch {
			case l.Err != nil:
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", l.ExecutionARN, l.Err))
			case l.Actual == res.Scenario.Expect:
				res.Passed++
			default:
				res.Problems = append(res.Problems, fmt.Sprintf("%s: got %s, want %s", l.ExecutionARN, l.Actual, res.Scenario.Expect))
			}
		}
		if res.Scenario.DeadLetters {
			wantDLQ += int64(perScenario)
		}
	}
	// Counters and the DLQ settle a moment after the executions end (a late
	// or duplicate callback arrives after its execution closed): poll.
	deadline := time.Now().Add(r.Deadline)
	poll := r.Poll
	for {
		missing := r.checkCounters(before, results, perScenario)
		depth, err := r.dlqDepth(ctx)
		if err != nil {
			return nil, err
		}
		if len(missing) == 0 && depth-dlqBefore >= wantDLQ {
			break
		}
		if time.Now().After(deadline) {
			for si, m := range missing {
				results[si].Problems = append(results[si].Problems, m)
			}
			if depth-dlqBefore < wantDLQ {
				for i := range results {
					if results[i].Scenario.DeadLetters {
						results[i].Problems = append(results[i].Problems, fmt.Sprintf("DLQ grew by %d, want %d", depth-dlqBefore, wantDLQ))
					}
				}
			}
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, r.MaxPoll)
	}
	return results, nil
}

func (r *Runner) checkCounters(before map[string]int64, results []Result, per int) map[int]string {
	missing := map[int]string{}
	if r.Counters == nil {
		return missing
	}
	now := r.Counters()
	need := map[string]int64{}
	for _, res := range results {
		if res.Scenario.Counter != "" {
			need[res.Scenario.Counter] += int64(per)
		}
	}
	for si, res := range results {
		c := res.Scenario.Counter
		if c != "" && now[c]-before[c] < need[c] {
			missing[si] = fmt.Sprintf("%s grew by %d, want at least %d", c, now[c]-before[c], need[c])
		}
	}
	return missing
}

func (r *Runner) dlqDepth(ctx context.Context) (int64, error) {
	if r.SQS == nil || r.DLQURL == "" {
		return 0, nil
	}
	out, err := r.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.DLQURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, fmt.Errorf("DLQ depth: %w", err)
	}
	var n int64
	for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, _ := strconv.ParseInt(out.Attributes[string(k)], 10, 64)
		n += v
	}
	return n, nil
}

func (r *Runner) runLoan(ctx context.Context, runID string, s Scenario, i int) Loan {
	app := s.Loan(runID, i)
	l := Loan{Scenario: s.Name}
	input, _ := json.Marshal(app)
	start := time.Now()
	out, err := r.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(r.StateMachineARN),
		Name: aws.String(app.ApplicationID), Input: aws.String(string(input))})
	if err != nil {
		l.Err = fmt.Errorf("start execution: %w", err)
		return l
	}
	l.ExecutionARN = aws.ToString(out.ExecutionArn)
	deadline := time.Now().Add(r.Deadline)
	poll := r.Poll
	for {
		d, err := r.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		if err != nil {
			l.Err = fmt.Errorf("describe execution: %w", err)
			return l
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			l.Took = time.Since(start)
			if d.StartDate != nil && d.StopDate != nil {
				l.Took = d.StopDate.Sub(*d.StartDate)
			}
			l.Actual = outcomeOf(d)
			return l
		}
		if time.Now().After(deadline) {
			l.Err = errors.New("still RUNNING at the deadline")
			return l
		}
		select {
		case <-ctx.Done():
			l.Err = ctx.Err()
			return l
		case <-time.After(poll):
		}
		poll = min(2*poll, r.MaxPoll)
	}
}

func outcomeOf(d *sfn.DescribeExecutionOutput) Outcome {
	o := Outcome{Status: string(d.Status), Error: aws.ToString(d.Error)}
	if d.Output != nil {
		var out struct{ Decision, Reason string }
		if json.Unmarshal([]byte(*d.Output), &out) == nil {
			o.Decision, o.Reason = out.Decision, out.Reason
		}
	}
	return o
}
