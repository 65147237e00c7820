package events_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/local/eventpattern"
)

func compileRules(t *testing.T) map[string]*eventpattern.Pattern {
	t.Helper()
	rules, err := events.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 8 {
		t.Fatalf("want the completed, failed and loan-referred rules and five decided- rules, got %d", len(rules))
	}
	out := map[string]*eventpattern.Pattern{}
	for _, r := range rules {
		p, err := eventpattern.Compile(r.Pattern)
		if err != nil {
			t.Fatalf("rule %s: %v", r.Name, err)
		}
		out[r.Name] = p
	}
	return out
}

func matching(t *testing.T, rules map[string]*eventpattern.Pattern, e events.Entry) []string {
	t.Helper()
	env, err := e.Envelope("6a7e8feb-b491-4cf7-a9f1-bf3703467718", "000000000000", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	var names []string
	for name, p := range rules {
		ok, err := p.Match(raw)
		if err != nil {
			t.Fatalf("match %s: %v", name, err)
		}
		if ok {
			names = append(names, name)
		}
	}
	return names
}

func TestSamplesMatchTheirSchemaAndExactlyTheirRule(t *testing.T) {
	rules := compileRules(t)
	for sample, wantRule := range map[string]string{
		events.SampleCompleted: "valuation-completed",
		events.SampleFailed:    "valuation-failed",
	} {
		entries, err := events.Sample(sample)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("%s: want one entry", sample)
		}
		e := entries[0]
		if e.Source != contracts.EventSource || e.EventBusName == "" {
			t.Errorf("%s: source %q bus %q", sample, e.Source, e.EventBusName)
		}
		var d contracts.ValuationCallbackDetail
		if err := contracts.Decode(contracts.SchemaValuationCallbackDetail, []byte(e.Detail), &d); err != nil {
			t.Fatalf("%s: detail breaks its contract: %v", sample, err)
		}
		if e.DetailType != contracts.DetailType(d.Response.Status) {
			t.Errorf("%s: detail-type %q does not follow status %q", sample, e.DetailType, d.Response.Status)
		}
		// The body the signature covers must be the response itself.
		raw, err := base64.StdEncoding.DecodeString(d.BodyBase64)
		if err != nil {
			t.Fatalf("%s: bodyBase64: %v", sample, err)
		}
		var body contracts.ValuationResponse
		if err := contracts.Decode(contracts.SchemaValuationResponse, raw, &body); err != nil || !reflect.DeepEqual(body, d.Response) {
			t.Errorf("%s: body %q does not carry the response (%v)", sample, raw, err)
		}
		got := matching(t, rules, e)
		if len(got) != 1 || got[0] != wantRule {
			t.Errorf("%s: matched rules %v, want exactly [%s]", sample, got, wantRule)
		}
	}
}

func TestInvalidSampleMatchesNoRule(t *testing.T) {
	rules := compileRules(t)
	entries, err := events.Sample(events.SampleInvalid)
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if err := contracts.Validate(contracts.SchemaValuationCallbackDetail, []byte(e.Detail)); err == nil {
		t.Errorf("the invalid sample passes the contract; it should break it")
	}
	if got := matching(t, rules, e); len(got) != 0 {
		t.Errorf("invalid sample matched %v", got)
	}
}

func TestEverySampleIsListed(t *testing.T) {
	names := events.SampleNames()
	want := []string{events.SampleInvalid, events.SampleReferred, events.SampleCompleted, events.SampleFailed}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("samples: %v, want %v", names, want)
	}
}

func TestEnvelopeRejectsNonObjectDetail(t *testing.T) {
	for _, d := range []string{`"text"`, `[1]`, `not json`, `null`} {
		if _, err := (events.Entry{Detail: d}).Envelope("id", "a", "r", time.Now()); err == nil {
			t.Errorf("Detail %s: want an error", d)
		}
	}
}

// The notifications rule takes exactly the loans referred because their
// valuation failed or timed out; the resolver's rules never see a decision.
func TestLoanReferredRuleTakesOnlyFailedOrTimedOutValuations(t *testing.T) {
	rules := compileRules(t)
	all, _ := events.Rules()
	for _, r := range all {
		want := events.TargetResolver
		switch {
		case r.Name == "loan-referred":
			want = events.TargetNotifications
		case strings.HasPrefix(r.Name, "decided-"):
			want = events.TargetNone
		}
		if r.Target != want {
			t.Errorf("rule %s feeds %q, want %q", r.Name, r.Target, want)
		}
	}
	entries, err := events.Sample(events.SampleReferred)
	if err != nil || len(entries) != 1 {
		t.Fatalf("sample: %v (%d entries)", err, len(entries))
	}
	sample := entries[0]
	if err := contracts.Validate(contracts.SchemaLoanDecision, []byte(sample.Detail)); err != nil {
		t.Fatalf("sample detail breaks its contract: %v", err)
	}
	if sample.Source != contracts.DecisionSource || sample.DetailType != contracts.DetailTypeLoanDecided {
		t.Fatalf("sample source %q detail-type %q", sample.Source, sample.DetailType)
	}
	got := matching(t, rules, sample)
	sort.Strings(got)
	if !reflect.DeepEqual(got, []string{"decided-valuation-timed-out", "loan-referred"}) {
		t.Fatalf("sample matches %v, want [decided-valuation-timed-out loan-referred]", got)
	}
	for _, c := range []struct {
		decision, reason string
		notify           bool
	}{
		{contracts.DecisionReferred, contracts.ReasonValuationFailed, true},
		{contracts.DecisionReferred, contracts.ReasonValuationTimedOut, true},
		{contracts.DecisionReferred, contracts.ReasonLTVNeedsUnderwriter, false},
		{contracts.DecisionApproved, contracts.ReasonLTVWithinPolicy, false},
		{contracts.DecisionDeclined, contracts.ReasonLTVAbovePolicy, false},
	} {
		e := sample
		e.Detail = `{"version":"1","applicationId":"A","executionId":"arn:aws:states:us-east-1:0:execution:LoanProcessor:A","decision":"` + c.decision + `","reason":"` + c.reason + `"}`
		got := matching(t, rules, e)
		sort.Strings(got)
		counter := "decided-" + strings.ReplaceAll(strings.ToLower(c.reason), "_", "-")
		want := []string{counter}
		if c.notify {
			want = append(want, "loan-referred")
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: matches %v, want %v (each decision is counted by exactly its rule)", c.decision, c.reason, got, want)
		}
	}
}
