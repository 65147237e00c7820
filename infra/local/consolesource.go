package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/tokenstore"
	"loanflow/infra/local/console"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sqs"
)

func (s *Stack) consoleHandler() http.Handler {
	return console.New(&consoleSource{s: s}, console.Options{Title: "loanflow local stack", Logger: s.log})
}

// consoleSource reads the stack for the console.
type consoleSource struct {
	s       *Stack
	ddbOnce sync.Once
	ddb     *dynamodb.Client
}

var _ console.Source = (*consoleSource)(nil)

func notFound(err error) error {
	if errors.Is(err, sqs.ErrQueueDoesNotExist) || sfn.ErrorCode(err) == sfn.CodeExecutionDoesNotExist ||
		sfn.ErrorCode(err) == sfn.CodeStateMachineDoesNotExist || sfn.ErrorCode(err) == "InvalidArn" {
		return fmt.Errorf("%w: %v", console.ErrNotFound, err)
	}
	return err
}

func (c *consoleSource) Queues(ctx context.Context) ([]console.Queue, error) {
	st, err := c.s.Queues.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.Queue, 0, len(st))
	for _, q := range st {
		cq := console.Queue{Name: q.Name, URL: q.URL, Visible: q.Visible, InFlight: q.InFlight, Delayed: q.Delayed,
			OldestAge: q.OldestAge, DeadLetterQueue: q.DeadLetterQueue, MaxReceiveCount: q.MaxReceiveCount, SourceQueues: q.SourceQueues,
			FIFO: q.FIFO, GroupCount: q.GroupCount}
		for _, g := range q.Groups {
			cq.Groups = append(cq.Groups, console.QueueGroup{ID: g.ID, Messages: g.Messages, InFlight: g.InFlight})
		}
		out = append(out, cq)
	}
	return out, nil
}

func (c *consoleSource) QueueMessages(ctx context.Context, queue string, limit int) ([]console.Message, error) {
	msgs, err := c.s.Queues.Peek(ctx, queue, limit)
	if err != nil {
		return nil, notFound(err)
	}
	out := make([]console.Message, 0, len(msgs))
	for _, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v.StringValue
		}
		out = append(out, console.Message{ID: m.ID, Body: m.Body, SentAt: m.SentAt, ReceiveCount: m.ReceiveCount, Attributes: attrs})
	}
	return out, nil
}

func (c *consoleSource) Redrive(ctx context.Context, dlq string) (int64, error) {
	sources := c.s.Queues.DeadLetterSourceQueues(dlq)
	if len(sources) == 0 {
		return 0, fmt.Errorf("%s is not the dead-letter queue of any queue: %w", dlq, console.ErrInvalid)
	}
	n, err := c.s.Queues.Redrive(ctx, dlq, sources[0])
	if errors.Is(err, sqs.ErrInvalidParameterValue) {
		return 0, fmt.Errorf("%w: %v", console.ErrInvalid, err)
	}
	return n, notFound(err)
}

func (c *consoleSource) ExecutionCounts(ctx context.Context) (map[string]int, error) {
	st, err := c.s.Engine.Stats(ctx)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(st.Executions))
	for status, n := range st.Executions {
		counts[string(status)] = n
	}
	return counts, nil
}

var _ console.ExecutionSearcher = (*consoleSource)(nil)

func (c *consoleSource) Executions(ctx context.Context, status string, limit int) ([]console.Execution, error) {
	sms, err := c.s.Engine.ListStateMachines(ctx)
	if err != nil {
		return nil, err
	}
	var out []console.Execution
	for _, sm := range sms {
		xs, _, err := c.s.Engine.ListExecutions(ctx, sfn.ListExecutionsInput{StateMachineARN: sm.ARN, StatusFilter: sfn.Status(status), MaxResults: limit})
		if err != nil {
			return nil, err
		}
		for _, x := range xs {
			out = append(out, console.Execution{ARN: x.ExecutionARN, Name: x.Name, StateMachine: sm.Name, Status: string(x.Status),
				Started: x.StartDate, Stop: x.StopDate})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SearchExecutions pages through every state machine's executions, newest
// first, keeping those console.MatchExecution finds for query: at most
// limit+1 from each, so the newest limit across them all are known.
func (c *consoleSource) SearchExecutions(ctx context.Context, status, query string, limit int) ([]console.Execution, bool, error) {
	sms, err := c.s.Engine.ListStateMachines(ctx)
	if err != nil {
		return nil, false, err
	}
	var out []console.Execution
	for _, sm := range sms {
		found, next := 0, ""
		for found <= limit {
			xs, tok, err := c.s.Engine.ListExecutions(ctx, sfn.ListExecutionsInput{StateMachineARN: sm.ARN, StatusFilter: sfn.Status(status), MaxResults: 1000, NextToken: next})
			if err != nil {
				return nil, false, err
			}
			for _, x := range xs {
				e := console.Execution{ARN: x.ExecutionARN, Name: x.Name, StateMachine: sm.Name, Status: string(x.Status), Started: x.StartDate, Stop: x.StopDate}
				if found <= limit && console.MatchExecution(e, query) {
					out, found = append(out, e), found+1
				}
			}
			if tok == "" {
				break
			}
			next = tok
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

func (c *consoleSource) Execution(ctx context.Context, arn string) (console.ExecutionDetail, error) {
	x, err := c.s.Engine.DescribeExecution(ctx, arn)
	if err != nil {
		return console.ExecutionDetail{}, notFound(err)
	}
	sm, err := c.s.Engine.DescribeStateMachine(ctx, x.StateMachineARN)
	if err != nil {
		return console.ExecutionDetail{}, notFound(err)
	}
	d := console.ExecutionDetail{
		Execution: console.Execution{ARN: x.ExecutionARN, Name: x.Name, StateMachine: sm.Name, Status: string(x.Status), Started: x.StartDate},
		Input:     x.Input, Definition: sm.Definition,
	}
	if x.StopDate != nil {
		d.Stop = *x.StopDate
	}
	if x.Output != nil {
		d.Output = *x.Output
	}
	if x.Error != nil {
		d.Error = *x.Error
	}
	if x.Cause != nil {
		d.Cause = *x.Cause
	}
	next := ""
	for {
		evs, tok, err := c.s.Engine.GetExecutionHistory(ctx, sfn.HistoryInput{ExecutionARN: arn, MaxResults: 1000, NextToken: next})
		if err != nil {
			return console.ExecutionDetail{}, err
		}
		for _, e := range evs {
			d.History = append(d.History, console.HistoryEvent{ID: e.ID, PreviousID: e.PreviousEventID, Time: e.Timestamp, Type: e.Type, Details: e.Details})
		}
		if tok == "" || len(d.History) >= 10000 {
			break
		}
		next = tok
	}
	return d, nil
}

func (c *consoleSource) PendingCallbacks(ctx context.Context, limit int) (console.Callbacks, error) {
	// The open tasks are read before and after the records: a record's
	// task opens before the record is written (the request that carries
	// its token is sent once it is), and while the records are read a
	// callback may resolve one. See taskEnded.
	readAt := time.Now()
	before, err := c.s.Engine.OpenTaskTokens(ctx)
	if err != nil {
		return console.Callbacks{}, err
	}
	recs, err := c.records(ctx)
	if err != nil {
		return console.Callbacks{}, err
	}
	after, err := c.s.Engine.OpenTaskTokens(ctx)
	if err != nil {
		return console.Callbacks{}, err
	}
	var out []console.Callback
	for _, r := range recs {
		if r.Status != tokenstore.StatusPending {
			continue
		}
		out = append(out, console.Callback{CallbackID: r.CallbackID, ExecutionARN: r.ExecutionID, ApplicationID: r.ApplicationID,
			Status: string(r.Status), ValuationReference: r.ValuationReference, TokenPreview: lambdalog.Token(r.TaskToken),
			CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Ended: taskEnded(r, before, after, readAt)})
	}
	return console.SplitCallbacks(out, limit), nil
}

// recordSettle is how long before the first read of the open tasks a
// record must have been written to be called a record of an ended task:
// its task may have opened after that read, and createdAt is kept to the
// millisecond.
const recordSettle = time.Second

// taskEnded tells whether nothing waits for record r any more: its task was
// open at neither read of the open tasks (before and after, the first at
// readAt), and it was written before the first, so that its task cannot
// have opened, and closed, between the two.
func taskEnded(r tokenstore.Record, before, after map[string]bool, readAt time.Time) bool {
	return !before[r.TaskToken] && !after[r.TaskToken] && r.CreatedAt.Before(readAt.Add(-recordSettle))
}

// Secrets lists the token and callback id of every record in the token
// table, whatever its status (a resolved token still shows in its
// execution's history), and the webhook's signing key and API key.
func (c *consoleSource) Secrets(ctx context.Context) (console.Secrets, error) {
	recs, err := c.records(ctx)
	if err != nil {
		return console.Secrets{}, err
	}
	var sec console.Secrets
	for _, r := range recs {
		sec.TaskTokens = append(sec.TaskTokens, r.TaskToken)
		sec.CallbackIDs = append(sec.CallbackIDs, r.CallbackID)
	}
	if c.s.Secrets != nil {
		for _, name := range []string{c.s.Config.Signature.SecretName, WebhookAPIKeySecretName} {
			if k, ok := c.s.Secrets.Current(name); ok {
				sec.Keys = append(sec.Keys, k)
			}
		}
	}
	return sec, nil
}

// records scans the token table through the stack's own DynamoDB API.
func (c *consoleSource) records(ctx context.Context) ([]tokenstore.Record, error) {
	c.ddbOnce.Do(func() { c.ddb = dynamodb.NewFromConfig(c.s.awsConfig(c.s.Outputs.Endpoint)) })
	var out []tokenstore.Record
	var start map[string]ddbtypes.AttributeValue
	for {
		page, err := c.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(TableName), ExclusiveStartKey: start, Limit: aws.Int32(500)})
		if err != nil {
			return nil, fmt.Errorf("scan token table: %w", err)
		}
		for _, item := range page.Items {
			if r, err := tokenstore.RecordFromItem(item); err == nil {
				out = append(out, r)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

// CallbackCounts names the resolver's metrics (CallbacksResolved, ...) as
// the console's outcome tiles do (resolved, ...).
func (c *consoleSource) CallbackCounts(context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for k, v := range c.s.Metrics.Snapshot() {
		out[strings.ToLower(strings.TrimPrefix(k, "Callbacks"))] = v
	}
	return out, nil
}

func (c *consoleSource) RecentEvents(ctx context.Context, limit int) ([]console.Event, error) {
	evs, err := c.s.Bus.Recent(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]console.Event, 0, len(evs))
	for _, e := range evs {
		var env struct {
			Detail json.RawMessage `json:"detail"`
		}
		_ = json.Unmarshal([]byte(e.Envelope), &env)
		out = append(out, console.Event{ID: e.ID, Bus: e.Bus, Source: e.Source, DetailType: e.DetailType, At: e.At,
			Matched: e.Matched, Detail: string(env.Detail)})
	}
	return out, nil
}

// EventBus lists every bus's rules, with their state and schedule, the
// archives and the replays (console.BusDescriber).
func (c *consoleSource) EventBus(ctx context.Context) (console.BusOverview, error) {
	var out console.BusOverview
	buses, err := c.s.Bus.Buses(ctx)
	if err != nil {
		return out, err
	}
	for _, bus := range buses {
		for _, r := range c.s.Bus.Rules(bus) {
			ts, err := c.s.Bus.Targets(ctx, bus, r.Name)
			if err != nil {
				return out, err
			}
			out.Rules = append(out.Rules, console.BusRule{Bus: bus, Name: r.Name, State: r.State, Schedule: r.ScheduleExpression,
				Targets: len(ts), NextFire: r.NextFire})
		}
	}
	archives, err := c.s.Bus.Archives(ctx)
	if err != nil {
		return out, err
	}
	for _, a := range archives {
		out.Archives = append(out.Archives, console.Archive{Name: a.Name, Bus: a.Bus, EventCount: a.EventCount, RetentionDays: a.RetentionDays})
	}
	replays, err := c.s.Bus.Replays(ctx)
	if err != nil {
		return out, err
	}
	for _, r := range replays {
		out.Replays = append(out.Replays, console.Replay{Name: r.Name, Archive: r.Archive, State: r.State, Started: r.Started})
	}
	return out, nil
}

func (c *consoleSource) FailedDeliveries(ctx context.Context, limit int) ([]console.FailedDelivery, error) {
	fs, err := c.s.Bus.Failed(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]console.FailedDelivery, 0, len(fs))
	for _, f := range fs {
		out = append(out, console.FailedDelivery{EventID: f.EventID, Rule: f.Rule, TargetARN: f.TargetARN, DLQARN: f.DLQARN,
			Error: f.Error, Attempts: f.Attempts, At: f.At})
	}
	return out, nil
}

func (c *consoleSource) Functions(context.Context) ([]console.Function, error) {
	var out []console.Function
	for _, f := range c.s.Functions.All() {
		out = append(out, console.Function{Name: f.Name, Invocations: f.Invocations, Errors: f.Errors, Throttles: f.Throttles,
			InFlight: f.InFlight, Concurrency: f.Concurrency})
	}
	return out, nil
}

// snsShownChars is how much of a message sns.Service.Topics gives: the
// first 500 characters (SQLite's substr counts characters, not bytes).
const snsShownChars = 500

// Topics reads sns.Service.Topics. It gives no message's size, only its
// beginning: a message that long is marked Cut, its Size a lower bound.
func (c *consoleSource) Topics(ctx context.Context, recent int) ([]console.Topic, error) {
	if c.s.Topics == nil {
		return nil, nil
	}
	ts, err := c.s.Topics.Topics(ctx, recent)
	if err != nil {
		return nil, err
	}
	out := make([]console.Topic, 0, len(ts))
	for _, t := range ts {
		ct := console.Topic{ARN: t.ARN, Name: t.Name, DisplayName: t.DisplayName}
		for _, sub := range t.Subscriptions {
			ct.Subscriptions = append(ct.Subscriptions, console.Subscription{ARN: sub.SubscriptionARN, Protocol: sub.Protocol,
				Endpoint: sub.Endpoint, Pending: sub.Pending, RawMessageDelivery: sub.RawMessageDelivery, FilterPolicy: sub.FilterPolicy})
		}
		for _, p := range t.Recent {
			ct.Recent = append(ct.Recent, console.TopicMessage{ID: p.MessageID, Subject: p.Subject, Body: p.Message,
				Size: len(p.Message), Cut: utf8.RuneCountInString(p.Message) >= snsShownChars, PublishedAt: p.PublishedAt,
				Matched: p.Matched, Delivered: p.Delivered, Pending: p.Pending, Failed: p.Failed, Dropped: p.Dropped, LastError: p.LastError})
		}
		out = append(out, ct)
	}
	return out, nil
}
