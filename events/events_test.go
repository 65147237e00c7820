package events_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
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
	if len(rules) != 2 {
		t.Fatalf("want the completed and failed rules, got %d", len(rules))
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
	if len(names) != 3 {
		t.Fatalf("samples: %v", names)
	}
}

func TestEnvelopeRejectsNonObjectDetail(t *testing.T) {
	for _, d := range []string{`"text"`, `[1]`, `not json`, `null`} {
		if _, err := (events.Entry{Detail: d}).Envelope("id", "a", "r", time.Now()); err == nil {
			t.Errorf("Detail %s: want an error", d)
		}
	}
}
