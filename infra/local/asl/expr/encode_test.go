package expr

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// reference encodes v with encoding/json, the behaviour AppendJSON copies.
func reference(v any, escapeHTML bool) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "<a&b>", "quote\" back\\ slash/", "\b\f\n\r\t\x00\x1f\x7f",
		"\u2028\u2029 é 日本 \xff\xfe bad", json.Number("12"), json.Number("-0.5e-10"), json.Number(""),
		1.0, 0.1, -2.5, 1e21, 1e-7, 123456789.125, 1e20, 5e-324, math.MaxFloat64, float64(0),
		int(-3), int64(1 << 60), int32(7), uint64(1 << 63),
		map[string]any{"b": 1.0, "a": []any{"x", nil, map[string]any{}}, "é": "z", "A": json.Number("3")},
		map[string]any(nil), []any(nil), []any{}, map[string]string{"k": "v"}, []string{"a"},
		map[string]any{"nested": map[string]any{"z": map[string]any(nil), "y": []any{[]any{}}}},
	}
	for _, v := range values {
		for _, esc := range []bool{false, true} {
			want, werr := reference(v, esc)
			got, gerr := AppendJSON(nil, v, esc)
			if (werr != nil) != (gerr != nil) || string(got) != want && werr == nil {
				t.Errorf("AppendJSON(%#v, %v) = %q, %v; want %q, %v", v, esc, got, gerr, want, werr)
			}
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("01"), []any{math.Inf(-1)}} {
		if _, err := AppendJSON(nil, bad, false); err == nil {
			t.Errorf("AppendJSON(%v): no error", bad)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add(`{"a":[1,2.5e-9,"x<y>\u2028"],"b":{"c":null,"d":true}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return
		}
		for _, w := range []any{v, decodeOrNil(doc)} {
			want, werr := reference(w, false)
			got, gerr := AppendJSON(nil, w, false)
			if werr == nil && (gerr != nil || string(got) != want) {
				t.Fatalf("AppendJSON = %q, %v; want %q", got, gerr, want)
			}
		}
	})
}

func decodeOrNil(doc string) any {
	v, err := Decode([]byte(doc))
	if err != nil {
		return nil
	}
	return v
}
