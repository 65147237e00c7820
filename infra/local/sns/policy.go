package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// retryPolicy is a healthyRetryPolicy of a delivery policy. A retry policy
// has four phases, in order: numNoDelayRetries retries at once,
// numMinDelayRetries at minDelayTarget, the backoff phase (what numRetries
// leaves) going from minDelayTarget to maxDelayTarget along
// backoffFunction, and numMaxDelayRetries at maxDelayTarget. Delays are
// seconds.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPRetry is AWS's default retry policy for http(s) endpoints.
var defaultHTTPRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// managedRetry is AWS's policy for the endpoints AWS manages (SQS, Lambda),
// its last phase bounded to maxDelayRetries.
func managedRetry(maxDelayRetries int) retryPolicy {
	return retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 20, NumNoDelayRetries: 3, NumMinDelayRetries: 2,
		NumMaxDelayRetries: maxDelayRetries, NumRetries: 3 + 2 + 10 + maxDelayRetries, BackoffFunction: "exponential"}
}

// UnmarshalJSON starts from the default policy, so that fields left out
// keep their default, and refuses fields SNS does not know.
func (r *retryPolicy) UnmarshalJSON(b []byte) error {
	type plain retryPolicy
	p := plain(defaultHTTPRetry)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*r = retryPolicy(p)
	return nil
}

func (r retryPolicy) check() error {
	switch {
	case r.NumRetries < 0 || r.NumRetries > 100:
		return fmt.Errorf("numRetries must be between 0 and 100, got %d", r.NumRetries)
	case r.MaxDelayTarget < 1 || r.MaxDelayTarget > 3600:
		return fmt.Errorf("maxDelayTarget must be between 1 and 3600, got %d", r.MaxDelayTarget)
	case r.MinDelayTarget < 1 || r.MinDelayTarget > r.MaxDelayTarget:
		return fmt.Errorf("minDelayTarget must be between 1 and maxDelayTarget (%d), got %d", r.MaxDelayTarget, r.MinDelayTarget)
	case r.NumNoDelayRetries < 0 || r.NumMinDelayRetries < 0 || r.NumMaxDelayRetries < 0:
		return fmt.Errorf("numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries must not be negative")
	case r.NumNoDelayRetries+r.NumMinDelayRetries+r.NumMaxDelayRetries > r.NumRetries:
		return fmt.Errorf("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries (%d)", r.NumRetries)
	}
	switch r.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return fmt.Errorf("backoffFunction must be one of arithmetic, exponential, geometric, linear; got %q", r.BackoffFunction)
	}
	var total float64
	for k := 1; k <= r.NumRetries; k++ {
		total += r.delaySeconds(k)
	}
	if total > 3600 {
		return fmt.Errorf("the retries would take %.0f seconds; a retry policy may take at most 3600", total)
	}
	return nil
}

// delaySeconds is how long retry k (1 for the first) waits, in seconds.
func (r retryPolicy) delaySeconds(k int) float64 {
	lo, hi := float64(r.MinDelayTarget), float64(r.MaxDelayTarget)
	if k <= r.NumNoDelayRetries {
		return 0
	}
	k -= r.NumNoDelayRetries
	if k <= r.NumMinDelayRetries {
		return lo
	}
	k -= r.NumMinDelayRetries
	n := r.NumRetries - r.NumNoDelayRetries - r.NumMinDelayRetries - r.NumMaxDelayRetries
	if k > n {
		return hi
	}
	f := float64(k) / float64(n)
	switch r.BackoffFunction {
	case "arithmetic":
		return lo + (hi-lo)*f*f
	case "geometric":
		return lo * math.Pow(hi/lo, f)
	case "exponential":
		return lo + (hi-lo)*(math.Pow(2, 10*f)-1)/1023
	}
	return lo + (hi-lo)*f
}

func (r retryPolicy) delay(k int, unit time.Duration) time.Duration {
	return time.Duration(r.delaySeconds(k) * float64(unit))
}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

// topicDeliveryPolicy is a topic's DeliveryPolicy attribute.
type topicDeliveryPolicy struct {
	HTTP *topicHTTPPolicy `json:"http,omitempty"`
}

type topicHTTPPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy attribute.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

func decodeStrict(text string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the policy")
	}
	return nil
}

func parseTopicDeliveryPolicy(text string) (topicDeliveryPolicy, error) {
	var p topicDeliveryPolicy
	if text == "" {
		return p, nil
	}
	if err := decodeStrict(text, &p); err != nil {
		return p, err
	}
	if p.HTTP != nil && p.HTTP.DefaultHealthyRetryPolicy != nil {
		if err := p.HTTP.DefaultHealthyRetryPolicy.check(); err != nil {
			return p, err
		}
	}
	return p, nil
}

func parseSubDeliveryPolicy(text string) (subDeliveryPolicy, error) {
	var p subDeliveryPolicy
	if text == "" {
		return p, nil
	}
	if err := decodeStrict(text, &p); err != nil {
		return p, err
	}
	if p.HealthyRetryPolicy != nil {
		if err := p.HealthyRetryPolicy.check(); err != nil {
			return p, err
		}
	}
	return p, nil
}

const defaultContentType = "text/plain; charset=UTF-8"

// effectiveTopicPolicy is a topic's EffectiveDeliveryPolicy attribute.
func effectiveTopicPolicy(t *topic) string {
	p, _ := parseTopicDeliveryPolicy(t.attrs["DeliveryPolicy"])
	eff := topicHTTPPolicy{DefaultHealthyRetryPolicy: &defaultHTTPRetry, DefaultRequestPolicy: &requestPolicy{HeaderContentType: defaultContentType}}
	if h := p.HTTP; h != nil {
		if h.DefaultHealthyRetryPolicy != nil {
			eff.DefaultHealthyRetryPolicy = h.DefaultHealthyRetryPolicy
		}
		if h.DefaultRequestPolicy != nil {
			eff.DefaultRequestPolicy = h.DefaultRequestPolicy
		}
		eff.DefaultThrottlePolicy = h.DefaultThrottlePolicy
		eff.DisableSubscriptionOverrides = h.DisableSubscriptionOverrides
	}
	b, _ := json.Marshal(topicDeliveryPolicy{HTTP: &eff})
	return string(b)
}

// httpPolicy is the retry policy and content type of deliveries to an
// http(s) subscription: the subscription's unless the topic disables
// overrides, then the topic's, then AWS's defaults.
func httpPolicy(t *topic, sub *subscription) (retryPolicy, string) {
	retry, ctype := defaultHTTPRetry, defaultContentType
	override := true
	if t != nil {
		tp, _ := parseTopicDeliveryPolicy(t.attrs["DeliveryPolicy"])
		if h := tp.HTTP; h != nil {
			if h.DefaultHealthyRetryPolicy != nil {
				retry = *h.DefaultHealthyRetryPolicy
			}
			if h.DefaultRequestPolicy != nil && h.DefaultRequestPolicy.HeaderContentType != "" {
				ctype = h.DefaultRequestPolicy.HeaderContentType
			}
			override = !h.DisableSubscriptionOverrides
		}
	}
	if override {
		sp, _ := parseSubDeliveryPolicy(sub.attrs["DeliveryPolicy"])
		if sp.HealthyRetryPolicy != nil {
			retry = *sp.HealthyRetryPolicy
		}
		if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
			ctype = sp.RequestPolicy.HeaderContentType
		}
	}
	return retry, ctype
}

// effectiveSubPolicy is a subscription's EffectiveDeliveryPolicy attribute.
func effectiveSubPolicy(t *topic, sub *subscription) string {
	retry, ctype := defaultHTTPRetry, ""
	if sub.protocol == "http" || sub.protocol == "https" {
		retry, ctype = httpPolicy(t, sub)
	}
	type effective struct {
		HealthyRetryPolicy retryPolicy     `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *retryPolicy    `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
		Guaranteed         bool            `json:"guaranteed"`
	}
	e := effective{HealthyRetryPolicy: retry}
	if ctype != "" && ctype != defaultContentType {
		e.RequestPolicy = &requestPolicy{HeaderContentType: ctype}
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// checkAccessPolicy checks a topic's Policy attribute: a JSON object with
// a Statement, as IAM would parse it.
func checkAccessPolicy(text string) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("the policy is not a JSON object: %v", err)
	}
	st, ok := doc["Statement"]
	if !ok {
		return fmt.Errorf("the policy has no Statement")
	}
	var one map[string]any
	var many []map[string]any
	if json.Unmarshal(st, &many) != nil && json.Unmarshal(st, &one) != nil {
		return fmt.Errorf("the Statement must be an object or a list of objects")
	}
	if one != nil {
		many = append(many, one)
	}
	for i, s := range many {
		if e, _ := s["Effect"].(string); e != "Allow" && e != "Deny" {
			return fmt.Errorf("statement %d: Effect must be Allow or Deny", i+1)
		}
	}
	return nil
}

// defaultAccessPolicy is the Policy AWS gives a new topic.
func defaultAccessPolicy(topicARN, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow",` +
		`"Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission",` +
		`"SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}
