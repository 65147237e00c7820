package asl

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"loanflow/infra/local/asl/expr"
)

// Splicing a member into an encoded object gives the object's encoding.
func TestSpliceMemberMatchesEncode(t *testing.T) {
	base := map[string]any{"b": json.Number("1"), "d": []any{"x", map[string]any{"z": nil}}, "f": "<&>\u2028", "q\"\\}": "x\\\"{["}
	for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "é"} {
		for _, val := range []any{nil, "v", json.Number("2.5"), map[string]any{"k": true}, []any{}, strings.Repeat("long <value> ", 40)} {
			for _, in := range []map[string]any{base, {}, {"b": 1.0}} {
				js, idx := encodeIndexed(in)
				if js != EncodeJSON(in) {
					t.Fatalf("encodeIndexed(%v) = %s, want %s", in, js, EncodeJSON(in))
				}
				out := maps.Clone(in)
				out[key] = val
				got, gotIdx, sp, ok := spliceMember(js, idx, key, val)
				if !ok || got != EncodeJSON(out) {
					t.Fatalf("splice %s=%v into %s: %s, want %s", key, val, js, got, EncodeJSON(out))
				}
				// The splice replayed on the scanned text gives the same.
				members, ok := scanMembers(js)
				if !ok || len(members) != len(idx) {
					t.Fatalf("scanMembers(%s) = %v", js, members)
				}
				if re := string(spliceText(nil, js, members, sp.At, sp.Replace, sp.Text)); re != got {
					t.Fatalf("replayed splice %s, want %s", re, got)
				}
				// The spans stay valid for the next splice.
				again, _, _, _ := spliceMember(got, gotIdx, "b", "again")
				out["b"] = "again"
				if again != EncodeJSON(out) {
					t.Fatalf("second splice: %s, want %s", again, EncodeJSON(out))
				}
			}
		}
	}
	if simpleMember("$.tier") != "tier" || simpleMember("$.a.b") != "" || simpleMember("$") != "" || simpleMember("$['x']") != "" {
		t.Fatalf("simpleMember")
	}
}

// A checkpointed cursor decodes to the same value with or without its
// input's cached JSON.
func TestMarshalCursorReusesInput(t *testing.T) {
	in := map[string]any{"a": []any{json.Number("1.50"), "<x>"}, "b": nil}
	cur := &Cursor{State: "S", Input: in, Vars: map[string]any{"v": true}, Phase: phaseRun, Entered: 3}
	plain, err := json.Marshal(cur)
	if err != nil {
		t.Fatal(err)
	}
	cur.inputJSON, cur.inputIndex = encodeIndexed(in)
	fast, err := marshalCursor(cur)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(plain, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(fast, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("cursor\n%s\n%s", plain, fast)
	}
}

// The MapIteration* details are encoded by hand exactly as emit encodes
// the map {"index": i, "name": state}.
func TestIterationDetailsAsEmitEncodes(t *testing.T) {
	for _, name := range []string{"ScoreLoans", `a "quoted" <name> & more`, "tab\there", "ünïcødé ✓", "line\u2028sep", ""} {
		for _, i := range []int{0, 7, 1234567} {
			want, err := expr.AppendJSON(nil, map[string]any{"name": name, "index": i}, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := iterationDetails(iterationName(name), i); string(got) != string(want) {
				t.Errorf("iterationDetails(%q, %d) = %s, want %s", name, i, got, want)
			}
		}
	}
}
