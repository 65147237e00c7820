package sns

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"loanflow/infra/local/internal/ids"
)

// PendingConfirmation is the SubscriptionArn that Subscribe answers, and
// that ListSubscriptions shows as "PendingConfirmation", for a subscription
// waiting for its confirmation.
const (
	pendingARN     = "pending confirmation"
	pendingListARN = "PendingConfirmation"
)

// tokenLife is how long a confirmation token is valid; an unconfirmed
// subscription is removed once it has expired.
const tokenLife = 48 * time.Hour

// Protocols this stack delivers to.
var supportedProtocols = map[string]bool{"sqs": true, "lambda": true, "http": true, "https": true}

// Protocols SNS has and this stack does not.
var unsupportedProtocols = map[string]bool{"email": true, "email-json": true, "sms": true, "application": true, "firehose": true}

func sortSubs(subs []*subscription) {
	slices.SortFunc(subs, func(a, b *subscription) int {
		return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.arn, b.arn))
	})
}

// checkEndpoint checks an endpoint against its protocol.
func checkEndpoint(protocol, endpoint string) *Error {
	if endpoint == "" {
		return missing("Endpoint")
	}
	switch protocol {
	case "sqs":
		if _, ok := queueNameOf(endpoint); !ok {
			return invalidParam("SQS endpoint ARN", "")
		}
	case "lambda":
		if !isFunctionARN(endpoint) {
			return invalidParam("Lambda endpoint ARN", "")
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != protocol || u.Host == "" {
			return invalidParam("Endpoint", "Endpoint must match the specified protocol")
		}
	}
	return nil
}

// checkSubAttribute checks one subscription attribute for a protocol.
func checkSubAttribute(param, protocol, name, value string) *Error {
	switch name {
	case "RawMessageDelivery":
		if v := strings.ToLower(value); v != "true" && v != "false" {
			return invalidParam(param, "RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		if protocol != "sqs" && protocol != "http" && protocol != "https" {
			return invalidParam(param, "Delivery protocol [%s] does not support raw message delivery.", protocol)
		}
	case "FilterPolicyScope":
		if value != "MessageAttributes" && value != "MessageBody" {
			return invalidParam(param, "FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
	case "FilterPolicy":
		// Checked with its scope in applySubAttributes.
	case "DeliveryPolicy":
		if protocol != "http" && protocol != "https" {
			return invalidParam(param, "DeliveryPolicy: delivery policies apply to http and https subscriptions only")
		}
		if _, err := parseSubDeliveryPolicy(value); err != nil {
			return invalidParam(param, "DeliveryPolicy: %v", err)
		}
	case "RedrivePolicy":
		if value == "" {
			return nil
		}
		var rp struct {
			DeadLetterTargetARN string `json:"deadLetterTargetArn"`
		}
		if err := decodeStrict(value, &rp); err != nil {
			return invalidParam(param, "RedrivePolicy: %v", err)
		}
		if _, ok := queueNameOf(rp.DeadLetterTargetARN); !ok {
			return invalidParam(param, "RedrivePolicy: deadLetterTargetArn is an invalid arn")
		}
	case "SubscriptionRoleArn":
		return invalidParam(param, "SubscriptionRoleArn is only valid for firehose subscriptions, which the loanflow local stack does not support")
	case "ReplayPolicy":
		return invalidParam(param, "ReplayPolicy is only valid for subscriptions to FIFO topics")
	default:
		return invalidParam(param, "Unknown attribute %s", name)
	}
	return nil
}

// applySubAttributes returns sub's attributes with changes applied (an
// empty value removes an attribute) and the compiled filter, checked.
func applySubAttributes(param, protocol string, cur, changes map[string]string) (map[string]string, *filter, *Error) {
	for _, k := range slices.Sorted(maps.Keys(changes)) {
		if err := checkSubAttribute(param, protocol, k, changes[k]); err != nil {
			return nil, nil, err
		}
	}
	attrs := cloneMap(cur)
	for k, v := range changes {
		if k == "RawMessageDelivery" {
			v = strings.ToLower(v)
		}
		if v == "" {
			delete(attrs, k)
		} else {
			attrs[k] = v
		}
	}
	if attrs["FilterPolicy"] == "" {
		delete(attrs, "FilterPolicyScope")
		return attrs, nil, nil
	}
	f, err := compileFilterPolicy(attrs["FilterPolicy"], attrs["FilterPolicyScope"] == "MessageBody")
	if err != nil {
		return nil, nil, invalidParam("FilterPolicy", "%v", err)
	}
	return attrs, f, nil
}

// Subscribe subscribes an endpoint to a topic and returns the
// subscription's ARN. sqs and lambda subscriptions are confirmed at once;
// an http(s) one is sent a SubscriptionConfirmation and answers
// "pending confirmation" unless returnARN. Subscribing the same endpoint
// again returns the existing subscription.
func (s *Service) Subscribe(ctx context.Context, topicARN, protocol, endpoint string, attrs map[string]string, returnARN bool) (string, error) {
	t, terr := s.checkTopicARN("TopicArn", topicARN)
	if terr != nil {
		return "", terr
	}
	if protocol == "" {
		return "", missing("Protocol")
	}
	protocol = strings.ToLower(protocol)
	switch {
	case unsupportedProtocols[protocol]:
		return "", invalidParam("Protocol", "%s subscriptions are not supported by the loanflow local stack (it delivers to http, https, lambda and sqs)", protocol)
	case !supportedProtocols[protocol]:
		return "", invalidParam("Amazon SNS does not support this protocol string: "+protocol, "")
	}
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return "", err
	}
	newAttrs, f, aerr := applySubAttributes("Attributes", protocol, nil, attrs)
	if aerr != nil {
		return "", aerr
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	for _, sub := range s.subscriptionsOf(t.arn) {
		if sub.protocol != protocol || sub.endpoint != endpoint {
			continue
		}
		for k, v := range newAttrs {
			if sub.attrs[k] != v {
				return "", invalidParam("Attributes", "Subscription already exists with different attributes")
			}
		}
		if sub.pending {
			if err := s.resendConfirmation(ctx, sub); err != nil {
				return "", err
			}
			if !returnARN {
				return pendingARN, nil
			}
		}
		return sub.arn, nil
	}
	now := s.nowMS()
	sub := &subscription{arn: t.arn + ":" + ids.UUID(), topicARN: t.arn, protocol: protocol, endpoint: endpoint, attrs: newAttrs,
		created: now, filter: f}
	var conf *delivery
	if protocol == "http" || protocol == "https" {
		sub.pending, sub.token, sub.tokenExpires = true, newToken(), now+tokenLife.Milliseconds()
		conf = s.newConfirmation(sub, now)
	} else {
		sub.authenticated = true
	}
	err := s.write(ctx, "subscribe", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sns_subscriptions (arn, topic_arn, protocol, endpoint, attributes, pending,
			token, token_expires_at, authenticated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sub.arn, sub.topicARN, sub.protocol, sub.endpoint, encodeMap(sub.attrs), sub.pending, sub.token, sub.tokenExpires,
			sub.authenticated, sub.created); err != nil {
			return err
		}
		if conf != nil {
			return insertDeliveries(ctx, tx, []*delivery{conf})
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("sns subscribe %s to %s: %w", endpoint, t.arn, err)
	}
	s.mu.Lock()
	s.subs[sub.arn] = sub
	s.mu.Unlock()
	if conf != nil {
		s.dispatch(ctx, []*delivery{conf})
		if !returnARN {
			return pendingARN, nil
		}
	}
	return sub.arn, nil
}

// newConfirmation is the delivery of sub's SubscriptionConfirmation.
func (s *Service) newConfirmation(sub *subscription, now int64) *delivery {
	return &delivery{kind: kindConfirmation, messageID: ids.UUID(), topicARN: sub.topicARN, subARN: sub.arn,
		protocol: sub.protocol, endpoint: sub.endpoint, firstAt: now, nextAt: s.leaseFrom(now)}
}

// resendConfirmation sends a pending subscription its confirmation again,
// as SNS does when the same endpoint subscribes again.
func (s *Service) resendConfirmation(ctx context.Context, sub *subscription) error {
	now := s.nowMS()
	conf := s.newConfirmation(sub, now)
	if err := s.write(ctx, "resend confirmation", func(tx *sql.Tx) error {
		return insertDeliveries(ctx, tx, []*delivery{conf})
	}); err != nil {
		return fmt.Errorf("sns resend confirmation to %s: %w", sub.endpoint, err)
	}
	s.dispatch(ctx, []*delivery{conf})
	return nil
}

// ConfirmSubscription confirms the pending subscription to topicARN whose
// confirmation carried token. signed says the request carried an AWS
// signature (ConfirmationWasAuthenticated); authenticateOnUnsubscribe
// makes Unsubscribe refuse unsigned requests.
func (s *Service) ConfirmSubscription(ctx context.Context, topicARN, token string, signed, authenticateOnUnsubscribe bool) (string, error) {
	t, terr := s.checkTopicARN("TopicArn", topicARN)
	if terr != nil {
		return "", terr
	}
	if token == "" {
		return "", missing("Token")
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	var sub *subscription
	for _, c := range s.subscriptionsOf(t.arn) {
		if c.token != "" && c.token == token {
			sub = c
		}
	}
	if sub == nil || s.nowMS() > sub.tokenExpires {
		return "", invalidParam("Token", "")
	}
	if !sub.pending {
		return sub.arn, nil
	}
	ns := *sub
	ns.pending, ns.authenticated, ns.authUnsubscribe = false, signed, authenticateOnUnsubscribe && signed
	if err := s.saveSubscription(ctx, &ns); err != nil {
		return "", err
	}
	return ns.arn, nil
}

// saveSubscription stores a changed subscription and puts it in the cache;
// the caller holds s.mutate.
func (s *Service) saveSubscription(ctx context.Context, sub *subscription) error {
	err := s.write(ctx, "update subscription", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sns_subscriptions SET attributes = ?, pending = ?, authenticated = ?,
			auth_unsubscribe = ? WHERE arn = ?`, encodeMap(sub.attrs), sub.pending, sub.authenticated, sub.authUnsubscribe, sub.arn)
		return err
	})
	if err != nil {
		return fmt.Errorf("sns update subscription %s: %w", sub.arn, err)
	}
	s.mu.Lock()
	s.subs[sub.arn] = sub
	s.mu.Unlock()
	return nil
}

// Unsubscribe deletes a subscription; its pending deliveries are dropped.
// signed says the request carried an AWS signature, which a subscription
// confirmed with AuthenticateOnUnsubscribe requires. Unsubscribing a
// subscription that does not exist is not an error.
func (s *Service) Unsubscribe(ctx context.Context, arn string, signed bool) error {
	if err := checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return err
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	sub, ok := s.subscription(arn)
	if !ok {
		return nil
	}
	if sub.authUnsubscribe && !signed {
		return fail(ErrAuthorization, "This subscription was confirmed with AuthenticateOnUnsubscribe: only a signed request may unsubscribe it")
	}
	now := s.nowMS()
	err := s.write(ctx, "unsubscribe", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sns_subscriptions WHERE arn = ?`, arn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sns_topics SET subs_deleted = subs_deleted + 1 WHERE arn = ?`, sub.topicARN); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sns_deliveries SET state = 'dropped', done_at = ?, last_error = 'unsubscribed'
			WHERE sub_arn = ? AND state = 'pending'`, now, arn)
		return err
	})
	if err != nil {
		return fmt.Errorf("sns unsubscribe %s: %w", arn, err)
	}
	s.mu.Lock()
	delete(s.subs, arn)
	if t, ok := s.topics[sub.topicARN]; ok {
		nt := *t
		nt.subsDeleted++
		s.topics[t.arn] = &nt
	}
	s.mu.Unlock()
	return nil
}

// SubscriptionInfo is a subscription as ListSubscriptions shows it.
type SubscriptionInfo struct {
	SubscriptionARN, Owner, Protocol, Endpoint, TopicARN string
	// Pending says the subscription waits for its confirmation (its
	// SubscriptionARN reads "PendingConfirmation").
	Pending bool
	// RawMessageDelivery and FilterPolicy are the subscription's attributes.
	RawMessageDelivery bool
	FilterPolicy       string
}

func (s *Service) info(sub *subscription) SubscriptionInfo {
	i := SubscriptionInfo{SubscriptionARN: sub.arn, Owner: s.opts.AccountID, Protocol: sub.protocol, Endpoint: sub.endpoint,
		TopicARN: sub.topicARN, Pending: sub.pending, RawMessageDelivery: sub.raw(), FilterPolicy: sub.attrs["FilterPolicy"]}
	if sub.pending {
		i.SubscriptionARN = pendingListARN
	}
	return i
}

// ListSubscriptions returns a page of every subscription and the next
// page's token.
func (s *Service) ListSubscriptions(token string) ([]SubscriptionInfo, string, error) {
	return s.listSubs("", token)
}

// ListSubscriptionsByTopic returns a page of a topic's subscriptions and
// the next page's token.
func (s *Service) ListSubscriptionsByTopic(topicARN, token string) ([]SubscriptionInfo, string, error) {
	if _, err := s.checkTopicARN("TopicArn", topicARN); err != nil {
		return nil, "", err
	}
	return s.listSubs(topicARN, token)
}

func (s *Service) listSubs(topicARN, token string) ([]SubscriptionInfo, string, error) {
	s.mu.RLock()
	byARN := map[string]*subscription{}
	for arn, sub := range s.subs {
		if topicARN == "" || sub.topicARN == topicARN {
			byARN[arn] = sub
		}
	}
	s.mu.RUnlock()
	arns, next, err := page(slices.Sorted(maps.Keys(byARN)), token)
	if err != nil {
		return nil, "", err
	}
	out := make([]SubscriptionInfo, len(arns))
	for i, arn := range arns {
		out[i] = s.info(byARN[arn])
	}
	return out, next, nil
}

// SubscriptionAttributes returns a subscription's attributes as
// GetSubscriptionAttributes does.
func (s *Service) SubscriptionAttributes(arn string) (map[string]string, error) {
	if err := checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return nil, err
	}
	sub, ok := s.subscription(arn)
	if !ok {
		return nil, errSubscriptionNotFound
	}
	t, _ := s.topic(sub.topicARN)
	out := cloneMap(sub.attrs)
	if out["FilterPolicy"] != "" && out["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = "MessageAttributes"
	}
	if out["RawMessageDelivery"] == "" {
		out["RawMessageDelivery"] = "false"
	}
	out["SubscriptionArn"] = sub.arn
	out["TopicArn"] = sub.topicARN
	out["Owner"] = s.opts.AccountID
	out["Protocol"] = sub.protocol
	out["Endpoint"] = sub.endpoint
	out["PendingConfirmation"] = fmt.Sprint(sub.pending)
	out["ConfirmationWasAuthenticated"] = fmt.Sprint(sub.authenticated)
	out["EffectiveDeliveryPolicy"] = effectiveSubPolicy(t, sub)
	return out, nil
}

// SetSubscriptionAttribute sets one attribute of a subscription; an empty
// value removes it.
func (s *Service) SetSubscriptionAttribute(ctx context.Context, arn, name, value string) error {
	if err := checkSubscriptionARN("SubscriptionArn", arn); err != nil {
		return err
	}
	if name == "" {
		return missing("AttributeName")
	}
	s.mutate.Lock()
	defer s.mutate.Unlock()
	sub, ok := s.subscription(arn)
	if !ok {
		return errSubscriptionNotFound
	}
	switch name {
	case "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "DeliveryPolicy", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy":
	default:
		return invalidParam("AttributeName", "")
	}
	attrs, f, err := applySubAttributes("AttributeValue", sub.protocol, sub.attrs, map[string]string{name: value})
	if err != nil {
		return err
	}
	ns := *sub
	ns.attrs, ns.filter = attrs, f
	return s.saveSubscription(ctx, &ns)
}

// redriveQueue is the dead-letter queue of a subscription's RedrivePolicy.
func (s *subscription) redriveQueue() string {
	var rp struct {
		DeadLetterTargetARN string `json:"deadLetterTargetArn"`
	}
	if json.Unmarshal([]byte(s.attrs["RedrivePolicy"]), &rp) != nil {
		return ""
	}
	return rp.DeadLetterTargetARN
}
