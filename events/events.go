// Package events holds the EventBridge side of loanflow as data: the sample
// entry files that work with `aws events put-events --entries file://events/<name>.json`,
// and the rule patterns in patterns/, read by both the CDK app and the local stack.
package events

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed *.json patterns/*.json
var files embed.FS

// Entry is one PutEvents request entry, in the shape of the CLI's --entries file.
type Entry struct {
	Source       string    `json:"Source"`
	DetailType   string    `json:"DetailType"`
	Detail       string    `json:"Detail"`
	EventBusName string    `json:"EventBusName,omitempty"`
	Resources    []string  `json:"Resources,omitempty"`
	Time         Timestamp `json:"Time,omitempty"`
}

// Timestamp is an entry's Time: RFC 3339 text, or, as the AWS SDKs and the
// CLI send it, a JSON number of epoch seconds (which it holds as RFC 3339).
type Timestamp string

// UnmarshalJSON accepts a string or a number of epoch seconds.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Timestamp(s)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("Time: must be a timestamp (epoch seconds or RFC 3339)")
	}
	whole := int64(secs)
	*t = Timestamp(time.Unix(whole, int64((secs-float64(whole))*1e9)).UTC().Format(time.RFC3339Nano))
	return nil
}

// Sample names of the entry files in this directory.
const (
	SampleCompleted = "valuation-completed"
	SampleFailed    = "valuation-failed"
	SampleInvalid   = "invalid-no-callback-id"
	// SampleReferred is a "Loan Decided" event that the loan-referred rule
	// sends to the notifications topic.
	SampleReferred = "loan-decided-referred"
)

// Sample reads the entries of a sample file (name without .json).
func Sample(name string) ([]Entry, error) {
	b, err := files.ReadFile(name + ".json")
	if err != nil {
		return nil, fmt.Errorf("read sample %s: %w", name, err)
	}
	var es []Entry
	if err := json.Unmarshal(b, &es); err != nil {
		return nil, fmt.Errorf("parse sample %s: %w", name, err)
	}
	return es, nil
}

// SampleNames lists the sample files, without .json, sorted.
func SampleNames() []string {
	ents, _ := files.ReadDir(".")
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			out = append(out, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	sort.Strings(out)
	return out
}

// Rule is one EventBridge rule: its name (the pattern file's, without .json),
// its event pattern text and the target it feeds.
type Rule struct {
	Name    string
	Pattern []byte
	Target  Target
}

// Target is what a rule feeds.
type Target string

const (
	// TargetResolver is the callback resolver function (the valuation
	// callbacks' rules).
	TargetResolver Target = "resolver"
	// TargetNotifications is the loan notifications topic: people who
	// must act on a loan subscribe to it.
	TargetNotifications Target = "notifications"
	// TargetNone is no target at all: the rule counts the events it
	// matches (EventBridge's MatchedEvents metric, by rule), which is how
	// the dashboard shows the loans by decision and reason.
	TargetNone Target = "none"
)

// ruleTargets names the rules that feed another target than the resolver.
var ruleTargets = map[string]Target{
	"loan-referred":                 TargetNotifications,
	"decided-ltv-within-policy":     TargetNone,
	"decided-ltv-needs-underwriter": TargetNone,
	"decided-ltv-above-policy":      TargetNone,
	"decided-valuation-timed-out":   TargetNone,
	"decided-valuation-failed":      TargetNone,
}

// Rules returns every rule in patterns/, sorted by name.
func Rules() ([]Rule, error) {
	ents, err := files.ReadDir("patterns")
	if err != nil {
		return nil, fmt.Errorf("read patterns: %w", err)
	}
	var out []Rule
	for _, e := range ents {
		b, err := files.ReadFile(path.Join("patterns", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read pattern %s: %w", e.Name(), err)
		}
		name := strings.TrimSuffix(e.Name(), ".json")
		target := ruleTargets[name]
		if target == "" {
			target = TargetResolver
		}
		out = append(out, Rule{Name: name, Pattern: b, Target: target})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Envelope is an event as EventBridge delivers it to targets.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Envelope wraps the entry as EventBridge would deliver it. The detail must be
// a JSON object, as PutEvents requires.
func (e Entry) Envelope(id, account, region string, now time.Time) (Envelope, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil || obj == nil {
		return Envelope{}, fmt.Errorf("Detail: must be a JSON object")
	}
	t := now.UTC()
	if e.Time != "" {
		if pt, err := time.Parse(time.RFC3339, string(e.Time)); err == nil {
			t = pt.UTC()
		}
	}
	res := e.Resources
	if res == nil {
		res = []string{}
	}
	return Envelope{
		Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source, Account: account,
		Time: t.Format("2006-01-02T15:04:05Z"), Region: region, Resources: res, Detail: json.RawMessage(e.Detail),
	}, nil
}
