package asl

import (
	"reflect"
	"slices"
	"strings"

	"loanflow/infra/local/asl/expr"
)

// member is the span of one member ("key":value) in an object's JSON text.
type member struct {
	key        string
	start, end int
}

// encodeIndexed encodes v exactly as encodeJSON does; for a non-nil object
// it also returns the spans of its members, in key order, so that a state
// that only sets one member of its input (ResultPath "$.key") can splice
// its output's JSON instead of encoding it again.
func encodeIndexed(v any) (string, []member) {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return encodeJSON(v), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 256)
	b = append(b, '{')
	idx := make([]member, 0, len(keys))
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		start := len(b)
		b = expr.AppendString(b, k, false)
		b = append(b, ':')
		var err error
		if b, err = expr.AppendJSON(b, m[k], false); err != nil {
			return encodeJSON(v), nil
		}
		idx = append(idx, member{k, start, len(b)})
	}
	b = append(b, '}')
	return string(b), idx
}

// spliceMember returns the JSON (and member spans) of the object encoded as
// js with spans idx after setting member key to val; false if val cannot be
// encoded.
func spliceMember(js string, idx []member, key string, val any) (string, []member, bool) {
	i, found := slices.BinarySearchFunc(idx, key, func(m member, k string) int { return strings.Compare(m.key, k) })
	b := make([]byte, 0, len(js)+64)
	out := make([]member, 0, len(idx)+1)
	b = append(b, '{')
	if i > 0 {
		b = append(b, js[idx[0].start:idx[i-1].end]...)
		out = append(out, idx[:i]...) // idx[0].start is 1: spans keep their offsets
		b = append(b, ',')
	}
	start := len(b)
	b = expr.AppendString(b, key, false)
	b = append(b, ':')
	b, err := expr.AppendJSON(b, val, false)
	if err != nil {
		return "", nil, false
	}
	out = append(out, member{key, start, len(b)})
	j := i
	if found {
		j++
	}
	if j < len(idx) {
		b = append(b, ',')
		shift := len(b) - idx[j].start
		b = append(b, js[idx[j].start:idx[len(idx)-1].end]...)
		for _, m := range idx[j:] {
			out = append(out, member{m.key, m.start + shift, m.end + shift})
		}
	}
	b = append(b, '}')
	return string(b), out, true
}

// sameObject reports whether a and b are the same (non-nil) object, so that
// one's encoding is the other's. JSON values are never modified in place.
func sameObject(a, b any) bool {
	ma, ok1 := a.(map[string]any)
	mb, ok2 := b.(map[string]any)
	return ok1 && ok2 && ma != nil && reflect.ValueOf(ma).UnsafePointer() == reflect.ValueOf(mb).UnsafePointer()
}

// simpleMember returns key for a ResultPath of the form "$.key" (key an
// identifier), else "".
func simpleMember(path string) string {
	key, ok := strings.CutPrefix(path, "$.")
	if !ok || key == "" {
		return ""
	}
	for _, r := range key {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return ""
		}
	}
	return key
}
