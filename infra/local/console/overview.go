package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"loanflow/consumers/lambdalog"
)

// section is one panel's items, or the error that kept it empty.
type section[T any] struct {
	Items []T
	Err   string
}

// overviewView is the overview page.
type overviewView struct {
	Statuses  section[statusCount]
	Queues    section[queueRow]
	Callbacks section[callbackRow]
	// Ended are the records left PENDING by tasks that have ended; the
	// totals count those not listed too.
	Ended                    []callbackRow
	WaitingTotal, EndedTotal int
	Outcomes                 section[outcome]
	Events                   section[Event]
	Failed                   section[FailedDelivery]
	Functions                section[Function]
	Topics                   section[topicRow]
	// Bus is the rules, archives and replays, when the Source describes them.
	Bus    *BusOverview
	BusErr string
	// Activities are the Step Functions activities, when the Source lists
	// them.
	Activities *section[Activity]
	Errors     []string
}

// statusCount is one tile of the executions panel.
type statusCount struct {
	Status string
	N      int
}

// queueRow is a queue with the depth of the dead-letter queue behind it.
type queueRow struct {
	Queue
	DLQName  string
	DLQDepth int64
	HasDLQ   bool
}

// IsDLQ tells whether other queues dead-letter into this one.
func (q queueRow) IsDLQ() bool { return len(q.SourceQueues) > 0 }

// callbackRow is a pending callback as shown: neither its token nor its
// whole callback id, of which ShortID is a prefix.
type callbackRow struct {
	Callback
	ShortID string
}

// newCallbackRow hides c's secrets.
func newCallbackRow(c Callback) callbackRow {
	short := lambdalog.ID(c.CallbackID)
	c.CallbackID, c.TokenPreview = "", "" // never on a page, not even in part
	return callbackRow{Callback: c, ShortID: short}
}

// outcome is one callback counter with what it means.
type outcome struct {
	Name, Help string
	N          int64
}

// outcomes are the callback counters in the order the console shows them.
var outcomes = []outcome{
	{Name: "resolved", Help: "resumed their execution"},
	{Name: "failed", Help: "reported a failed valuation"},
	{Name: "late", Help: "arrived after the task ended"},
	{Name: "duplicate", Help: "for a callback already answered"},
	{Name: "unknown", Help: "for no known callback id"},
	{Name: "rejected", Help: "bad signature or body"},
}

func (s *server) overview(w http.ResponseWriter, r *http.Request) {
	v := s.loadOverview(r.Context())
	code := http.StatusOK
	if len(v.Errors) > 0 {
		code = http.StatusInternalServerError
		s.log.ErrorContext(r.Context(), "console: overview", "errors", strings.Join(v.Errors, "; "))
	}
	s.render(w, r, code, "overview", page{Title: "Overview", Nav: "overview", Live: true, View: v})
}

// loadOverview asks Source for every panel. A panel that fails shows its
// error; the others still render.
func (s *server) loadOverview(ctx context.Context) overviewView {
	var v overviewView
	note := func(panel string, err error) string {
		if err == nil {
			return ""
		}
		msg := redactText(fmt.Sprintf("%s: %v", panel, err))
		v.Errors = append(v.Errors, msg)
		return msg
	}
	limit := s.opts.Limit

	counts, err := s.src.ExecutionCounts(ctx)
	v.Statuses.Err = note("execution counts", err)
	for _, st := range Statuses {
		v.Statuses.Items = append(v.Statuses.Items, statusCount{Status: st, N: counts[st]})
	}

	queues, err := s.src.Queues(ctx)
	v.Queues.Err = note("queues", err)
	v.Queues.Items = queueRows(queues)

	cbs, err := s.src.PendingCallbacks(ctx, limit)
	v.Callbacks.Err = note("pending callbacks", err)
	for _, c := range cbs.Waiting {
		v.Callbacks.Items = append(v.Callbacks.Items, newCallbackRow(c))
	}
	for _, c := range cbs.Ended {
		v.Ended = append(v.Ended, newCallbackRow(c))
	}
	v.WaitingTotal, v.EndedTotal = cbs.WaitingTotal, cbs.EndedTotal

	cc, err := s.src.CallbackCounts(ctx)
	v.Outcomes.Err = note("callback counters", err)
	v.Outcomes.Items = outcomeTiles(cc)

	events, err := s.src.RecentEvents(ctx, limit)
	v.Events.Err = note("recent events", err)
	for _, e := range events {
		e.Detail = redactJSON(e.Detail)
		v.Events.Items = append(v.Events.Items, e)
	}
	failed, err := s.src.FailedDeliveries(ctx, limit)
	v.Failed.Err = note("failed deliveries", err)
	for _, f := range failed {
		f.Error = redactText(f.Error)
		v.Failed.Items = append(v.Failed.Items, f)
	}
	v.Functions.Items, err = s.src.Functions(ctx)
	v.Functions.Err = note("functions", err)

	if bd, ok := s.src.(BusDescriber); ok {
		bus, err := bd.EventBus(ctx)
		v.BusErr = note("event bus rules", err)
		v.Bus = &bus
	}

	if al, ok := s.src.(ActivityLister); ok {
		acts, err := al.Activities(ctx)
		v.Activities = &section[Activity]{Items: acts, Err: note("activities", err)}
	}

	topics, err := s.src.Topics(ctx, limit)
	v.Topics.Err = note("topics", err)
	v.Topics.Items = topicRows(topics, strings.NewReplacer()) // names and counts, nothing cut: render hides the rest
	return v
}

// queueRows pairs each queue with its dead-letter queue's depth.
func queueRows(queues []Queue) []queueRow {
	byName := make(map[string]Queue, len(queues))
	for _, q := range queues {
		byName[q.Name] = q
	}
	rows := make([]queueRow, 0, len(queues))
	for _, q := range queues {
		row := queueRow{Queue: q}
		if q.DeadLetterQueue != "" {
			row.DLQName = queueName(q.DeadLetterQueue)
			if dlq, ok := byName[row.DLQName]; ok {
				row.DLQDepth, row.HasDLQ = dlq.Visible+dlq.InFlight+dlq.Delayed, true
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// outcomeTiles lists the known counters first, then any others the stack
// keeps, so a new counter shows up without a console change.
func outcomeTiles(counts map[string]int64) []outcome {
	tiles := slices.Clone(outcomes)
	seen := map[string]bool{}
	for i := range tiles {
		for k, n := range counts {
			if strings.EqualFold(k, tiles[i].Name) {
				tiles[i].N += n
				seen[k] = true
			}
		}
	}
	var extra []string
	for k := range counts {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		tiles = append(tiles, outcome{Name: strings.ToLower(k), N: counts[k]})
	}
	return tiles
}
