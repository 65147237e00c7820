package eventbus

import (
	"encoding/json"
	"strings"
	"testing"
)

// decodesAsObject is the check isJSONObject stands for: the detail decodes
// into a map, and is not null.
func decodesAsObject(s string) bool {
	var obj map[string]any
	return json.Unmarshal([]byte(s), &obj) == nil && obj != nil
}

var detailCases = []string{
	`{}`, ` {"a":1} `, "\n\t{\"a\":[1,{\"b\":null}]}\r\n", `{"a":1,"a":2}`, "{\"a\":\"\xff\"}",
	`null`, ` null `, `[]`, `[{}]`, `"x"`, `1`, `true`, ``, ` `, `{`, `}`, `{"a":1}x`, `{"a":1}{}`, `{"a":}`,
	"\v{}", "\ufeff{}", "{\"a\":1}\x00", `{'a':1}`, `{"a":1,}`, `{"a" 1}`,
	// Numbers at the edges of float64: decoding refuses an overflow.
	`{"a":1e400}`, `{"a":-1e400}`, `{"a":[1e309]}`, `{"a":1E+309}`, `{"a":1e-400}`, `{"a":1.7976931348623157e308}`,
	`{"a":123456789012345678901234567890}`, `{"a":"1e400"}`, `{"a\"1e400":1}`, `{"a":{"b":[0,-0.5e-3,2E2]}}`,
	`{"a":1` + strings.Repeat("0", 308) + `}`, `{"a":1` + strings.Repeat("0", 309) + `}`,
	`{"a":0.` + strings.Repeat("0", 400) + `1}`,
}

// isJSONObject accepts exactly the details that decoding into a map
// accepts, as PutEvents' MalformedDetail check did before it.
func TestIsJSONObjectAgreesWithDecodingIntoAMap(t *testing.T) {
	for _, s := range detailCases {
		if got, want := isJSONObject(s), decodesAsObject(s); got != want {
			t.Errorf("isJSONObject(%q) = %v, decoding into a map says %v", s, got, want)
		}
	}
}

func FuzzIsJSONObject(f *testing.F) {
	for _, s := range detailCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isJSONObject(s), decodesAsObject(s); got != want {
			t.Fatalf("isJSONObject(%q) = %v, decoding into a map says %v", s, got, want)
		}
	})
}
