package cloud

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"loanflow/contracts"
)

// compileSchema compiles doc as the given draft, asserting formats as the contracts do.
func compileSchema(t *testing.T, doc []byte, draft *jsonschema.Draft) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	c.AssertFormat()
	const loc = "mem://schema.json"
	if err := c.AddResource(loc, v); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

func accepts(t *testing.T, s *jsonschema.Schema, doc []byte) bool {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("parse instance %s: %v", doc, err)
	}
	return s.Validate(v) == nil
}

type fixture struct {
	name  string
	doc   []byte
	valid bool
}

// valuationResponseFixtures gathers the contract's own fixtures for the
// valuation response and this package's boundary cases.
func valuationResponseFixtures(t *testing.T) []fixture {
	t.Helper()
	root := moduleRootForTest(t)
	var out []fixture
	valid, _ := filepath.Glob(filepath.Join(root, "contracts/testdata/valid/valuation-response*.json"))
	for _, p := range valid {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{name: filepath.Base(p), doc: b, valid: true})
	}
	invalid, _ := filepath.Glob(filepath.Join(root, "contracts/testdata/invalid/*.json"))
	for _, p := range invalid {
		var f struct {
			Schema   string          `json:"schema"`
			Document json.RawMessage `json:"document"`
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Schema == string(contracts.SchemaValuationResponse) {
			out = append(out, fixture{name: filepath.Base(p), doc: f.Document, valid: false})
		}
	}
	local, _ := filepath.Glob("testdata/valuation-response/*.json")
	for _, p := range local {
		var f struct {
			Valid    bool            `json:"valid"`
			Document json.RawMessage `json:"document"`
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, fixture{name: "local/" + filepath.Base(p), doc: f.Document, valid: f.Valid})
	}
	if len(valid) < 2 || len(out)-len(valid)-len(local) < 4 || len(local) == 0 {
		t.Fatalf("fixtures missing: %d valid, %d total, %d local", len(valid), len(out), len(local))
	}
	return out
}

// TestDraft4ValuationResponseAgrees proves the webhook's model (draft 4)
// accepts and rejects exactly what the contract (draft 2020-12) does.
func TestDraft4ValuationResponseAgrees(t *testing.T) {
	src, err := contracts.SchemaValuationResponse.Source()
	if err != nil {
		t.Fatal(err)
	}
	conv, err := Draft4(src)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(conv, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"$schema", "$id", "$defs", "const"} {
		if _, ok := m[k]; ok {
			t.Errorf("converted schema keeps %s", k)
		}
	}
	pv := m["properties"].(map[string]any)["propertyValue"].(map[string]any)
	if pv["minimum"] != 0.0 || pv["exclusiveMinimum"] != true {
		t.Errorf("propertyValue bound = %v/%v, want minimum 0 exclusive", pv["minimum"], pv["exclusiveMinimum"])
	}

	orig := compileSchema(t, src, jsonschema.Draft2020)
	draft4 := compileSchema(t, conv, jsonschema.Draft4)
	for _, f := range valuationResponseFixtures(t) {
		a, b := accepts(t, orig, f.doc), accepts(t, draft4, f.doc)
		if a != f.valid {
			t.Errorf("%s: contract accepts=%v, fixture says valid=%v", f.name, a, f.valid)
		}
		if a != b {
			t.Errorf("%s: contract accepts=%v but the draft 4 model accepts=%v", f.name, a, b)
		}
		if err := contracts.Validate(contracts.SchemaValuationResponse, f.doc); (err == nil) != f.valid {
			t.Errorf("%s: contracts.Validate = %v, want valid=%v", f.name, err, f.valid)
		}
	}
}

func TestDraft4Rules(t *testing.T) {
	cases := []struct {
		name      string
		schema    string
		want      string   // converted schema, compared as JSON
		instances []string // each must get the same verdict from both drafts
	}{
		{
			name:      "defs and refs",
			schema:    `{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://x/y.json","$defs":{"n":{"type":"integer"}},"type":"object","properties":{"a":{"$ref":"#/$defs/n"}}}`,
			want:      `{"definitions":{"n":{"type":"integer"}},"type":"object","properties":{"a":{"$ref":"#/definitions/n"}}}`,
			instances: []string{`{"a":1}`, `{"a":"x"}`, `{}`},
		},
		{
			name:      "exclusive minimum alone",
			schema:    `{"type":"number","exclusiveMinimum":0}`,
			want:      `{"type":"number","minimum":0,"exclusiveMinimum":true}`,
			instances: []string{`0`, `-1`, `0.001`, `5`},
		},
		{
			name:      "exclusive bound stricter than the inclusive one",
			schema:    `{"type":"number","minimum":1,"exclusiveMinimum":3,"maximum":10,"exclusiveMaximum":10}`,
			want:      `{"type":"number","minimum":3,"exclusiveMinimum":true,"maximum":10,"exclusiveMaximum":true}`,
			instances: []string{`1`, `3`, `3.5`, `9.99`, `10`},
		},
		{
			name:      "inclusive bound stricter than the exclusive one",
			schema:    `{"type":"number","minimum":5,"exclusiveMinimum":3,"maximum":7,"exclusiveMaximum":9}`,
			want:      `{"type":"number","minimum":5,"maximum":7}`,
			instances: []string{`4`, `5`, `7`, `8`},
		},
		{
			name:      "const",
			schema:    `{"type":"object","properties":{"v":{"const":"1"}}}`,
			want:      `{"type":"object","properties":{"v":{"enum":["1"]}}}`,
			instances: []string{`{"v":"1"}`, `{"v":1}`, `{"v":"2"}`},
		},
		{
			name:      "const with enum",
			schema:    `{"const":"a","enum":["a","b"]}`,
			want:      `{"enum":["a"]}`,
			instances: []string{`"a"`, `"b"`},
		},
		{
			name:      "boolean subschemas",
			schema:    `{"type":"object","properties":{"x":false,"y":true},"additionalProperties":false}`,
			want:      `{"type":"object","properties":{"x":{"not":{}},"y":{}},"additionalProperties":false}`,
			instances: []string{`{}`, `{"x":1}`, `{"y":1}`, `{"z":1}`},
		},
		{
			name:      "dependent keywords",
			schema:    `{"dependentRequired":{"a":["b"]},"dependentSchemas":{"c":{"required":["d"]}}}`,
			want:      `{"dependencies":{"a":["b"],"c":{"required":["d"]}}}`,
			instances: []string{`{"a":1}`, `{"a":1,"b":2}`, `{"c":1}`, `{"c":1,"d":1}`},
		},
		{
			name:      "nested combinators and annotations",
			schema:    `{"$comment":"x","examples":[1],"oneOf":[{"items":{"exclusiveMaximum":2}},{"type":"string","const":"s"}]}`,
			want:      `{"oneOf":[{"items":{"maximum":2,"exclusiveMaximum":true}},{"type":"string","enum":["s"]}]}`,
			instances: []string{`[1]`, `[2]`, `"s"`, `"t"`},
		},
		{
			name:      "enum and const values are data, not schemas",
			schema:    `{"enum":[{"const":1,"$id":"x"}]}`,
			want:      `{"enum":[{"const":1,"$id":"x"}]}`,
			instances: []string{`{"const":1,"$id":"x"}`, `{"const":1}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Draft4([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEquivalent(t, got, []byte(tc.want)) {
				t.Fatalf("Draft4 = %s, want %s", got, tc.want)
			}
			orig := compileSchema(t, []byte(tc.schema), jsonschema.Draft2020)
			conv := compileSchema(t, got, jsonschema.Draft4)
			for _, in := range tc.instances {
				if a, b := accepts(t, orig, []byte(in)), accepts(t, conv, []byte(in)); a != b {
					t.Errorf("instance %s: draft 2020-12 accepts=%v, draft 4 accepts=%v", in, a, b)
				}
			}
		})
	}
}

func TestDraft4Refuses(t *testing.T) {
	cases := map[string]string{
		"external ref":    `{"properties":{"r":{"$ref":"other.schema.json"}}}`,
		"prefixItems":     `{"prefixItems":[{"type":"string"}]}`,
		"if then else":    `{"if":{"type":"string"},"then":{"minLength":1}}`,
		"unevaluated":     `{"unevaluatedProperties":false}`,
		"propertyNames":   `{"propertyNames":{"pattern":"^a"}}`,
		"contains":        `{"contains":{"type":"string"}}`,
		"items array":     `{"items":[{"type":"string"}]}`,
		"no common value": `{"const":"a","enum":["b"]}`,
		"not json":        `{`,
		"bad bound":       `{"exclusiveMinimum":"0"}`,
	}
	for name, schema := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := Draft4([]byte(schema)); err == nil {
				t.Fatalf("Draft4 accepted %s as %s", schema, got)
			} else if !strings.HasPrefix(err.Error(), "draft4: ") {
				t.Fatalf("error %q lacks the operation", err)
			}
		})
	}
}

func jsonEquivalent(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return jsonEqual(x, y)
}
