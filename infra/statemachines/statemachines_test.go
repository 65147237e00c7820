package statemachines_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"loanflow/infra/config"
	"loanflow/infra/statemachines"
)

func render(t *testing.T, d statemachines.Definition) map[string]any {
	t.Helper()
	c := config.Default()
	values := map[statemachines.Definition]map[string]string{
		statemachines.LoanProcessor:    c.LoanProcessorSubstitutions("https://sqs.us-east-1.amazonaws.com/000000000000/valuation-requests", "loanflow-valuations"),
		statemachines.ValuationService: c.ValuationServiceSubstitutions("arn:aws:lambda:us-east-1:000000000000:function:callback-sender"),
	}[d]
	raw, err := d.Render(values)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var def map[string]any
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return def
}

func TestEveryPlaceholderIsKnown(t *testing.T) {
	known := map[string]bool{
		config.PlaceholderQueueURL:          true,
		config.PlaceholderCallbackTimeout:   true,
		config.PlaceholderEventBusName:      true,
		config.PlaceholderCallbackSenderARN: true,
	}
	for _, d := range statemachines.All {
		src, err := d.Source()
		if err != nil {
			t.Fatal(err)
		}
		ps := statemachines.Placeholders(src)
		if len(ps) == 0 {
			t.Errorf("%s: expected placeholders", d)
		}
		for _, p := range ps {
			if !known[p] {
				t.Errorf("%s: unknown placeholder ${%s}", d, p)
			}
		}
	}
}

func TestRenderRejectsMissingAndStrayValues(t *testing.T) {
	if _, err := statemachines.LoanProcessor.Render(map[string]string{config.PlaceholderQueueURL: "q"}); err == nil ||
		!strings.Contains(err.Error(), "no value for CallbackTimeoutSeconds") {
		t.Fatalf("missing value: got %v", err)
	}
	vals := config.Default().LoanProcessorSubstitutions("q", "bus")
	vals["Nope"] = "x"
	if _, err := statemachines.LoanProcessor.Render(vals); err == nil || !strings.Contains(err.Error(), "Nope matches no placeholder") {
		t.Fatalf("stray value: got %v", err)
	}
	vals = config.Default().LoanProcessorSubstitutions("q", "bus")
	vals[config.PlaceholderCallbackTimeout] = "not a number"
	if _, err := statemachines.LoanProcessor.Render(vals); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("bad value: got %v", err)
	}
}

// walk visits every state machine (top level, Parallel branches, Map processors).
func walk(t *testing.T, where string, sm map[string]any, visit func(where string, states map[string]any, startAt string)) {
	states, _ := sm["States"].(map[string]any)
	start, _ := sm["StartAt"].(string)
	visit(where, states, start)
	for name, s := range states {
		st := s.(map[string]any)
		for i, b := range asSlice(st["Branches"]) {
			walk(t, where+"/"+name+"/Branches/"+string(rune('0'+i)), b.(map[string]any), visit)
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if p, ok := st[k].(map[string]any); ok {
				walk(t, where+"/"+name+"/"+k, p, visit)
			}
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func TestEveryTransitionTargetExists(t *testing.T) {
	for _, d := range statemachines.All {
		def := render(t, d)
		walk(t, string(d), def, func(where string, states map[string]any, startAt string) {
			if _, ok := states[startAt]; !ok {
				t.Errorf("%s: StartAt %q is not a state", where, startAt)
			}
			reached := map[string]bool{startAt: true}
			for name, s := range states {
				st := s.(map[string]any)
				var targets []string
				if n, ok := st["Next"].(string); ok {
					targets = append(targets, n)
				}
				if n, ok := st["Default"].(string); ok {
					targets = append(targets, n)
				}
				for _, c := range append(asSlice(st["Choices"]), asSlice(st["Catch"])...) {
					if n, ok := c.(map[string]any)["Next"].(string); ok {
						targets = append(targets, n)
					}
				}
				typ := st["Type"]
				terminal := typ == "Succeed" || typ == "Fail" || st["End"] == true
				if !terminal && len(targets) == 0 {
					t.Errorf("%s/%s: neither Next nor End", where, name)
				}
				for _, n := range targets {
					reached[n] = true
					if _, ok := states[n]; !ok {
						t.Errorf("%s/%s: transition to unknown state %q", where, name, n)
					}
				}
			}
			for name := range states {
				if !reached[name] {
					t.Errorf("%s/%s: unreachable state", where, name)
				}
			}
		})
	}
}

func TestNoJSONata(t *testing.T) {
	for _, d := range statemachines.All {
		src, _ := d.Source()
		if strings.Contains(src, "JSONata") || strings.Contains(src, "{%") {
			t.Errorf("%s: uses JSONata; the definitions use the JSONPath query language", d)
		}
		def := render(t, d)
		if ql, ok := def["QueryLanguage"]; ok && ql != "JSONPath" {
			t.Errorf("%s: QueryLanguage %v", d, ql)
		}
	}
}

func TestRequestValuationWaitsForTheToken(t *testing.T) {
	def := render(t, statemachines.LoanProcessor)
	rv := def["States"].(map[string]any)["RequestValuation"].(map[string]any)
	if rv["Resource"] != "arn:aws:states:::sqs:sendMessage.waitForTaskToken" {
		t.Fatalf("Resource = %v", rv["Resource"])
	}
	body := rv["Parameters"].(map[string]any)["MessageBody"].(map[string]any)
	if body["taskToken.$"] != "$$.Task.Token" || body["loanApplication.$"] != "$" || body["executionId.$"] != "$$.Execution.Id" {
		t.Fatalf("message body does not carry the token, execution and application: %v", body)
	}
	if got := rv["TimeoutSeconds"]; got != float64(config.Default().CallbackTimeout.Seconds()) {
		t.Fatalf("TimeoutSeconds = %v, want the config's callback timeout", got)
	}
	var caught []string
	for _, c := range asSlice(rv["Catch"]) {
		for _, e := range asSlice(c.(map[string]any)["ErrorEquals"]) {
			caught = append(caught, e.(string))
		}
	}
	sort.Strings(caught)
	if strings.Join(caught, ",") != "States.Timeout,ValuationFailed" {
		t.Fatalf("Catch covers %v, want States.Timeout and ValuationFailed", caught)
	}
	for _, r := range asSlice(rv["Retry"]) {
		for _, e := range asSlice(r.(map[string]any)["ErrorEquals"]) {
			if !strings.HasPrefix(e.(string), "SQS.") {
				t.Errorf("Retry on %v: only transient SQS errors may be retried (a retry sends a new token)", e)
			}
		}
	}
}
