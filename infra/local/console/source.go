// Package console serves the local stack's web console at "/": queues,
// executions with their history and a drawing of the state machine, pending
// callbacks, recent bus events and failed deliveries, SNS topics with their
// subscriptions and recent messages. It reads everything
// through Source, so it knows nothing of how the stack stores it.
package console

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Source is what the console reads and the two actions it may take.
type Source interface {
	Queues(ctx context.Context) ([]Queue, error)
	QueueMessages(ctx context.Context, queue string, limit int) ([]Message, error)
	// Redrive moves every message of a dead-letter queue back to its source queue.
	Redrive(ctx context.Context, dlq string) (int64, error)

	ExecutionCounts(ctx context.Context) (map[string]int, error)
	// Executions lists executions, newest first; status "" means all.
	Executions(ctx context.Context, status string, limit int) ([]Execution, error)
	Execution(ctx context.Context, arn string) (ExecutionDetail, error)

	// PendingCallbacks lists the token records that still say PENDING
	// (SplitCallbacks: up to limit of each kind, limit 0 all of them).
	PendingCallbacks(ctx context.Context, limit int) (Callbacks, error)
	CallbackCounts(ctx context.Context) (map[string]int64, error)
	RecentEvents(ctx context.Context, limit int) ([]Event, error)
	FailedDeliveries(ctx context.Context, limit int) ([]FailedDelivery, error)
	Functions(ctx context.Context) ([]Function, error)
	// Topics lists the SNS topics by name, each with its subscriptions and
	// its newest messages, newest first, at most recent of them (none when
	// recent is 0).
	Topics(ctx context.Context, recent int) ([]Topic, error)

	// Secrets lists the whole task tokens, callback ids and keys the stack
	// knows, pending or not: no page may show one (redact.go).
	Secrets(ctx context.Context) (Secrets, error)
}

// ExecutionSearcher is a Source that can search all of its executions,
// however old. The console's search (?q=) uses it when its Source has it;
// otherwise it searches only the newest FallbackSearchScan executions.
type ExecutionSearcher interface {
	// SearchExecutions returns, newest first, up to limit executions that
	// MatchExecution finds for query (status "" means any), and whether
	// more than limit match.
	SearchExecutions(ctx context.Context, status, query string, limit int) (found []Execution, more bool, err error)
}

// BusDescriber is a Source that describes its event buses beyond their
// events: the rules with their state and schedule, the archives and the
// replays. The overview shows them when its Source is one.
type BusDescriber interface {
	EventBus(ctx context.Context) (BusOverview, error)
}

// BusOverview is what the overview shows of the event buses' rules,
// archives and replays.
type BusOverview struct {
	Rules    []BusRule
	Archives []Archive
	Replays  []Replay
}

// BusRule is a rule, its state (ENABLED, DISABLED) and, for a scheduled
// rule, its schedule expression and next firing.
type BusRule struct {
	Bus, Name, State, Schedule string
	Targets                    int
	NextFire                   time.Time
}

// Archive is an event archive of a bus and how many events it keeps.
type Archive struct {
	Name, Bus     string
	EventCount    int64
	RetentionDays int // 0: forever
}

// Replay is a replay of an archive and its state.
type Replay struct {
	Name, Archive, State string
	Started              time.Time
}

// MatchExecution reports whether e answers a search: its name (a loan's
// execution is named after the loan's application id), its ARN or its state
// machine contains query, ignoring case.
func MatchExecution(e Execution, query string) bool {
	for _, field := range []string{e.Name, e.ARN, e.StateMachine} {
		if containsFold(field, query) {
			return true
		}
	}
	return false
}

func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}

// Secrets are values no page shows whole: task tokens and callback ids
// are shown as a short prefix, keys not even in part.
type Secrets struct {
	TaskTokens, CallbackIDs []string
	// Keys are the signing keys and API keys the stack holds.
	Keys []string
}

// Queue is one SQS queue's figures.
type Queue struct {
	Name, URL                  string
	Visible, InFlight, Delayed int64
	OldestAge                  time.Duration
	DeadLetterQueue            string // the DLQ this queue redrives to, if any
	MaxReceiveCount            int
	SourceQueues               []string // non-empty when this queue is a DLQ
	// FIFO marks a FIFO queue; Groups are its message groups, oldest first
	// (a Source may list only the first of them), and GroupCount how many
	// groups it has.
	FIFO       bool
	Groups     []QueueGroup
	GroupCount int
}

// Message is a queue message as peeked (not received).
type Message struct {
	ID           string
	Body         string
	SentAt       time.Time
	ReceiveCount int
	Attributes   map[string]string
}

// Execution is one execution as listed.
type Execution struct {
	ARN, Name, StateMachine, Status string
	Started                         time.Time
	Stop                            time.Time // zero while running
}

// ExecutionDetail is one execution with its history and definition.
type ExecutionDetail struct {
	Execution
	Input, Output, Error, Cause string
	History                     []HistoryEvent
	// Definition is the state machine's ASL JSON, for the drawing.
	Definition string
}

// HistoryEvent is one event of an execution's history, as GetExecutionHistory gives it.
type HistoryEvent struct {
	ID, PreviousID int64
	Time           time.Time
	Type           string
	// Details holds the event's details object (stateEnteredEventDetails, ...):
	// name, input and output (JSON strings), error, cause, resource, ...
	Details map[string]any
}

// Callback is a token record waiting for (or done with) its callback. Neither
// its task token nor its callback id is shown whole: TokenPreview holds a
// short stand-in of the token, and a page shows a prefix of the id.
type Callback struct {
	CallbackID, ExecutionARN, ApplicationID, Status, ValuationReference, TokenPreview string
	CreatedAt, ExpiresAt                                                              time.Time
	// Ended: the record still says PENDING, but nothing waits for it any
	// more: its task timed out or its execution ended. It stays until it
	// expires, and a callback for it now is answered as late.
	Ended bool
}

// Callbacks are the token records that still say PENDING: those an
// execution waits for and those whose task has ended, each newest first and
// cut to a limit, and how many there are of each.
type Callbacks struct {
	Waiting, Ended           []Callback
	WaitingTotal, EndedTotal int
}

// SplitCallbacks sorts records into Callbacks by their Ended mark, newest
// first, keeping up to limit of each kind (limit 0: all).
func SplitCallbacks(records []Callback, limit int) Callbacks {
	var cb Callbacks
	for _, c := range records {
		if c.Ended {
			cb.Ended = append(cb.Ended, c)
		} else {
			cb.Waiting = append(cb.Waiting, c)
		}
	}
	cb.WaitingTotal, cb.EndedTotal = len(cb.Waiting), len(cb.Ended)
	cb.Waiting, cb.Ended = newest(cb.Waiting, limit), newest(cb.Ended, limit)
	return cb
}

// newest sorts cs newest first and keeps up to limit of them (0: all).
func newest(cs []Callback, limit int) []Callback {
	slices.SortStableFunc(cs, func(a, b Callback) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if limit > 0 && len(cs) > limit {
		cs = cs[:limit]
	}
	return cs
}

// Event is one event accepted by the bus and the rules it matched.
type Event struct {
	ID, Bus, Source, DetailType string
	At                          time.Time
	Matched                     []string
	Detail                      string
}

// FailedDelivery is a rule target delivery that exhausted its retry policy.
type FailedDelivery struct {
	EventID, Rule, TargetARN, DLQARN, Error string
	Attempts                                int
	At                                      time.Time
}

// Function is one local Lambda function's counters.
type Function struct {
	Name                           string
	Invocations, Errors, Throttles int64
	InFlight, Concurrency          int
}

// Topic is one SNS topic with its subscriptions and its newest messages.
type Topic struct {
	ARN, Name, DisplayName string
	Subscriptions          []Subscription
	Recent                 []TopicMessage // newest first
}

// Subscription is one subscription of a topic.
type Subscription struct {
	ARN, Protocol, Endpoint string
	// Pending says the subscription waits for its confirmation.
	Pending            bool
	RawMessageDelivery bool
	FilterPolicy       string // JSON, "" when it takes every message
}

// TopicMessage is one message published to a topic and what became of its
// deliveries.
type TopicMessage struct {
	ID, Subject string
	Body        string
	// Size is the body's length in bytes as published; when Cut, Body is
	// only its beginning and the message is at least Size bytes.
	Size        int
	Cut         bool
	PublishedAt time.Time
	// Matched is how many subscriptions the message was for (after their
	// filter policies); the others count those deliveries by state.
	Matched, Delivered, Pending, Failed, Dropped int
	LastError                                    string // the latest failure of one of its deliveries
}
