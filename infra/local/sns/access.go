package sns

import (
	"encoding/json"
	"path"
	"strings"
)

// CheckPublisher checks, as SNS's authorization does, that the topic's
// access policy (its Policy attribute, or AWS's default) lets an AWS
// service principal such as "events.amazonaws.com" publish to it on behalf
// of sourceARN (an EventBridge rule's ARN: aws:SourceArn, and its account
// aws:SourceAccount). It returns an AuthorizationError when it does not:
// on AWS an EventBridge rule whose topic's policy does not grant
// events.amazonaws.com sns:Publish fails every invocation, and the default
// policy grants nothing to services. Callers that publish on a service's
// behalf (the bus, for SNS rule targets) call it before Publish.
//
// The policy is evaluated in the small: an explicit Deny wins, else an
// Allow must match the principal ("*", {"AWS":"*"} or {"Service": ...}),
// the action (sns:Publish, wildcards allowed, case-insensitive) and the
// resource; a Condition holds only if every one of its tests is on
// aws:SourceArn or aws:SourceAccount with StringEquals, StringLike,
// ArnEquals, ArnLike or StringEqualsIgnoreCase and passes.
func (s *Service) CheckPublisher(topicARN, principal, sourceARN string) error {
	t, terr := s.checkTopicARN("TopicArn", topicARN)
	if terr != nil {
		return terr
	}
	text := t.attrs["Policy"]
	if text == "" {
		text = defaultAccessPolicy(t.arn, s.opts.AccountID)
	}
	keys := map[string]string{"aws:sourcearn": sourceARN}
	if p, ok := parseARN(sourceARN); ok {
		keys["aws:sourceaccount"] = p.account
	}
	allowed := false
	for _, st := range statements(text) {
		if !st.matches(principal, "sns:Publish", t.arn, keys) {
			continue
		}
		if st.Effect == "Deny" {
			return denied(principal, t.arn, "an explicit deny in the topic's access policy")
		}
		allowed = allowed || st.Effect == "Allow"
	}
	if !allowed {
		return denied(principal, t.arn, "no statement of the topic's access policy allows it")
	}
	return nil
}

func denied(principal, topicARN, why string) *Error {
	return fail(ErrAuthorization, "%s is not authorized to perform: SNS:Publish on resource: %s because %s", principal, topicARN, why)
}

type statement struct {
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
	Resource  json.RawMessage
	Condition map[string]map[string]json.RawMessage
	// NotPrincipal, NotAction and NotResource make a statement this
	// evaluator does not apply.
	NotPrincipal, NotAction, NotResource json.RawMessage
}

// statements returns a policy's statements; a policy that does not parse
// has none (SetTopicAttributes checked it).
func statements(policy string) []statement {
	var doc struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return nil
	}
	var many []statement
	if json.Unmarshal(doc.Statement, &many) == nil {
		return many
	}
	var one statement
	if json.Unmarshal(doc.Statement, &one) == nil {
		return []statement{one}
	}
	return nil
}

// policyStrings reads a policy value that is a string or a list of strings.
func policyStrings(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

func (st statement) matches(principal, action, resource string, keys map[string]string) bool {
	if st.NotPrincipal != nil || st.NotAction != nil || st.NotResource != nil {
		return false
	}
	return st.principalMatches(principal) && anyGlob(policyStrings(st.Action), action, true) &&
		(st.Resource == nil || anyGlob(policyStrings(st.Resource), resource, false)) && st.conditionsHold(keys)
}

func (st statement) principalMatches(principal string) bool {
	var star string
	if json.Unmarshal(st.Principal, &star) == nil {
		return star == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(st.Principal, &m) != nil {
		return false
	}
	for _, p := range policyStrings(m["AWS"]) {
		if p == "*" {
			return true
		}
	}
	for _, p := range policyStrings(m["Service"]) {
		if p == principal {
			return true
		}
	}
	return false
}

func (st statement) conditionsHold(keys map[string]string) bool {
	for op, tests := range st.Condition {
		for key, raw := range tests {
			v, ok := keys[strings.ToLower(key)]
			if !ok {
				return false
			}
			want := policyStrings(raw)
			var pass bool
			switch op {
			case "StringEquals", "ArnEquals":
				pass = anyEqual(want, v, false)
			case "StringEqualsIgnoreCase":
				pass = anyEqual(want, v, true)
			case "StringLike", "ArnLike":
				pass = anyGlob(want, v, false)
			}
			if !pass {
				return false
			}
		}
	}
	return true
}

func anyEqual(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if p == v || (fold && strings.EqualFold(p, v)) {
			return true
		}
	}
	return false
}

// anyGlob matches v against IAM wildcards (* and ?).
func anyGlob(patterns []string, v string, fold bool) bool {
	if fold {
		v = strings.ToLower(v)
	}
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		// path.Match treats / and [ specially; ARNs and actions hold no [,
		// and a / is matched by * in IAM, so escape the pattern's own.
		p = strings.NewReplacer("[", `\[`, `\`, `\\`).Replace(p)
		if ok, err := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(v, "/", "\x00")); err == nil && ok {
			return true
		}
	}
	return false
}
