package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Append writes what encoding/json writes, with and without HTML escaping.
func TestAppendIsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "<a>&", "\b\f\n\r\t\x00\x1f", "\u2028\u2029", "bad \xff utf8", "é ☃ 𝄞"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append(nil, s, true); !bytes.Equal(got, want) {
			t.Errorf("Append(%q, html) = %s, want %s", s, got, want)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := Append(nil, s, false), bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("Append(%q) = %s, want %s", s, got, want)
		}
	}
}
