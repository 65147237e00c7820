package contracts_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"loanflow/contracts"
)

// goldens maps each valid fixture to its schema and Go type.
var goldens = []struct {
	file   string
	schema contracts.Schema
	new    func() any
}{
	{"loan-application.json", contracts.SchemaLoanApplication, func() any { return new(contracts.LoanApplication) }},
	{"valuation-request-message.json", contracts.SchemaValuationRequestMessage, func() any { return new(contracts.ValuationRequestMessage) }},
	{"valuation-request.json", contracts.SchemaValuationRequest, func() any { return new(contracts.ValuationRequest) }},
	{"valuation-request-response.json", contracts.SchemaValuationRequestResponse, func() any { return new(contracts.ValuationRequestResponse) }},
	{"valuation-response.json", contracts.SchemaValuationResponse, func() any { return new(contracts.ValuationResponse) }},
	{"valuation-response-failed.json", contracts.SchemaValuationResponse, func() any { return new(contracts.ValuationResponse) }},
	{"valuation-callback-detail.json", contracts.SchemaValuationCallbackDetail, func() any { return new(contracts.ValuationCallbackDetail) }},
	{"valuation-result.json", contracts.SchemaValuationResult, func() any { return new(contracts.ValuationResult) }},
	{"loan-decision.json", contracts.SchemaLoanDecision, func() any { return new(contracts.LoanDecision) }},
	{"loan-decision-timed-out.json", contracts.SchemaLoanDecision, func() any { return new(contracts.LoanDecision) }},
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "valid", g.file))
			if err != nil {
				t.Fatal(err)
			}
			v := g.new()
			if err := contracts.Decode(g.schema, raw, v); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := contracts.Validate(g.schema, out); err != nil {
				t.Fatalf("re-encoded value breaks its own schema: %v", err)
			}
			var want, got any
			_ = json.Unmarshal(raw, &want)
			_ = json.Unmarshal(out, &got)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("round trip changed the document\nwant %s\ngot  %s", compact(raw), out)
			}
		})
	}
}

func TestEveryGoldenSchemaCovered(t *testing.T) {
	covered := map[contracts.Schema]bool{}
	for _, g := range goldens {
		covered[g.schema] = true
	}
	for _, s := range contracts.Schemas {
		if !covered[s] {
			t.Errorf("schema %s has no golden fixture", s)
		}
	}
}

func TestInvalidFixturesRejectedForTheRightReason(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if len(files) < 10 {
		t.Fatalf("expected the invalid fixtures, found %d", len(files))
	}
	perSchema := map[string]int{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var fx struct {
				Schema   contracts.Schema `json:"schema"`
				Expect   string           `json:"expect"`
				Document json.RawMessage  `json:"document"`
			}
			if err := json.Unmarshal(raw, &fx); err != nil {
				t.Fatal(err)
			}
			perSchema[string(fx.Schema)]++
			err = contracts.Validate(fx.Schema, fx.Document)
			var ve *contracts.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			var found []string
			for _, p := range ve.Problems {
				found = append(found, p.String())
			}
			if !contains(found, fx.Expect) {
				t.Fatalf("want problem %q, got %q", fx.Expect, found)
			}
		})
	}
	for _, s := range contracts.Schemas {
		if perSchema[string(s)] == 0 {
			t.Errorf("schema %s has no invalid fixture", s)
		}
	}
}

func TestMalformedJSONNamesTheBody(t *testing.T) {
	err := contracts.Validate(contracts.SchemaLoanApplication, []byte(`{"applicationId": `))
	if err == nil || !strings.Contains(err.Error(), "(body): must be valid JSON") {
		t.Fatalf("got %v", err)
	}
}

func TestUnknownSchema(t *testing.T) {
	if err := contracts.Validate("nope", []byte(`{}`)); err == nil {
		t.Fatal("want an error for an unknown schema")
	}
}

func TestLoanToValueRoundsUp(t *testing.T) {
	cases := []struct{ loan, value, want int64 }{
		{75, 100, 7500},
		{25000000, 32500000, 7693}, // 76.923...% rounds up
		{1, 3, 3334},
		{100, 0, 0},
	}
	for _, c := range cases {
		if got := contracts.LoanToValueBps(c.loan, c.value); got != c.want {
			t.Errorf("LoanToValueBps(%d, %d) = %d, want %d", c.loan, c.value, got, c.want)
		}
	}
}

func TestDetailType(t *testing.T) {
	if contracts.DetailType(contracts.StatusFailed) != contracts.DetailTypeFailed ||
		contracts.DetailType(contracts.StatusCompleted) != contracts.DetailTypeCompleted {
		t.Fatal("detail type does not follow the status")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func compact(b []byte) string {
	var buf bytes.Buffer
	_ = json.Compact(&buf, b)
	return buf.String()
}

// TestWholeNumberWrittenWithAFraction: 100.0 passes the schema (JSON Schema
// counts numbers by value) but is no Go integer, and API Gateway's draft-04
// validator refuses it too: Decode names the field and the rule instead of
// failing with a decoding error that names neither.
func TestWholeNumberWrittenWithAFraction(t *testing.T) {
	body := []byte(`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":100.0,"currency":"GBP"}`)
	var resp contracts.ValuationResponse
	err := contracts.Decode(contracts.SchemaValuationResponse, body, &resp)
	var ve *contracts.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "propertyValue" ||
		!strings.Contains(ve.Problems[0].Rule, "integer") {
		t.Fatalf("Decode = %v, want a ValidationError naming propertyValue as an integer", err)
	}
	if err := contracts.Decode(contracts.SchemaValuationResponse, []byte(strings.Replace(string(body), "100.0", "100", 1)), &resp); err != nil || resp.PropertyValue != 100 {
		t.Fatalf("100: %v, %+v", err, resp)
	}
}

// The problems of a body are each said once, and only those the sender can
// act on: a oneOf's shape is not second-guessed when the field that picks
// it is itself wrong, and every missing field is named.
func TestProblemsAreExactlyTheBrokenRules(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"valuationReference":"VAL-1","status":"DONE","propertyValue":1,"currency":"GBP"}`, `status: must be one of "COMPLETED", "FAILED"`},
		{`{"valuationReference":"VAL-1","status":"DONE"}`, `status: must be one of "COMPLETED", "FAILED"`},
		{`{"valuationReference":"VAL-1","status":7}`, `status: must be a string, got number`},
		{`{"valuationReference":"VAL-1","status":"COMPLETED"}`, `currency: is required; propertyValue: is required`},
		{`{"valuationReference":"VAL-1","status":"FAILED"}`, `failure: is required`},
		{`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":0,"currency":"GBP"}`, `propertyValue: must be > 0`},
		{`{"status":"FAILED","failure":{}}`, `failure.reasonCode: is required; valuationReference: is required`},
		// The shape is the one with the fewest broken rules, however many
		// fields one rule names: COMPLETED lacks propertyValue and
		// currency (one rule); FAILED's status is wrong (one rule), and the
		// first is taken.
		{`{"valuationReference":"VAL-1","status":"COMPLETED","failure":{"reasonCode":"OTHER"}}`, `currency: is required; propertyValue: is required`},
		// With the field that picks the shape missing, no shape is meant.
		{`{}`, `status: is required; valuationReference: is required`},
		{`{"valuationReference":"VAL-1"}`, `status: is required`},
		// A problem outside the choice does not hide the shape's.
		{`{"status":"COMPLETED","propertyValue":5}`, `currency: is required; valuationReference: is required`},
	} {
		err := contracts.Validate(contracts.SchemaValuationResponse, []byte(c.body))
		var ve *contracts.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: want a ValidationError, got %v", c.body, err)
			continue
		}
		var got []string
		for _, p := range ve.Problems {
			got = append(got, p.String())
		}
		if strings.Join(got, "; ") != c.want {
			t.Errorf("%s:\n got  %q\n want %q", c.body, strings.Join(got, "; "), c.want)
		}
	}
}
