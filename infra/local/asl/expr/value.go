package expr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decode parses one JSON document into a plain Go JSON value, keeping numbers
// as json.Number. Trailing data after the document is an error.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode JSON: unexpected data after the document")
	}
	return v, nil
}

// Encode serialises a JSON value compactly and without HTML escaping, as AWS
// prints JSON in outputs and causes. Object keys come out sorted: a
// map[string]any keeps no order, where AWS keeps the document's order.
func Encode(v any) (string, error) {
	b, err := AppendJSON(nil, v, false)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(b), nil
}

// mustEncode is Encode for values known to be JSON values; on failure it
// falls back to fmt formatting rather than panicking.
func mustEncode(v any) string {
	s, err := Encode(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// Equal reports whether two JSON values are equal: numbers by value (1 equals
// 1.0 and 1e0), objects regardless of key order, arrays element by element.
func Equal(a, b any) bool {
	if na, ok := asNumber(a); ok {
		nb, ok := asNumber(b)
		return ok && compareNumbers(na, nb) == 0
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !Equal(a[i], bs[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}

// smallInt returns v as an int64 when it is an integer JSON number of at
// most 18 digits, the common case that needs no big.Rat.
func smallInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		s := string(n)
		if len(s) == 0 || len(s) > 18 {
			return 0, false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < '0' || c > '9') && (i > 0 || c != '-') {
				return 0, false
			}
		}
		i, err := strconv.ParseInt(s, 10, 64)
		return i, err == nil
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// number is a parsed JSON number: exact when rat is set, else float.
type number struct {
	rat *big.Rat
	f   float64
}

// maxExactExponent bounds the decimal exponent parsed exactly; beyond it a
// number is handled as float64 so that "1e999999999" cannot exhaust memory.
const maxExactExponent = 400

// asNumber reports whether v is a JSON number and parses it.
func asNumber(v any) (number, bool) {
	switch n := v.(type) {
	case json.Number:
		return parseNumber(string(n))
	case float64:
		return floatNumber(n), true
	case float32:
		return floatNumber(float64(n)), true
	case int:
		return number{rat: new(big.Rat).SetInt64(int64(n))}, true
	case int64:
		return number{rat: new(big.Rat).SetInt64(n)}, true
	case int32:
		return number{rat: new(big.Rat).SetInt64(int64(n))}, true
	case uint64:
		return number{rat: new(big.Rat).SetUint64(n)}, true
	}
	return number{}, false
}

func floatNumber(f float64) number {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return number{f: f}
	}
	return number{rat: new(big.Rat).SetFloat64(f)}
}

// parseNumber parses JSON number text.
func parseNumber(s string) (number, bool) {
	if s == "" {
		return number{}, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > maxExactExponent || exp < -maxExactExponent {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil && !isRangeErr(err) {
				return number{}, false
			}
			return number{f: f}, true
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return number{}, false
	}
	return number{rat: r}, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (n number) float() float64 {
	if n.rat != nil {
		f, _ := n.rat.Float64()
		return f
	}
	return n.f
}

// compareNumbers returns -1, 0 or +1.
func compareNumbers(a, b number) int {
	if a.rat != nil && b.rat != nil {
		return a.rat.Cmp(b.rat)
	}
	fa, fb := a.float(), b.float()
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}

// isInteger reports whether n has no fractional part.
func (n number) isInteger() bool {
	if n.rat != nil {
		return n.rat.IsInt()
	}
	return !math.IsInf(n.f, 0) && !math.IsNaN(n.f) && n.f == math.Trunc(n.f)
}

// int64Value returns n as an int64 when it is an integer in range.
func (n number) int64Value() (int64, bool) {
	if n.rat != nil {
		if !n.rat.IsInt() || !n.rat.Num().IsInt64() {
			return 0, false
		}
		return n.rat.Num().Int64(), true
	}
	if !n.isInteger() || n.f < math.MinInt64 || n.f >= math.MaxInt64 {
		return 0, false
	}
	return int64(n.f), true
}

// intNumber returns an integer as a json.Number.
func intNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// TypeName names the JSON type of v as AWS does in error messages (and in
// JSONata states' type errors).
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if _, ok := smallInt(v); ok {
		return "number"
	}
	if _, ok := asNumber(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// deepCopy copies maps and slices so that results never alias inputs.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
