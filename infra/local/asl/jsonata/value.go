package jsonata

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Internal values. JSONata distinguishes "undefined" (no value, Go nil here)
// from JSON null (the null sentinel). Numbers are float64, as in JavaScript.
// Values read from the caller's documents (map[string]any, []any,
// json.Number, nil) are normalised lazily, when they are read out of their
// container (see norm), so evaluating a small expression against a large
// input does not copy the input.

// nullValue is the type of the JSON null sentinel.
type nullValue struct{}

// null is JSON null inside the evaluator (Go nil is undefined).
var null = nullValue{}

// array is a JSONata array or sequence. Sequences are the results of path
// steps; they flatten and collapse to a single value when they hold one.
type array struct {
	vals []any
	// sequence marks a result sequence (JS: arr.sequence).
	sequence bool
	// keepSingleton keeps a one-element sequence as an array.
	keepSingleton bool
	// cons marks an array built by an array constructor that must not flatten.
	cons bool
	// outerWrapper marks the wrapper put around an array input document.
	outerWrapper bool
	// tupleStream marks a sequence of tuples (variable bindings per item).
	tupleStream bool
}

func newSeq(vals ...any) *array {
	if len(vals) <= 1 {
		a := newSeqCap(1)
		a.vals = append(a.vals, vals...)
		return a
	}
	return &array{vals: vals, sequence: true}
}

// array1 is a sequence with room for one value in the same allocation:
// most path steps produce one value.
type array1 struct {
	a   array
	buf [1]any
}

// newSeqCap returns an empty sequence with capacity n.
func newSeqCap(n int) *array {
	if n <= 1 {
		x := &array1{}
		x.a.vals = x.buf[:0]
		x.a.sequence = true
		return &x.a
	}
	return &array{vals: make([]any, 0, n), sequence: true}
}

func (a *array) push(v ...any) { a.vals = append(a.vals, v...) }

// tuple is one element of a tuple stream: "@" holds the context item, other
// keys hold focus, index and ancestor bindings.
type tuple map[string]any

// object is an ordered JSON object built by the evaluator. Keys keep
// JavaScript's property order (integer-like keys ascending, then insertion
// order).
type object struct {
	keys []string
	vals map[string]any
}

func newObject(n int) *object {
	return &object{keys: make([]string, 0, n), vals: make(map[string]any, n)}
}

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// orderedKeys returns the keys in JavaScript property order.
func (o *object) orderedKeys() []string {
	return jsKeyOrder(o.keys, false)
}

// jsKeyOrder puts array-index keys first in ascending numeric order, as
// JavaScript enumerates properties; the other keys keep their order, or are
// sorted when sorted is set (maps carry no order of their own).
func jsKeyOrder(keys []string, sorted bool) []string {
	hasIndex := false
	for _, k := range keys {
		if isIndexKey(k) {
			hasIndex = true
			break
		}
	}
	if !hasIndex && !sorted {
		return keys
	}
	out := make([]string, len(keys))
	copy(out, keys)
	sort.SliceStable(out, func(i, j int) bool {
		ai, bi := isIndexKey(out[i]), isIndexKey(out[j])
		switch {
		case ai && bi:
			x, _ := strconv.ParseUint(out[i], 10, 32)
			y, _ := strconv.ParseUint(out[j], 10, 32)
			return x < y
		case ai != bi:
			return ai
		case sorted:
			return out[i] < out[j]
		}
		return false
	})
	return out
}

func isIndexKey(k string) bool {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(k, 10, 64)
	return err == nil && n < math.MaxUint32
}

// norm converts a value read from a caller's document into the evaluator's
// representation: nil becomes null, numbers become float64, []any becomes an
// array. Objects stay as they are (map[string]any is read in place).
func norm(v any) any {
	switch x := v.(type) {
	case nil:
		return null
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			// out of range: ParseFloat returns ±Inf, as JSON.parse does
			return f
		}
		return f
	case float64, string, bool, *object, *array, map[string]any:
		return v
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = norm(e)
		}
		return &array{vals: out}
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case float32:
		return float64(x)
	case uint:
		return float64(x)
	case uint64:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return &array{vals: out}
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return &array{vals: out}
	case map[string]string:
		o := newObject(len(x))
		for _, k := range jsKeyOrder(mapKeys(x), true) {
			o.set(k, x[k])
		}
		return o
	}
	return v
}

func mapKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// isObject reports whether v is a JSON object (not a function).
func isObject(v any) bool {
	switch v.(type) {
	case *object, map[string]any:
		return true
	}
	return false
}

// objGet reads a property, normalised.
func objGet(v any, k string) (any, bool) {
	switch o := v.(type) {
	case *object:
		x, ok := o.vals[k]
		return x, ok
	case map[string]any:
		x, ok := o[k]
		if !ok {
			return nil, false
		}
		return norm(x), true
	case tuple:
		x, ok := o[k]
		return x, ok
	}
	return nil, false
}

// objKeys lists an object's keys in JavaScript order; a map's keys are
// sorted (after integer-like keys), since a Go map keeps no order.
func objKeys(v any) []string {
	switch o := v.(type) {
	case *object:
		return o.orderedKeys()
	case map[string]any:
		return jsKeyOrder(mapKeys(o), true)
	case tuple:
		return jsKeyOrder(mapKeys(o), true)
	}
	return nil
}

func objLen(v any) int {
	switch o := v.(type) {
	case *object:
		return len(o.keys)
	case map[string]any:
		return len(o)
	}
	return 0
}

// isNumeric is JSONata's isNumeric: a number that is not NaN; infinite
// numbers raise D1001.
func isNumeric(v any) bool {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return false
	}
	if math.IsInf(f, 0) {
		throw(&Error{Code: "D1001", Value: v})
	}
	return true
}

func isArrayOfStrings(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, e := range a.vals {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func isArrayOfNumbers(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, e := range a.vals {
		if !isNumeric(e) {
			return false
		}
	}
	return true
}

func isInteger(f float64) bool {
	return !math.IsInf(f, 0) && f == math.Trunc(f)
}

// deepEqual is JSONata's isDeepEqual.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case *array:
		y, ok := b.(*array)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if len(x.vals) != len(y.vals) {
			return false
		}
		for i := range x.vals {
			if !deepEqual(x.vals[i], y.vals[i]) {
				return false
			}
		}
		return true
	case *object, map[string]any:
		if !isObject(b) {
			return false
		}
		if objLen(a) != objLen(b) {
			return false
		}
		for _, k := range objKeys(a) {
			bv, ok := objGet(b, k)
			if !ok {
				return false
			}
			av, _ := objGet(a, k)
			if !deepEqual(av, bv) {
				return false
			}
		}
		return true
	}
	// scalars by value; functions and other internal values: identity
	return sameRef(a, b)
}

// sameRef is JavaScript's === on values: scalars by value, everything else
// by reference.
func sameRef(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case nullValue:
		_, ok := b.(nullValue)
		return ok
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case *array:
		y, ok := b.(*array)
		return ok && x == y
	case *object:
		y, ok := b.(*object)
		return ok && x == y
	case map[string]any:
		// raw maps read from the input: equal when they are the same map
		y, ok := b.(map[string]any)
		return ok && mapIdentity(x, y)
	case *lambda:
		y, ok := b.(*lambda)
		return ok && x == y
	case *builtin:
		y, ok := b.(*builtin)
		return ok && x == y
	case *regexValue:
		y, ok := b.(*regexValue)
		return ok && x == y
	}
	return false
}

// mapIdentity reports whether two maps are the same map object.
func mapIdentity(x, y map[string]any) bool {
	return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
}

// typeOf is $type.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return ""
	case nullValue:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case *array:
		return "array"
	case *lambda, *builtin, *regexValue:
		return "function"
	}
	return "object"
}

func isFunction(v any) bool {
	switch v.(type) {
	case *lambda, *builtin, *regexValue:
		return true
	}
	return false
}

// toBool is $boolean; ok is false for undefined.
func toBool(v any) (result bool, ok bool) {
	switch x := v.(type) {
	case nil:
		return false, false
	case *array:
		if len(x.vals) == 1 {
			b, _ := toBool(x.vals[0])
			return b, true
		}
		for _, e := range x.vals {
			if b, _ := toBool(e); b {
				return true, true
			}
		}
		return false, true
	case string:
		return x != "", true
	case float64:
		if isNumeric(x) {
			return x != 0, true
		}
		return false, true
	case bool:
		return x, true
	case *object, map[string]any:
		return objLen(x) > 0, true
	}
	return false, true
}

// truthy is boolean() treating undefined as false.
func truthy(v any) bool {
	b, _ := toBool(v)
	return b
}

// formatNumberJS renders a float64 as JavaScript's Number.prototype.toString
// does (shortest round-trip digits, exponent form outside [1e-7, 1e21)).
func formatNumberJS(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	mant, expPart, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expPart)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case k <= n && n <= 21:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		b.WriteString(digits[:n])
		b.WriteByte('.')
		b.WriteString(digits[n:])
	case -6 < n && n <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -n))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if k > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if n-1 >= 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.Itoa(n - 1))
	}
	return b.String()
}

// toPrecision15 is Number(x.toPrecision(15)).
func toPrecision15(f float64) float64 {
	s := strconv.FormatFloat(f, 'e', 14, 64)
	g, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return f
	}
	return g
}
