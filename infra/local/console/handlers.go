package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// executionsView is the executions list.
type executionsView struct {
	Status, Query string
	Tabs          []statusCount // "" first: all
	Items         []Execution
	Limit         int
	// More says that more executions match the search than are shown.
	More bool
	// Scanned is how many of the newest executions a search looked at when
	// the Source cannot search them all; 0 when it searched them all.
	Scanned int
}

// MaxSearchLength bounds the search text (?q=).
const MaxSearchLength = 256

// FallbackSearchScan is how many of the newest executions the console
// searches itself when its Source is not an ExecutionSearcher.
const FallbackSearchScan = 1000

func (s *server) executions(w http.ResponseWriter, r *http.Request) {
	status := strings.ToUpper(r.URL.Query().Get("status"))
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	if status != "" && !slices.Contains(Statuses, status) {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request", View: errorView{
			Code: http.StatusBadRequest, Message: fmt.Sprintf("unknown status %q: want one of %s", status, strings.Join(Statuses, ", "))}})
		return
	}
	if n := utf8.RuneCountInString(query); n > MaxSearchLength {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request", View: errorView{
			Code: http.StatusBadRequest, Message: fmt.Sprintf("q: the search must be at most %d characters, got %d", MaxSearchLength, n)}})
		return
	}
	counts, err := s.src.ExecutionCounts(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("count executions: %w", err))
		return
	}
	v := executionsView{Status: status, Query: query, Limit: s.opts.Limit}
	if query == "" {
		v.Items, err = s.src.Executions(r.Context(), status, s.opts.Limit)
	} else {
		v.Items, v.More, v.Scanned, err = s.searchExecutions(r.Context(), status, query)
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("list executions (status %q, search %q): %w", status, query, err))
		return
	}
	total := 0
	for _, st := range Statuses {
		total += counts[st]
	}
	v.Tabs = append(v.Tabs, statusCount{N: total})
	for _, st := range Statuses {
		v.Tabs = append(v.Tabs, statusCount{Status: st, N: counts[st]})
	}
	title := "Executions"
	if status != "" {
		title = statusLabel(status) + " executions"
	}
	s.render(w, r, http.StatusOK, "executions", page{Title: title, Nav: "executions", Live: true, View: v})
}

// searchExecutions finds up to Limit executions matching query, newest
// first: all of the Source's executions when it is an ExecutionSearcher,
// else the newest FallbackSearchScan, which scanned then reports.
func (s *server) searchExecutions(ctx context.Context, status, query string) (found []Execution, more bool, scanned int, err error) {
	if es, ok := s.src.(ExecutionSearcher); ok {
		found, more, err = es.SearchExecutions(ctx, status, query, s.opts.Limit)
		if len(found) > s.opts.Limit {
			found, more = found[:s.opts.Limit], true
		}
		return found, more, 0, err
	}
	list, err := s.src.Executions(ctx, status, FallbackSearchScan)
	if err != nil {
		return nil, false, 0, err
	}
	for _, e := range list {
		if !MatchExecution(e, query) {
			continue
		}
		if len(found) == s.opts.Limit {
			more = true
			break
		}
		found = append(found, e)
	}
	if len(list) >= FallbackSearchScan {
		scanned = len(list)
	}
	return found, more, scanned, nil
}

// executionView is one execution's page.
type executionView struct {
	ExecutionDetail
	Drawing    *drawing
	DrawingErr string
	Rows       []historyRow
	Waiting    []callbackRow // callbacks this execution waits for
	States     []stateView   // the definition's states and their data fields
}

func (s *server) execution(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("arn")
	if arn == "" {
		s.fail(w, r, fmt.Errorf("no execution given (want ?arn=...): %w", ErrNotFound))
		return
	}
	d, err := s.src.Execution(r.Context(), arn)
	if err != nil {
		s.fail(w, r, fmt.Errorf("describe execution %s: %w", arn, err))
		return
	}
	d = redactExecution(d)
	t := walkHistory(d.History, d.Status)
	v := executionView{ExecutionDetail: d, Rows: historyRows(d.History, t.steps, d.Started)}
	if d.Definition != "" {
		v.Drawing, err = draw(d.Definition, t)
		if err != nil {
			v.DrawingErr = err.Error()
			s.log.WarnContext(r.Context(), "console: cannot draw the state machine", "execution", arn, "err", err)
		}
		if m, err := parseDefinition(d.Definition); err == nil {
			v.States = stateViews(m)
		}
	}
	if d.Status == "RUNNING" {
		// All of them: this execution's may not be among the newest.
		cbs, err := s.src.PendingCallbacks(r.Context(), 0)
		if err != nil {
			s.fail(w, r, fmt.Errorf("pending callbacks of %s: %w", arn, err))
			return
		}
		for _, c := range cbs.Waiting {
			if c.ExecutionARN == d.ARN {
				v.Waiting = append(v.Waiting, newCallbackRow(c))
			}
		}
	}
	name := d.Name
	if name == "" {
		name = execName(arn)
	}
	s.render(w, r, http.StatusOK, "execution", page{Title: name, Nav: "executions", Live: d.Status == "RUNNING", View: v})
}

// queueView is one queue's page.
type queueView struct {
	queueRow
	Messages []Message
	Limit    int
	Redriven string // set after a redrive: how many messages moved
}

func (s *server) queue(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	queues, err := s.src.Queues(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list queues: %w", err))
		return
	}
	rows := queueRows(queues)
	i := slices.IndexFunc(rows, func(q queueRow) bool { return q.Name == name })
	if i < 0 {
		s.fail(w, r, fmt.Errorf("queue %q: %w", name, ErrNotFound))
		return
	}
	msgs, err := s.src.QueueMessages(r.Context(), name, s.opts.Limit)
	if err != nil {
		s.fail(w, r, fmt.Errorf("peek messages of %s: %w", name, err))
		return
	}
	// The page shows the beginning of each body: a known secret in it must
	// be hidden before the cut (see topics).
	sec, err := s.src.Secrets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list the secrets the queue page must hide: %w", err))
		return
	}
	msgs = redactMessages(msgs)
	hide := valueRedactor(sec)
	for i := range msgs {
		msgs[i].Body = hide.Replace(msgs[i].Body)
	}
	v := queueView{queueRow: rows[i], Messages: msgs, Limit: s.opts.Limit}
	if n, err := strconv.ParseInt(r.URL.Query().Get("redriven"), 10, 64); err == nil {
		v.Redriven = strconv.FormatInt(n, 10)
	}
	s.render(w, r, http.StatusOK, "queue", page{Title: name, Nav: "overview", Live: true, View: v, known: &sec})
}

// errCrossOrigin rejects a form posted from another site.
var errCrossOrigin = errors.New("cross-origin request refused: the form must be posted from this console")

func (s *server) redrive(w http.ResponseWriter, r *http.Request) {
	if err := sameOrigin(r); err != nil {
		s.log.WarnContext(r.Context(), "console: redrive refused", "err", err,
			"origin", r.Header.Get("Origin"), "referer", r.Header.Get("Referer"))
		s.render(w, r, http.StatusForbidden, "error", page{Title: "Forbidden",
			View: errorView{Code: http.StatusForbidden, Message: err.Error()}})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request",
			View: errorView{Code: http.StatusBadRequest, Message: "read form: " + err.Error()}})
		return
	}
	name := r.PostForm.Get("name")
	if name == "" {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request",
			View: errorView{Code: http.StatusBadRequest, Message: "no queue named in the form (field name)"}})
		return
	}
	queues, err := s.src.Queues(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list queues: %w", err))
		return
	}
	i := slices.IndexFunc(queues, func(q Queue) bool { return q.Name == name })
	if i < 0 {
		s.fail(w, r, fmt.Errorf("cannot redrive queue %q: %w", name, ErrNotFound))
		return
	}
	if len(queues[i].SourceQueues) == 0 {
		s.fail(w, r, invalidf("cannot redrive %s: it is not a dead-letter queue (no queue's RedrivePolicy targets it), so there is no queue to move its messages back to", name))
		return
	}
	n, err := s.src.Redrive(r.Context(), name)
	if err != nil {
		s.fail(w, r, fmt.Errorf("redrive %s: %w", name, err))
		return
	}
	s.log.InfoContext(r.Context(), "console: redrive", "queue", name, "moved", n)
	http.Redirect(w, r, queueHref(name)+"&redriven="+strconv.FormatInt(n, 10), http.StatusSeeOther)
}

// redactExecution hides the secrets of an execution's payloads: the task
// token in a RequestValuation's parameters, the callback URL in the mock
// service's input, ...
func redactExecution(d ExecutionDetail) ExecutionDetail {
	d.Input, d.Output, d.Cause = redactJSON(d.Input), redactJSON(d.Output), redactJSON(d.Cause)
	d.Error = redactText(d.Error)
	history := make([]HistoryEvent, len(d.History))
	for i, e := range d.History {
		e.Details = redactDetails(e.Details)
		history[i] = e
	}
	d.History = history
	return d
}

// redactMessages hides the secrets of queue messages: the task token of a
// valuation request, the callback of a dead-lettered event, ...
func redactMessages(msgs []Message) []Message {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		m.Body = redactJSON(m.Body)
		attrs := make(map[string]string, len(m.Attributes))
		for k, a := range m.Attributes {
			attrs[k] = redactJSON(a)
		}
		m.Attributes = attrs
		out[i] = m
	}
	return out
}
