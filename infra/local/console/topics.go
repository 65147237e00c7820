package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MaxBodyShown bounds, in characters, the part of a topic message's body
// a page shows, whatever the Source gives.
const MaxBodyShown = 1000

// topicsView is the topics page.
type topicsView struct {
	Topics []topicRow
	Limit  int // the newest messages shown per topic
}

// topicRow is a topic as shown: its secrets hidden, its subscriptions and
// failed deliveries counted.
type topicRow struct {
	Topic
	Messages           []topicMessageRow
	Confirmed, Pending int // subscriptions
	Failed             int // failed deliveries of the messages shown
}

// topicMessageRow is a message as shown.
type topicMessageRow struct {
	TopicMessage
	// Clipped says Body is only the beginning of the message, cut by the
	// Source or to MaxBodyShown.
	Clipped bool
}

func (s *server) topics(w http.ResponseWriter, r *http.Request) {
	ts, err := s.src.Topics(r.Context(), s.opts.Limit)
	if err != nil {
		s.fail(w, r, fmt.Errorf("list topics: %w", err))
		return
	}
	// The page shows the beginning of long texts: a known secret they hold
	// must be hidden before the cut, or a prefix of it would escape the
	// value pass of render.
	sec, err := s.src.Secrets(r.Context())
	if err != nil {
		s.fail(w, r, fmt.Errorf("list the secrets the topics page must hide: %w", err))
		return
	}
	s.render(w, r, http.StatusOK, "topics", page{Title: "Topics", Nav: "topics", Live: true, known: &sec,
		View: topicsView{Topics: topicRows(ts, valueRedactor(sec)), Limit: s.opts.Limit}})
}

// topicRows hides the secrets of topics, known ones by hide, and counts
// what the pages show.
func topicRows(ts []Topic, hide *strings.Replacer) []topicRow {
	rows := make([]topicRow, 0, len(ts))
	for _, t := range ts {
		t.DisplayName = hide.Replace(redactText(t.DisplayName))
		subs := make([]Subscription, len(t.Subscriptions))
		row := topicRow{}
		for i, sub := range t.Subscriptions {
			// An HTTP endpoint may be a callback URL.
			sub.Endpoint, sub.FilterPolicy = hide.Replace(redactText(sub.Endpoint)), hide.Replace(redactJSON(sub.FilterPolicy))
			subs[i] = sub
			if sub.Pending {
				row.Pending++
			} else {
				row.Confirmed++
			}
		}
		t.Subscriptions = subs
		for _, m := range t.Recent {
			m.Subject, m.LastError = hide.Replace(redactText(m.Subject)), hide.Replace(redactText(m.LastError))
			m.Body = hide.Replace(redactCut(m.Body))
			mr := topicMessageRow{TopicMessage: m, Clipped: m.Cut}
			if len([]rune(m.Body)) > MaxBodyShown {
				mr.Body, mr.Clipped = string([]rune(m.Body)[:MaxBodyShown]), true
			}
			row.Failed += m.Failed
			row.Messages = append(row.Messages, mr)
		}
		t.Recent = nil // shown as Messages
		row.Topic = t
		rows = append(rows, row)
	}
	return rows
}

// topicAnchor is the id of a topic's section on the topics page.
func topicAnchor(name string) string { return "topic-" + name }

func topicHref(name string) string { return "/topics#" + url.PathEscape(topicAnchor(name)) }
