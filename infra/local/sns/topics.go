package sns

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// feedbackAttrs are the delivery-status logging attributes: accepted and
// stored, not acted on (the local stack has no CloudWatch Logs).
var feedbackAttrs = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{"HTTP", "Firehose", "Lambda", "Application", "SQS"} {
		for _, a := range []string{"SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"} {
			m[p+a] = true
		}
	}
	return m
}()

// fifoOnlyAttrs are attributes of FIFO topics, which this stack does not have.
var fifoOnlyAttrs = map[string]bool{"ContentBasedDeduplication": true, "ArchivePolicy": true, "FifoThroughputScope": true}

// isTopicAttribute reports whether SNS has a topic attribute of that name.
func isTopicAttribute(name string) bool {
	switch name {
	case "DisplayName", "Policy", "DeliveryPolicy", "SignatureVersion", "TracingConfig", "KmsMasterKeyId", "FifoTopic":
		return true
	}
	return fifoOnlyAttrs[name] || feedbackAttrs[name]
}

// checkTopicAttribute checks one topic attribute as CreateTopic and
// SetTopicAttributes do; param names the parameter for the error.
func checkTopicAttribute(param, name, value string) *Error {
	switch {
	case name == "DisplayName":
		if len(value) > 100 {
			return invalidParam(param, "DisplayName must be at most 100 characters long")
		}
	case name == "Policy":
		if value != "" {
			if err := checkAccessPolicy(value); err != nil {
				return invalidParam(param, "Policy: %v", err)
			}
		}
	case name == "DeliveryPolicy":
		if _, err := parseTopicDeliveryPolicy(value); err != nil {
			return invalidParam(param, "DeliveryPolicy: %v", err)
		}
	case name == "SignatureVersion":
		if value != "1" && value != "2" {
			return invalidParam(param, "SignatureVersion: Invalid value [%s]. Must be 1 or 2.", value)
		}
	case name == "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalidParam(param, "TracingConfig: Invalid value [%s]. Must be PassThrough or Active.", value)
		}
	case name == "KmsMasterKeyId":
		// Stored and reported; the local stack does not encrypt.
	case name == "FifoTopic":
		if value == "true" {
			return invalidParam(param, "FIFO topics are not supported by the loanflow local stack")
		}
		if value != "false" {
			return invalidParam(param, "FifoTopic: Invalid value [%s]. Must be true or false.", value)
		}
	case fifoOnlyAttrs[name]:
		return invalidParam(param, "%s is only valid for FIFO topics", name)
	case feedbackAttrs[name]:
		if strings.HasSuffix(name, "SampleRate") {
			if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 100 {
				return invalidParam(param, "%s must be an integer between 0 and 100", name)
			}
		}
	default:
		return invalidParam(param, "Unknown attribute %s", name)
	}
	return nil
}

// CreateTopic creates a standard topic, or returns the ARN of the topic of
// that name if it exists with the same attributes and tags given.
func (s *Service) CreateTopic(ctx context.Context, name string, attrs, tags map[string]string) (string, error) {
	if name == "" {
		return "", missing("Name")
	}
	if strings.HasSuffix(name, ".fifo") {
		return "", invalidParam("Name", "FIFO topics are not supported by the loanflow local stack")
	}
	if !topicNameRE().MatchString(name) {
		return "", invalidParam("Topic Name", "")
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if err := checkTopicAttribute("Attributes", k, attrs[k]); err != nil {
			return "", err
		}
	}
	if err := checkTags(tags, 0); err != nil {
		return "", err
	}
	arn := s.TopicARN(name)
	s.mutate.Lock()
	defer s.mutate.Unlock()
	if t, ok := s.topic(arn); ok {
		for k, v := range attrs {
			if k == "FifoTopic" && v == "false" {
				continue
			}
			if t.attrs[k] != v {
				return "", invalidParam("Attributes", "Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if cur, ok := t.tags[k]; !ok || cur != v {
				return "", invalidParam("Tags", "Topic already exists with different tags")
			}
		}
		return arn, nil
	}
	t := &topic{arn: arn, name: name, attrs: map[string]string{}, tags: cloneMap(tags), created: s.nowMS()}
	for k, v := range attrs {
		if k != "FifoTopic" && (v != "" || k == "DisplayName") {
			t.attrs[k] = v
		}
	}
	err := s.write(ctx, "create topic", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sns_topics (arn, name, attributes, tags, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.arn, t.name, encodeMap(t.attrs), encodeMap(t.tags), t.created)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("sns create topic %s: %w", name, err)
	}
	s.mu.Lock()
	s.topics[arn] = t
	s.mu.Unlock()
	return arn, nil
}

// DeleteTopic deletes a topic and its subscriptions; deliveries still
// pending are dropped. Deleting a topic that does not exist is not an error.
func (s *Service) DeleteTopic(ctx context.Context, arn string) error {
	if _, err := s.checkTopicARN("TopicArn", arn); err != nil {
		if err == errTopicNotFound {
			return nil
		}
		return err
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	now := s.nowMS()
	err := s.write(ctx, "delete topic", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM sns_topics WHERE arn = ?`,
			`DELETE FROM sns_subscriptions WHERE topic_arn = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, arn); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET state = 'dropped', done_at = ?, last_error = 'topic deleted'
			WHERE topic_arn = ? AND state = 'pending'`, now, arn)
		return err
	})
	if err != nil {
		return fmt.Errorf("sns delete topic %s: %w", arn, err)
	}
	s.mu.Lock()
	delete(s.topics, arn)
	for k, sub := range s.subs {
		if sub.topicARN == arn {
			delete(s.subs, k)
		}
	}
	s.mu.Unlock()
	return nil
}

// pageSize is how many items a List action returns at most, as on AWS.
const pageSize = 100

// ListTopics returns a page of topic ARNs, in ARN order, and the token of
// the next page ("" on the last).
func (s *Service) ListTopics(token string) ([]string, string, error) {
	s.mu.RLock()
	arns := slices.Sorted(maps.Keys(s.topics))
	s.mu.RUnlock()
	return page(arns, token)
}

// page returns the items after the one token names (all from the start for
// ""), at most pageSize of them, and the next token.
func page(sorted []string, token string) ([]string, string, error) {
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(after) == 0 {
			return nil, "", invalidParam("NextToken", "")
		}
		start, _ = slices.BinarySearch(sorted, string(after)+"\x00")
	}
	end := min(start+pageSize, len(sorted))
	out := sorted[start:end]
	next := ""
	if end < len(sorted) {
		next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1]))
	}
	return out, next, nil
}

// TopicAttributes returns a topic's attributes as GetTopicAttributes does.
func (s *Service) TopicAttributes(arn string) (map[string]string, error) {
	t, err := s.checkTopicARN("TopicArn", arn)
	if err != nil {
		return nil, err
	}
	out := cloneMap(t.attrs)
	if out["Policy"] == "" {
		out["Policy"] = defaultAccessPolicy(t.arn, s.opts.AccountID)
	}
	if _, ok := out["DisplayName"]; !ok {
		out["DisplayName"] = ""
	}
	var confirmed, pending int
	for _, sub := range s.subscriptionsOf(arn) {
		if sub.pending {
			pending++
		} else {
			confirmed++
		}
	}
	out["TopicArn"] = t.arn
	out["Owner"] = s.opts.AccountID
	out["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	out["SubscriptionsPending"] = strconv.Itoa(pending)
	out["SubscriptionsDeleted"] = strconv.FormatInt(t.subsDeleted, 10)
	out["EffectiveDeliveryPolicy"] = effectiveTopicPolicy(t)
	return out, nil
}

// SetTopicAttribute sets one attribute of a topic; an empty value removes
// DeliveryPolicy, KmsMasterKeyId and Policy (which reverts to the default).
func (s *Service) SetTopicAttribute(ctx context.Context, arn, name, value string) error {
	if _, err := s.checkTopicARN("TopicArn", arn); err != nil {
		return err
	}
	if name == "" {
		return missing("AttributeName")
	}
	if name == "FifoTopic" {
		return invalidParam("AttributeName", "FifoTopic can only be set when the topic is created")
	}
	if !isTopicAttribute(name) {
		return invalidParam("AttributeName", "")
	}
	if err := checkTopicAttribute("AttributeValue", name, value); err != nil {
		return err
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	t, ok := s.topic(arn)
	if !ok {
		return errTopicNotFound
	}
	nt := *t
	nt.attrs = cloneMap(t.attrs)
	if value == "" && name != "DisplayName" {
		delete(nt.attrs, name)
	} else {
		nt.attrs[name] = value
	}
	return s.saveTopic(ctx, &nt)
}

// saveTopic stores a changed topic and puts it in the cache; the caller
// holds s.mutate.
func (s *Service) saveTopic(ctx context.Context, t *topic) error {
	err := s.write(ctx, "update topic", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sns_topics SET attributes = ?, tags = ?, subs_deleted = ? WHERE arn = ?`,
			encodeMap(t.attrs), encodeMap(t.tags), t.subsDeleted, t.arn)
		return err
	})
	if err != nil {
		return fmt.Errorf("sns update topic %s: %w", t.arn, err)
	}
	s.mu.Lock()
	s.topics[t.arn] = t
	s.mu.Unlock()
	return nil
}

// maxTags is the number of tags a topic may have.
const maxTags = 50

func checkTags(tags map[string]string, existing int) *Error {
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return invalidParam("Tags", "Tag keys must be between 1 and 128 characters long")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParam("Tags", "Tag keys must not start with aws:")
		}
		if len(v) > 256 {
			return invalidParam("Tags", "Tag values must be at most 256 characters long")
		}
	}
	if existing+len(tags) > maxTags {
		return fail(ErrTagLimitExceeded, "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

// TagTopic adds or replaces tags of a topic.
func (s *Service) TagTopic(ctx context.Context, arn string, tags map[string]string) error {
	if _, err := s.checkTopicARN("ResourceArn", arn); err != nil {
		return resourceNotFound(err)
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	t, ok := s.topic(arn)
	if !ok {
		return resourceNotFound(errTopicNotFound)
	}
	nt := *t
	nt.tags = cloneMap(t.tags)
	maps.Copy(nt.tags, tags)
	if err := checkTags(nt.tags, 0); err != nil {
		return err
	}
	return s.saveTopic(ctx, &nt)
}

// UntagTopic removes tags of a topic.
func (s *Service) UntagTopic(ctx context.Context, arn string, keys []string) error {
	if _, err := s.checkTopicARN("ResourceArn", arn); err != nil {
		return resourceNotFound(err)
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	t, ok := s.topic(arn)
	if !ok {
		return resourceNotFound(errTopicNotFound)
	}
	nt := *t
	nt.tags = cloneMap(t.tags)
	for _, k := range keys {
		delete(nt.tags, k)
	}
	return s.saveTopic(ctx, &nt)
}

// TopicTags returns a topic's tags.
func (s *Service) TopicTags(arn string) (map[string]string, error) {
	t, err := s.checkTopicARN("ResourceArn", arn)
	if err != nil {
		return nil, resourceNotFound(err)
	}
	return cloneMap(t.tags), nil
}

// resourceNotFound is the tagging actions' answer for a missing topic.
func resourceNotFound(err *Error) error {
	if err == errTopicNotFound {
		return fail(ErrResourceNotFound, "Resource does not exist")
	}
	return err
}
