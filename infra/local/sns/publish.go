package sns

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sync"
	"unicode/utf8"

	"loanflow/infra/local/internal/ids"
)

// PublishInput is one message to publish, as the Publish action takes it.
type PublishInput struct {
	TopicARN string
	// Subject is optional; "" means none.
	Subject string
	Message string
	// MessageStructure is "json" for a message per protocol, else "".
	MessageStructure  string
	MessageAttributes map[string]MessageAttribute
	// MessageGroupId is accepted on standard topics (AWS forwards it to
	// SQS fair queues); the local SQS has no fair queues, so it goes no
	// further. MessageDeduplicationId is refused: it is for FIFO topics.
	MessageGroupID         string
	MessageDeduplicationID string
}

var groupIDRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + "`" + `{|}~]{1,128}$`)
})

// Publish publishes a message to a topic and returns its message id: the
// in-process API that EventBridge rule targets use. subject "" means no
// subject. Errors are *Error for bad input (errors.Is ErrNotFound for a
// topic that does not exist).
func (s *Service) Publish(ctx context.Context, topicARN, subject, message string, attrs map[string]MessageAttribute) (string, error) {
	return s.PublishMessage(ctx, PublishInput{TopicARN: topicARN, Subject: subject, Message: message, MessageAttributes: attrs})
}

// PublishMessage publishes in as the Publish action does. The message and
// one pending delivery per subscription whose filter policy it passes are
// stored in one write before it returns; deliveries to SQS queues are
// made before it returns too, the others are started.
func (s *Service) PublishMessage(ctx context.Context, in PublishInput) (string, error) {
	t, terr := s.checkTopicARN("TopicArn", in.TopicARN)
	if terr != nil {
		return "", terr
	}
	msg, perr := s.checkPublish(in, "")
	if perr != nil {
		return "", perr
	}
	ids, err := s.publish(ctx, t, []*storedMessage{msg})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// checkPublish checks one message; prefix ("" or a batch entry's
// "PublishBatchRequestEntries.member.N.") goes before parameter names.
func (s *Service) checkPublish(in PublishInput, prefix string) (*storedMessage, *Error) {
	if in.Message == "" {
		return nil, fail(ErrInvalidParameter, "Invalid parameter: Empty message")
	}
	if !utf8.ValidString(in.Message) {
		return nil, invalidParam(prefix+"Message", "Message must be UTF-8 encoded")
	}
	if in.Subject != "" {
		if err := checkSubject(in.Subject); err != nil {
			return nil, invalidParam(prefix+"Subject", "")
		}
	}
	m := &storedMessage{id: ids.UUID(), subject: in.Subject, message: in.Message, attrs: in.MessageAttributes}
	switch in.MessageStructure {
	case "":
	case "json":
		per, err := parseStructured(in.Message)
		if err != nil {
			return nil, err
		}
		m.structure, m.perProtocol = "json", per
	default:
		return nil, invalidParam(prefix+"MessageStructure", "")
	}
	size, err := checkMessageAttributes(in.MessageAttributes)
	if err != nil {
		return nil, err
	}
	if len(in.Message)+size > MaxMessageSize {
		return nil, fail(ErrInvalidParameter, "Invalid parameter: Message too long")
	}
	if in.MessageDeduplicationID != "" {
		return nil, invalidParam(prefix+"MessageDeduplicationId",
			"The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	if in.MessageGroupID != "" && !groupIDRE().MatchString(in.MessageGroupID) {
		return nil, invalidParam(prefix+"MessageGroupId", "")
	}
	return m, nil
}

// publish stores checked messages of one topic with their deliveries in
// one write and dispatches the deliveries.
func (s *Service) publish(ctx context.Context, t *topic, msgs []*storedMessage) ([]string, error) {
	now := s.nowMS()
	subs := s.subscriptionsOf(t.arn)
	var all []*delivery
	matched := make([]int, len(msgs))
	for i, m := range msgs {
		m.topicARN, m.publishedAt = t.arn, now
		for _, sub := range subs {
			if sub.pending {
				continue
			}
			if sub.filter != nil && !sub.filter.match(m.textFor(sub.protocol), m.attrs) {
				continue
			}
			matched[i]++
			all = append(all, &delivery{kind: kindNotification, messageID: m.id, topicARN: t.arn, subARN: sub.arn,
				protocol: sub.protocol, endpoint: sub.endpoint, firstAt: now, nextAt: s.leaseFrom(now), msg: m})
		}
	}
	err := s.write(ctx, "publish", func(tx *sql.Tx) error {
		for i, m := range msgs {
			var subject any
			if m.subject != "" {
				subject = m.subject
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO sns_messages (id, topic_arn, subject, message, structure, attributes,
				published_at, matched) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.id, m.topicARN, subject, m.message, m.structure,
				encodeAttrs(m.attrs), m.publishedAt, matched[i]); err != nil {
				return err
			}
		}
		return insertDeliveries(ctx, tx, all)
	})
	if err != nil {
		return nil, fmt.Errorf("sns publish to %s: %w", t.arn, err)
	}
	s.dispatch(ctx, all)
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.id
	}
	return ids, nil
}
