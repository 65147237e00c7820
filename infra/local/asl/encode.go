package asl

import (
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/jsonstr"
)

// member is the span of one member ("key":value) in an object's JSON text.
type member struct {
	key        string
	start, end int
}

// encodeIndexed encodes v exactly as EncodeJSON does; for a non-nil object
// it also returns the spans of its members, in key order, so that a state
// that only sets one member of its input (ResultPath "$.key") can splice
// its output's JSON instead of encoding it again.
func encodeIndexed(v any) (string, []member) {
	m, ok := v.(map[string]any)
	if !ok || m == nil {
		return EncodeJSON(v), nil
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
		b = jsonstr.Append(b, k, false)
		b = append(b, ':')
		var err error
		if b, err = expr.AppendJSON(b, m[k], false); err != nil {
			return EncodeJSON(v), nil
		}
		idx = append(idx, member{k, start, len(b)})
	}
	b = append(b, '}')
	return unsafe.String(unsafe.SliceData(b), len(b)), idx // b is not used again
}

// spliceMember returns the JSON (and member spans) of the object encoded as
// js with spans idx after setting member key to val, and the splice that
// describes the change; false if val cannot be encoded.
func spliceMember(js string, idx []member, key string, val any) (string, []member, *Splice, bool) {
	i, found := slices.BinarySearchFunc(idx, key, func(m member, k string) int { return strings.Compare(m.key, k) })
	j := i
	if found {
		j++
	}
	// The member is encoded in place (as spliceText would insert it): its
	// text is a span of the new object's JSON, not a copy.
	b := make([]byte, 0, len(js)+len(key)+64)
	b = append(b, '{')
	if i > 0 {
		b = append(b, js[idx[0].start:idx[i-1].end]...)
		b = append(b, ',')
	}
	start := len(b) // idx[0].start is 1: the members before keep their offsets
	b = jsonstr.Append(b, key, false)
	b = append(b, ':')
	b, err := expr.AppendJSON(b, val, false)
	if err != nil {
		return "", nil, nil, false
	}
	end := len(b)
	if j < len(idx) {
		b = append(b, ',')
		b = append(b, js[idx[j].start:idx[len(idx)-1].end]...)
	}
	b = append(b, '}')
	out := make([]member, 0, len(idx)+1)
	out = append(out, idx[:i]...)
	out = append(out, member{key, start, end})
	if j < len(idx) {
		shift := end + 1 - idx[j].start
		for _, m := range idx[j:] {
			out = append(out, member{m.key, m.start + shift, m.end + shift})
		}
	}
	obj := unsafe.String(unsafe.SliceData(b), len(b)) // b is not used again
	return obj, out, &Splice{At: i, Replace: found, Text: obj[start:end]}, true
}

// spliceText appends to b the object js (with member spans idx) with member
// text inserted at position at, replacing the member there if replace.
func spliceText(b []byte, js string, idx []member, at int, replace bool, text string) []byte {
	b = append(b, '{')
	if at > 0 {
		b = append(b, js[idx[0].start:idx[at-1].end]...)
		b = append(b, ',')
	}
	b = append(b, text...)
	j := at
	if replace {
		j++
	}
	if j < len(idx) {
		b = append(b, ',')
		b = append(b, js[idx[j].start:idx[len(idx)-1].end]...)
	}
	return append(b, '}')
}

// scanMembers returns the member spans of a compact JSON object (as
// EncodeJSON writes it); false if js is not one.
func scanMembers(js string) ([]member, bool) {
	if len(js) < 2 || js[0] != '{' || js[len(js)-1] != '}' {
		return nil, false
	}
	var out []member
	i := 1
	if js[i] == '}' {
		return out, i == len(js)-1
	}
	for {
		start := i
		var ok bool
		if i, ok = skipValue(js, i); !ok || start == i || js[start] != '"' || i >= len(js) || js[i] != ':' {
			return nil, false
		}
		if i, ok = skipValue(js, i+1); !ok || i >= len(js) {
			return nil, false
		}
		out = append(out, member{start: start, end: i})
		switch js[i] {
		case ',':
			i++
		case '}':
			return out, i == len(js)-1
		default:
			return nil, false
		}
	}
}

// skipValue returns the offset just after the compact JSON value at i.
func skipValue(js string, i int) (int, bool) {
	if i >= len(js) {
		return i, false
	}
	switch js[i] {
	case '"':
		for i++; i < len(js); i++ {
			switch js[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
		return i, false
	case '{', '[':
		depth := 0
		for ; i < len(js); i++ {
			switch js[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			case '"':
				end, ok := skipValue(js, i)
				if !ok {
					return i, false
				}
				i = end - 1
			}
		}
		return i, false
	}
	for i < len(js) && js[i] != ',' && js[i] != '}' && js[i] != ']' && js[i] != ':' {
		i++
	}
	return i, true
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
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return ""
		}
	}
	return key
}
