package sns

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Topic is a topic as the console shows it: its subscriptions and its
// most recent messages with what became of their deliveries.
type Topic struct {
	ARN, Name, DisplayName string
	Subscriptions          []SubscriptionInfo
	Recent                 []Published
}

// Published is one published message and its deliveries.
type Published struct {
	MessageID, Subject string
	// Message is the message, cut to 500 bytes.
	Message     string
	PublishedAt time.Time
	// Matched is how many subscriptions it was delivered to (after
	// filter policies); the rest count those deliveries by state.
	Matched, Delivered, Pending, Failed, Dropped int
	// LastError is the latest failure of one of its deliveries.
	LastError string
}

// Topics lists every topic, by name, with its subscriptions and its
// recent messages, newest first (at most recent of them).
func (s *Service) Topics(ctx context.Context, recent int) ([]Topic, error) {
	s.mu.RLock()
	ts := slices.Collect(maps.Values(s.topics))
	s.mu.RUnlock()
	slices.SortFunc(ts, func(a, b *topic) int { return strings.Compare(a.name, b.name) })
	out := make([]Topic, 0, len(ts))
	for _, t := range ts {
		tp := Topic{ARN: t.arn, Name: t.name, DisplayName: t.attrs["DisplayName"]}
		for _, sub := range s.subscriptionsOf(t.arn) {
			i := s.info(sub)
			i.SubscriptionARN = sub.arn
			tp.Subscriptions = append(tp.Subscriptions, i)
		}
		var err error
		if tp.Recent, err = s.recent(ctx, t.arn, recent); err != nil {
			return nil, err
		}
		out = append(out, tp)
	}
	return out, nil
}

func (s *Service) recent(ctx context.Context, topicARN string, limit int) ([]Published, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT m.id, coalesce(m.subject, ''), substr(m.message, 1, 500), m.published_at, m.matched,
		count(CASE d.state WHEN 'delivered' THEN 1 END), count(CASE d.state WHEN 'pending' THEN 1 END),
		count(CASE d.state WHEN 'failed' THEN 1 END), count(CASE d.state WHEN 'dropped' THEN 1 END),
		coalesce((SELECT last_error FROM sns_deliveries e WHERE e.message_id = m.id AND e.last_error != ''
			ORDER BY coalesce(e.done_at, e.next_at) DESC LIMIT 1), '')
		FROM (SELECT * FROM sns_messages WHERE topic_arn = ? ORDER BY seq DESC LIMIT ?) m
		LEFT JOIN sns_deliveries d ON d.message_id = m.id
		GROUP BY m.seq ORDER BY m.seq DESC`, topicARN, limit)
	if err != nil {
		return nil, fmt.Errorf("sns: recent messages of %s: %w", topicARN, err)
	}
	defer rows.Close()
	var out []Published
	for rows.Next() {
		var p Published
		var at int64
		if err := rows.Scan(&p.MessageID, &p.Subject, &p.Message, &at, &p.Matched, &p.Delivered, &p.Pending, &p.Failed,
			&p.Dropped, &p.LastError); err != nil {
			return nil, fmt.Errorf("sns: recent messages of %s: %w", topicARN, err)
		}
		p.PublishedAt = time.UnixMilli(at)
		out = append(out, p)
	}
	return out, rows.Err()
}
