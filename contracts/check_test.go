package contracts

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestEverySchemaHasACheck: the fast answer covers every contract, so a
// keyword added to a schema that check does not know shows up here rather
// than as a silent slowdown.
func TestEverySchemaHasACheck(t *testing.T) {
	all, err := compiledSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Schemas {
		if _, err := compileCheck(all[s]); err != nil {
			t.Errorf("%s: no check: %v", s, err)
		}
	}
}

// TestCheckRefusesUnknownKeywords: a schema with a keyword check does not
// handle gets no check (the library validates it alone).
func TestCheckRefusesUnknownKeywords(t *testing.T) {
	for _, doc := range []string{
		`{"type":"object","minProperties":1}`,
		`{"type":"array","items":{"type":"string"}}`,
		`{"type":"object","unevaluatedProperties":false}`,
		`{"type":"object","patternProperties":{"^x":{"type":"string"}}}`,
		`{"type":"number","multipleOf":2}`,
		`{"type":"object","dependentRequired":{"a":["b"]}}`,
		`{"enum":[{"a":1}]}`,
		`{"$defs":{"n":{"properties":{"n":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}`,
	} {
		sch := compileDoc(t, doc)
		k, err := compileCheck(sch)
		if err == nil && k != nil {
			// A self-reference through properties is fine to refuse or to
			// accept only if the answers agree; the rest must be refused.
			if !strings.Contains(doc, "$ref") {
				t.Errorf("%s: compiled a check", doc)
			}
		}
	}
}

func compileDoc(t *testing.T, doc string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("https://example.test/s.json", v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://example.test/s.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestCheckAgreesWithLibrary: on every fixture and on thousands of
// mutations of the valid ones (each field removed, retyped, set to
// boundary values; unknown fields added), against every schema, check and
// the library give the same answer.
func TestCheckAgreesWithLibrary(t *testing.T) {
	all, err := compiledSchemas()
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, b)
			if dir == "valid" {
				docs = append(docs, mutations(t, b)...)
			}
		}
	}
	n, accepted := 0, 0
	for _, raw := range docs {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		for _, s := range Schemas {
			k, err := compileCheck(all[s])
			if err != nil {
				t.Fatal(err)
			}
			lib := all[s].Validate(inst) == nil
			if got := k.valid(inst); got != lib {
				t.Errorf("%s: check says %v, library %v for %s", s, got, lib, raw)
			}
			n++
			if lib {
				accepted++
			}
		}
	}
	if accepted < 100 || n-accepted < 100 {
		t.Fatalf("too few cases on one side: %d accepted, %d refused", accepted, n-accepted)
	}
	t.Logf("%d cases, %d accepted", n, accepted)
}

// FuzzCheck: any document gets the same answer from check and the library.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	all, err := compiledSchemas()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, s := range Schemas {
			k := checks[s]
			if lib := all[s].Validate(inst) == nil; k.valid(inst) != lib {
				t.Fatalf("%s: check says %v, library %v for %s", s, !lib, lib, raw)
			}
		}
	})
}

// replacements are the values each field of a fixture is set to in turn.
var replacements = []string{
	`null`, `true`, `false`, `""`, `"x"`, `"GBP"`, `"EUR"`, `"COMPLETED"`, `"FAILED"`, `"APPROVED"`, `"REFERRED"`, `"DECLINED"`,
	`"2"`, `"1"`, `"SW1A 1AA"`, `"sw1a 1aa"`, `"a@b.co"`, `"not an email"`, `"2025-01-02T03:04:05Z"`, `"2025-13-02T03:04:05Z"`,
	`"https://example.com/valuations/abc"`, `"not a url"`, `"` + strings.Repeat("é", 200) + `"`, `"` + strings.Repeat("a", 201) + `"`,
	`"` + strings.Repeat("a", 64) + `"`, `"` + strings.Repeat("a", 65) + `"`, `"` + strings.Repeat("a", 2048) + `"`,
	`0`, `-1`, `1`, `1.5`, `1.0`, `1e2`, `12`, `11`, `480`, `481`, `100000000000`, `100000000001`, `1e400`, `-0`,
	`10000`, `10001`, `99999999999999999999`, `{}`, `[]`, `[1]`, `{"x":1}`,
}

// mutations returns variants of the JSON document raw: each member of each
// object removed, or set to each replacement, and an unknown member added.
func mutations(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	doc, err := decodeNumbers(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var walk func(v any, set func(any))
	emit := func() {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	walk = func(v any, set func(any)) {
		for _, r := range replacements {
			nv, err := decodeNumbers([]byte(r))
			if err != nil {
				t.Fatal(err)
			}
			set(nv)
			emit()
		}
		set(v)
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				old := v[k]
				delete(v, k)
				emit()
				v[k] = old
				walk(old, func(n any) { v[k] = n })
			}
			v["unknownField"] = 1
			emit()
			delete(v, "unknownField")
		case []any:
			for i := range v {
				old := v[i]
				walk(old, func(n any) { v[i] = n })
			}
		}
	}
	walk(doc, func(n any) { doc = n })
	return out
}

// decodeNumbers decodes raw keeping numbers as written (1e2, 1.0, -0).
func decodeNumbers(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// BenchmarkDecode decodes the valuation request message (the largest
// contract on a loan's path), valid as nearly every message is.
func BenchmarkDecode(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "valid", "valuation-request-message.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var m ValuationRequestMessage
		if err := Decode(SchemaValuationRequestMessage, raw, &m); err != nil {
			b.Fatal(err)
		}
	}
}
