package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// executionsView is the executions list.
type executionsView struct {
	Status, Query string
	Tabs          []statusCount // "" first: all
	Items         []Execution
	Limit         int
}

func (s *server) executions(w http.ResponseWriter, r *http.Request) {
	status := strings.ToUpper(r.URL.Query().Get("status"))
	query := strings.TrimSpace(r.URL.Query().Get("q"))
	if status != "" && !slices.Contains(Statuses, status) {
		s.render(w, r, http.StatusBadRequest, "error", page{Title: "Bad request", View: errorView{
			Code: http.StatusBadRequest, Message: fmt.Sprintf("unknown status %q: want one of %s", status, strings.Join(Statuses, ", "))}})
		return
	}
	counts, err := s.src.ExecutionCounts(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("count executions: %w", err))
		return
	}
	list, err := s.src.Executions(r.Context(), status, s.opts.Limit)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list executions (status %q): %w", status, err))
		return
	}
	if query != "" {
		q := strings.ToLower(query)
		list = slices.DeleteFunc(list, func(e Execution) bool {
			return !strings.Contains(strings.ToLower(e.Name+" "+e.StateMachine+" "+e.ARN), q)
		})
	}
	v := executionsView{Status: status, Query: query, Items: list, Limit: s.opts.Limit}
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

// executionView is one execution's page.
type executionView struct {
	ExecutionDetail
	Drawing    *drawing
	DrawingErr string
	Rows       []historyRow
	Waiting    []callbackRow // callbacks this execution waits for
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
	v := executionView{ExecutionDetail: d, Rows: historyRows(d.History, t.steps, d.Start)}
	if d.Definition != "" {
		v.Drawing, err = draw(d.Definition, t)
		if err != nil {
			v.DrawingErr = err.Error()
			s.log.WarnContext(r.Context(), "console: cannot draw the state machine", "execution", arn, "err", err)
		}
	}
	if d.Status == "RUNNING" {
		cbs, err := s.src.PendingCallbacks(r.Context(), s.opts.Limit)
		if err != nil {
			s.fail(w, r, fmt.Errorf("pending callbacks of %s: %w", arn, err))
			return
		}
		for _, c := range cbs {
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
	v := queueView{queueRow: rows[i], Messages: redactMessages(msgs), Limit: s.opts.Limit}
	if n, err := strconv.ParseInt(r.URL.Query().Get("redriven"), 10, 64); err == nil {
		v.Redriven = strconv.FormatInt(n, 10)
	}
	s.render(w, r, http.StatusOK, "queue", page{Title: name, Nav: "overview", Live: true, View: v})
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
