package sns

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Result shapes of the query protocol, in SNS's element names.
type (
	entryXML struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	attributesResult struct {
		Attributes []entryXML `xml:"Attributes>entry"`
	}
	topicARNResult struct {
		TopicARN string `xml:"TopicArn"`
	}
	listTopicsResult struct {
		Topics    []topicARNResult `xml:"Topics>member"`
		NextToken string           `xml:",omitempty"`
	}
	subscriptionARNResult struct {
		SubscriptionARN string `xml:"SubscriptionArn"`
	}
	subscriptionXML struct {
		SubscriptionARN           string `xml:"SubscriptionArn"`
		Owner, Protocol, Endpoint string
		TopicARN                  string `xml:"TopicArn"`
	}
	listSubscriptionsResult struct {
		Subscriptions []subscriptionXML `xml:"Subscriptions>member"`
		NextToken     string            `xml:",omitempty"`
	}
	publishResult struct {
		MessageID string `xml:"MessageId"`
	}
	batchSuccessXML struct {
		ID        string `xml:"Id"`
		MessageID string `xml:"MessageId"`
	}
	batchFailureXML struct {
		ID            string `xml:"Id"`
		Code, Message string
		SenderFault   bool
	}
	publishBatchResult struct {
		Successful []batchSuccessXML `xml:"Successful>member"`
		Failed     []batchFailureXML `xml:"Failed>member"`
	}
	tagXML struct {
		Key, Value string
	}
	listTagsResult struct {
		Tags []tagXML `xml:"Tags>member"`
	}
)

// Operations returns the names of the SNS actions Service serves, sorted:
// the operation registry the README's table is made from.
func Operations() []string {
	return slices.Sorted(maps.Keys((*Service)(nil).actions()))
}

func (s *Service) actions() map[string]action {
	return map[string]action{
		"CreateTopic":               s.actCreateTopic,
		"DeleteTopic":               s.actDeleteTopic,
		"ListTopics":                s.actListTopics,
		"GetTopicAttributes":        s.actGetTopicAttributes,
		"SetTopicAttributes":        s.actSetTopicAttributes,
		"Subscribe":                 s.actSubscribe,
		"ConfirmSubscription":       s.actConfirmSubscription,
		"Unsubscribe":               s.actUnsubscribe,
		"ListSubscriptions":         s.actListSubscriptions,
		"ListSubscriptionsByTopic":  s.actListSubscriptionsByTopic,
		"GetSubscriptionAttributes": s.actGetSubscriptionAttributes,
		"SetSubscriptionAttributes": s.actSetSubscriptionAttributes,
		"Publish":                   s.actPublish,
		"PublishBatch":              s.actPublishBatch,
		"TagResource":               s.actTagResource,
		"UntagResource":             s.actUntagResource,
		"ListTagsForResource":       s.actListTagsForResource,
	}
}

func entries(m map[string]string) attributesResult {
	out := attributesResult{Attributes: make([]entryXML, 0, len(m))}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out.Attributes = append(out.Attributes, entryXML{Key: k, Value: m[k]})
	}
	return out
}

func (s *Service) actCreateTopic(ctx context.Context, q *query) (any, error) {
	attrs, err := q.attrMap("Attributes")
	if err != nil {
		return nil, err
	}
	tags, err := q.tags("Tags")
	if err != nil {
		return nil, err
	}
	// DataProtectionPolicy is accepted and not kept: the local stack does
	// not inspect message contents.
	arn, cerr := s.CreateTopic(ctx, q.str("Name"), attrs, tags)
	if cerr != nil {
		return nil, cerr
	}
	return topicARNResult{TopicARN: arn}, nil
}

func (s *Service) actDeleteTopic(ctx context.Context, q *query) (any, error) {
	return nil, s.DeleteTopic(ctx, q.str("TopicArn"))
}

func (s *Service) actListTopics(_ context.Context, q *query) (any, error) {
	arns, next, err := s.ListTopics(q.str("NextToken"))
	if err != nil {
		return nil, err
	}
	res := listTopicsResult{Topics: make([]topicARNResult, len(arns)), NextToken: next}
	for i, a := range arns {
		res.Topics[i].TopicARN = a
	}
	return res, nil
}

func (s *Service) actGetTopicAttributes(_ context.Context, q *query) (any, error) {
	attrs, err := s.TopicAttributes(q.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	return entries(attrs), nil
}

func (s *Service) actSetTopicAttributes(ctx context.Context, q *query) (any, error) {
	return nil, s.SetTopicAttribute(ctx, q.str("TopicArn"), q.str("AttributeName"), q.str("AttributeValue"))
}

func (s *Service) actSubscribe(ctx context.Context, q *query) (any, error) {
	attrs, err := q.attrMap("Attributes")
	if err != nil {
		return nil, err
	}
	ret, err := q.boolean("ReturnSubscriptionArn")
	if err != nil {
		return nil, err
	}
	arn, serr := s.Subscribe(ctx, q.str("TopicArn"), q.str("Protocol"), q.str("Endpoint"), attrs, ret)
	if serr != nil {
		return nil, serr
	}
	return subscriptionARNResult{SubscriptionARN: arn}, nil
}

func (s *Service) actConfirmSubscription(ctx context.Context, q *query) (any, error) {
	auth, err := q.boolean("AuthenticateOnUnsubscribe")
	if err != nil {
		return nil, err
	}
	arn, cerr := s.ConfirmSubscription(ctx, q.str("TopicArn"), q.str("Token"), q.signed, auth)
	if cerr != nil {
		return nil, cerr
	}
	return subscriptionARNResult{SubscriptionARN: arn}, nil
}

func (s *Service) actUnsubscribe(ctx context.Context, q *query) (any, error) {
	return nil, s.Unsubscribe(ctx, q.str("SubscriptionArn"), q.signed)
}

func subscriptionsResult(subs []SubscriptionInfo, next string) listSubscriptionsResult {
	res := listSubscriptionsResult{Subscriptions: make([]subscriptionXML, len(subs)), NextToken: next}
	for i, sub := range subs {
		res.Subscriptions[i] = subscriptionXML{SubscriptionARN: sub.SubscriptionARN, Owner: sub.Owner, Protocol: sub.Protocol,
			Endpoint: sub.Endpoint, TopicARN: sub.TopicARN}
	}
	return res
}

func (s *Service) actListSubscriptions(_ context.Context, q *query) (any, error) {
	subs, next, err := s.ListSubscriptions(q.str("NextToken"))
	if err != nil {
		return nil, err
	}
	return subscriptionsResult(subs, next), nil
}

func (s *Service) actListSubscriptionsByTopic(_ context.Context, q *query) (any, error) {
	subs, next, err := s.ListSubscriptionsByTopic(q.str("TopicArn"), q.str("NextToken"))
	if err != nil {
		return nil, err
	}
	return subscriptionsResult(subs, next), nil
}

func (s *Service) actGetSubscriptionAttributes(_ context.Context, q *query) (any, error) {
	attrs, err := s.SubscriptionAttributes(q.str("SubscriptionArn"))
	if err != nil {
		return nil, err
	}
	return entries(attrs), nil
}

func (s *Service) actSetSubscriptionAttributes(ctx context.Context, q *query) (any, error) {
	return nil, s.SetSubscriptionAttribute(ctx, q.str("SubscriptionArn"), q.str("AttributeName"), q.str("AttributeValue"))
}

// publishTarget is the topic of a Publish: TopicArn, or TargetArn when it
// names a topic. Phone numbers and mobile endpoints are not served.
func (s *Service) publishTarget(q *query) (string, *Error) {
	topicARN, target := q.str("TopicArn"), q.str("TargetArn")
	switch {
	case q.str("PhoneNumber") != "":
		return "", invalidParam("PhoneNumber", "SMS is not supported by the loanflow local stack")
	case topicARN != "" && target != "":
		return "", invalidParam("TopicArn or TargetArn", "Only one of TopicArn or TargetArn may be specified")
	case topicARN != "":
		return topicARN, nil
	case target != "":
		if p, ok := parseARN(target); ok && p.service == "sns" && !strings.Contains(p.resource, "/") {
			return target, nil
		}
		return "", invalidParam("TargetArn", "mobile push endpoints are not supported by the loanflow local stack")
	}
	return "", fail(ErrInvalidParameter, "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
}

func (s *Service) actPublish(ctx context.Context, q *query) (any, error) {
	topicARN, err := s.publishTarget(q)
	if err != nil {
		return nil, err
	}
	if !q.has("Message") {
		return nil, missing("Message")
	}
	attrs, err := q.messageAttributes("MessageAttributes")
	if err != nil {
		return nil, err
	}
	id, perr := s.PublishMessage(ctx, PublishInput{TopicARN: topicARN, Subject: q.str("Subject"), Message: q.str("Message"),
		MessageStructure: q.str("MessageStructure"), MessageAttributes: attrs, MessageGroupID: q.str("MessageGroupId"),
		MessageDeduplicationID: q.str("MessageDeduplicationId")})
	if perr != nil {
		return nil, perr
	}
	return publishResult{MessageID: id}, nil
}

// maxBatch is PublishBatch's limit on entries.
const maxBatch = 10

var batchIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })

func (s *Service) actPublishBatch(ctx context.Context, q *query) (any, error) {
	t, terr := s.checkTopicARN("TopicArn", q.str("TopicArn"))
	if terr != nil {
		return nil, terr
	}
	const prefix = "PublishBatchRequestEntries.member."
	idx := q.indexes(prefix)
	switch {
	case len(idx) == 0:
		return nil, fail(ErrEmptyBatchRequest, "The batch request doesn't contain any entries.")
	case len(idx) > maxBatch:
		return nil, fail(ErrTooManyEntriesInBatch, "The batch request contains more entries than permissible.")
	}
	type entry struct {
		id string
		in PublishInput
	}
	batch := make([]entry, len(idx))
	seen := map[string]bool{}
	total := 0
	for i, n := range idx {
		p := prefix + strconv.Itoa(n) + "."
		e := entry{id: q.str(p + "Id")}
		if !batchIDRE().MatchString(e.id) {
			return nil, fail(ErrInvalidBatchEntryID, "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[e.id] {
			return nil, fail(ErrBatchEntryIdsNotDistinct, "Two or more batch entries in the request have the same Id.")
		}
		seen[e.id] = true
		attrs, err := q.messageAttributes(p + "MessageAttributes")
		if err != nil {
			return nil, err
		}
		e.in = PublishInput{TopicARN: t.arn, Subject: q.str(p + "Subject"), Message: q.str(p + "Message"),
			MessageStructure: q.str(p + "MessageStructure"), MessageAttributes: attrs, MessageGroupID: q.str(p + "MessageGroupId"),
			MessageDeduplicationID: q.str(p + "MessageDeduplicationId")}
		total += len(e.in.Message)
		for name, a := range attrs {
			total += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		}
		batch[i] = e
	}
	if total > MaxMessageSize {
		return nil, fail(ErrBatchRequestTooLong, "The length of all the messages put together is more than the limit.")
	}
	var res publishBatchResult
	var ok []*storedMessage
	var okIDs []string
	for i, e := range batch {
		m, err := s.checkPublish(e.in, prefix+strconv.Itoa(idx[i])+".")
		if err != nil {
			res.Failed = append(res.Failed, batchFailureXML{ID: e.id, Code: err.Code(), Message: err.Message, SenderFault: true})
			continue
		}
		ok = append(ok, m)
		okIDs = append(okIDs, e.id)
	}
	if len(ok) > 0 {
		ids, err := s.publish(ctx, t, ok)
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			res.Successful = append(res.Successful, batchSuccessXML{ID: okIDs[i], MessageID: id})
		}
	}
	return res, nil
}

func (s *Service) actTagResource(ctx context.Context, q *query) (any, error) {
	tags, err := q.tags("Tags")
	if err != nil {
		return nil, err
	}
	if err := s.TagTopic(ctx, q.str("ResourceArn"), tags); err != nil {
		return nil, err
	}
	return struct{}{}, nil // an empty TagResourceResult
}

func (s *Service) actUntagResource(ctx context.Context, q *query) (any, error) {
	if err := s.UntagTopic(ctx, q.str("ResourceArn"), q.list("TagKeys")); err != nil {
		return nil, err
	}
	return struct{}{}, nil // an empty UntagResourceResult
}

func (s *Service) actListTagsForResource(_ context.Context, q *query) (any, error) {
	tags, err := s.TopicTags(q.str("ResourceArn"))
	if err != nil {
		return nil, err
	}
	res := listTagsResult{Tags: []tagXML{}}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		res.Tags = append(res.Tags, tagXML{Key: k, Value: tags[k]})
	}
	return res, nil
}
