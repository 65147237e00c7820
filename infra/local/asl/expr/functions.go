package expr

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"unicode/utf8"

	"loanflow/infra/local/internal/ids"
)

// Limits AWS documents for intrinsic functions.
const (
	maxArrayRangeItems = 1000
	maxEncodeChars     = 10000 // Base64Encode input, Base64Decode input, Hash input
)

// intrinsicFunc describes one function: its arity and evaluator.
type intrinsicFunc struct {
	min, max int // argument count; max < 0 means unbounded
	// argTypes lists the JSON type each argument must have ("" = any); the
	// last entry repeats for variadic functions.
	argTypes []string
	eval     func(c *IntrinsicCall, args []any) (any, *Error)
}

var intrinsics map[string]*intrinsicFunc

func init() {
	intrinsics = map[string]*intrinsicFunc{
		"States.Format":         {1, -1, []string{"string", ""}, fnFormat},
		"States.StringToJson":   {1, 1, []string{"string"}, fnStringToJSON},
		"States.JsonToString":   {1, 1, []string{""}, fnJSONToString},
		"States.Array":          {0, -1, []string{""}, fnArray},
		"States.ArrayPartition": {2, 2, []string{"array", "number"}, fnArrayPartition},
		"States.ArrayContains":  {2, 2, []string{"array", ""}, fnArrayContains},
		"States.ArrayRange":     {3, 3, []string{"number", "number", "number"}, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, []string{"array", "number"}, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, []string{"array"}, fnArrayLength},
		"States.ArrayUnique":    {1, 1, []string{"array"}, fnArrayUnique},
		"States.Base64Encode":   {1, 1, []string{"string"}, fnBase64Encode},
		"States.Base64Decode":   {1, 1, []string{"string"}, fnBase64Decode},
		"States.Hash":           {2, 2, []string{"", "string"}, fnHash},
		"States.JsonMerge":      {3, 3, []string{"object", "object", "boolean"}, fnJSONMerge},
		"States.MathRandom":     {2, 3, []string{"number", "number", "number"}, fnMathRandom},
		"States.MathAdd":        {2, 2, []string{"number", "number"}, fnMathAdd},
		"States.StringSplit":    {2, 2, []string{"string", "string"}, fnStringSplit},
		"States.UUID":           {0, 0, nil, fnUUID},
	}
}

func (f *intrinsicFunc) argType(i int) string {
	if len(f.argTypes) == 0 {
		return ""
	}
	if i >= len(f.argTypes) {
		return f.argTypes[len(f.argTypes)-1]
	}
	return f.argTypes[i]
}

// countText describes the expected argument count.
func (f *intrinsicFunc) countText() string {
	switch {
	case f.max < 0:
		return fmt.Sprintf("at least %d", f.min)
	case f.min == f.max:
		return fmt.Sprint(f.min)
	}
	return fmt.Sprintf("%d to %d", f.min, f.max)
}

// check validates the argument count and literal argument types at compile
// time.
func (f *intrinsicFunc) check(c *IntrinsicCall) error {
	n := len(c.args)
	if n < f.min || f.max >= 0 && n > f.max {
		return fmt.Errorf("%s takes %s arguments, got %d", c.name, f.countText(), n)
	}
	for i, a := range c.args {
		if a.kind != argLiteral {
			continue
		}
		if want := f.argType(i); want != "" && TypeName(a.lit) != want {
			return fmt.Errorf("%s argument %d must be a %s, got %s %s", c.name, i+1, want, TypeName(a.lit), mustEncode(a.lit))
		}
	}
	if c.name == "States.Format" && c.args[0].kind == argLiteral {
		n, err := countPlaceholders(c.args[0].raw, true)
		if err != nil {
			return err
		}
		if n != len(c.args)-1 {
			return fmt.Errorf("States.Format: the format string has %d placeholders but %d values were given", n, len(c.args)-1)
		}
	}
	return nil
}

// checkTypes validates evaluated arguments.
func (f *intrinsicFunc) checkTypes(c *IntrinsicCall, args []any) *Error {
	for i, a := range args {
		if want := f.argType(i); want != "" && TypeName(a) != want {
			return intrinsicErr(fmt.Sprintf("Invalid arguments in %s: argument %d must be of type %s, but was %s: %s", c.name, i+1, want, TypeName(a), mustEncode(a)))
		}
	}
	return nil
}

func fnFormat(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args[:1]); err != nil {
		return nil, err
	}
	tmpl, escaped := args[0].(string), false
	if c.args[0].kind == argLiteral {
		tmpl, escaped = c.args[0].raw, true
	}
	n, err := countPlaceholders(tmpl, escaped)
	if err != nil {
		return nil, intrinsicErr(err.Error())
	}
	if n != len(args)-1 {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.Format: the format string has %d placeholders but %d values were given", n, len(args)-1))
	}
	var b strings.Builder
	next := 1
	for i := 0; i < len(tmpl); i++ {
		switch {
		case escaped && tmpl[i] == '\\' && i+1 < len(tmpl):
			i++
			b.WriteByte(tmpl[i])
		case tmpl[i] == '{' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			b.WriteString(formatValue(args[next]))
			next++
			i++
		default:
			b.WriteByte(tmpl[i])
		}
	}
	return b.String(), nil
}

// countPlaceholders counts "{}" in a Format template; with escaped set,
// backslash escapes the next character.
func countPlaceholders(t string, escaped bool) (int, error) {
	n := 0
	for i := 0; i < len(t); i++ {
		switch {
		case escaped && t[i] == '\\':
			i++
		case t[i] == '{' && i+1 < len(t) && t[i+1] == '}':
			n++
			i++
		}
	}
	return n, nil
}

// formatValue renders a States.Format argument: strings as is, other values
// as JSON.
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return mustEncode(v)
}

func fnStringToJSON(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	s := strings.TrimSpace(args[0].(string))
	if s == "" {
		return nil, nil
	}
	v, err := Decode([]byte(s))
	if err != nil {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.StringToJson: the string is not valid JSON: %s", mustEncode(args[0])))
	}
	return v, nil
}

func fnJSONToString(c *IntrinsicCall, args []any) (any, *Error) {
	s, err := Encode(args[0])
	if err != nil {
		return nil, intrinsicErr("Invalid arguments in States.JsonToString: " + err.Error())
	}
	return s, nil
}

func fnArray(_ *IntrinsicCall, args []any) (any, *Error) {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = deepCopy(a)
	}
	return out, nil
}

// intArg returns args[i] as an integer; number type was already checked.
func intArg(c *IntrinsicCall, args []any, i int) (int64, *Error) {
	if v, ok := smallInt(args[i]); ok {
		return v, nil
	}
	n, _ := asNumber(args[i])
	v, ok := n.int64Value()
	if !ok {
		return 0, intrinsicErr(fmt.Sprintf("Invalid arguments in %s: argument %d must be an integer, but was %s", c.name, i+1, mustEncode(args[i])))
	}
	return v, nil
}

func fnArrayPartition(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	arr := args[0].([]any)
	size, err := intArg(c, args, 1)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.ArrayPartition: the chunk size must be greater than 0, but was %d", size))
	}
	out := []any{}
	for i := 0; i < len(arr); i += int(min(size, int64(len(arr)))) {
		end := i + int(min(size, int64(len(arr)-i)))
		chunk := make([]any, end-i)
		for j := range chunk {
			chunk[j] = deepCopy(arr[i+j])
		}
		out = append(out, chunk)
	}
	return out, nil
}

func fnArrayContains(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	for _, e := range args[0].([]any) {
		if Equal(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func fnArrayRange(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	var v [3]int64
	for i := range v {
		x, err := intArg(c, args, i)
		if err != nil {
			return nil, err
		}
		v[i] = x
	}
	start, end, step := v[0], v[1], v[2]
	if step == 0 {
		return nil, intrinsicErr("Invalid arguments in States.ArrayRange: the step must not be 0")
	}
	count := new(big.Int).Sub(big.NewInt(end), big.NewInt(start))
	count.Quo(count, big.NewInt(step))
	count.Add(count, big.NewInt(1))
	if (end > start) != (step > 0) && end != start || count.Sign() <= 0 {
		return []any{}, nil
	}
	if count.Cmp(big.NewInt(maxArrayRangeItems)) > 0 {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.ArrayRange: the range would have %s items, more than the maximum of %d", count, maxArrayRangeItems))
	}
	out := make([]any, 0, count.Int64())
	for i, x := int64(0), start; i < count.Int64(); i, x = i+1, x+step {
		out = append(out, intNumber(x))
	}
	return out, nil
}

func fnArrayGetItem(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	arr := args[0].([]any)
	i, err := intArg(c, args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(arr)) {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.ArrayGetItem: index %d is out of bounds for an array of length %d", i, len(arr)))
	}
	return deepCopy(arr[i]), nil
}

func fnArrayLength(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	return intNumber(int64(len(args[0].([]any)))), nil
}

func fnArrayUnique(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	out := []any{}
outer:
	for _, e := range args[0].([]any) {
		for _, o := range out {
			if Equal(e, o) {
				continue outer
			}
		}
		out = append(out, deepCopy(e))
	}
	return out, nil
}

func checkLen(c *IntrinsicCall, s string) *Error {
	if n := utf8.RuneCountInString(s); n > maxEncodeChars {
		return intrinsicErr(fmt.Sprintf("Invalid arguments in %s: the input is %d characters long, more than the maximum of %d", c.name, n, maxEncodeChars))
	}
	return nil
}

func fnBase64Encode(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	s := args[0].(string)
	if err := checkLen(c, s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	s := args[0].(string)
	if err := checkLen(c, s); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.Base64Decode: the input is not valid base64: %s", mustEncode(s)))
	}
	return string(b), nil
}

// NewHash returns a hash of the algorithm Step Functions names alg
// (States.Hash, JSONata's $hash): MD5, SHA-1, SHA-256, SHA-384 or SHA-512;
// nil for any other name.
func NewHash(alg string) hash.Hash {
	switch alg {
	case "MD5":
		return md5.New()
	case "SHA-1":
		return sha1.New()
	case "SHA-256":
		return sha256.New()
	case "SHA-384":
		return sha512.New384()
	case "SHA-512":
		return sha512.New()
	}
	return nil
}

func fnHash(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	data, ok := args[0].(string)
	if !ok {
		data = mustEncode(args[0])
	}
	if err := checkLen(c, data); err != nil {
		return nil, err
	}
	h := NewHash(args[1].(string))
	if h == nil {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.Hash: the hash algorithm %s is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", mustEncode(args[1])))
	}
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnJSONMerge(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	return merge(args[0].(map[string]any), args[1].(map[string]any), args[2].(bool)), nil
}

// merge returns a copy of a with b's keys set over it; with deep set, keys
// whose values are objects on both sides are merged recursively.
func merge(a, b map[string]any, deep bool) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = deepCopy(v)
	}
	for k, v := range b {
		if deep {
			am, ok1 := out[k].(map[string]any)
			bm, ok2 := v.(map[string]any)
			if ok1 && ok2 {
				out[k] = merge(am, bm, true)
				continue
			}
		}
		out[k] = deepCopy(v)
	}
	return out
}

func fnMathRandom(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	start, err := intArg(c, args, 0)
	if err != nil {
		return nil, err
	}
	end, err := intArg(c, args, 1)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.MathRandom: the end %d must be greater than the start %d", end, start))
	}
	span := new(big.Int).Sub(big.NewInt(end), big.NewInt(start))
	if !span.IsInt64() {
		return nil, intrinsicErr("Invalid arguments in States.MathRandom: the range is too large")
	}
	var r *mrand.Rand
	if len(args) == 3 {
		seed, err := intArg(c, args, 2)
		if err != nil {
			return nil, err
		}
		r = mrand.New(mrand.NewPCG(uint64(seed), 0))
	} else {
		var b [16]byte
		_, _ = rand.Read(b[:])
		r = mrand.New(mrand.NewPCG(leUint64(b[:8]), leUint64(b[8:])))
	}
	return intNumber(start + r.Int64N(span.Int64())), nil
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// roundHalfUp rounds like Java's Math.round: halves go towards +infinity.
func roundHalfUp(n number) (*big.Int, bool) {
	if n.rat == nil {
		if math.IsInf(n.f, 0) || math.IsNaN(n.f) {
			return nil, false
		}
		n = floatNumber(n.f)
	}
	r := new(big.Rat).Add(n.rat, big.NewRat(1, 2))
	q := new(big.Int).Div(r.Num(), r.Denom()) // Euclidean division: floor for positive denominators
	return q, true
}

func fnMathAdd(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	if x, ok1 := smallInt(args[0]); ok1 {
		if y, ok2 := smallInt(args[1]); ok2 && x >= math.MinInt32 && x <= math.MaxInt32 && y >= math.MinInt32 && y <= math.MaxInt32 {
			return intNumber(x + y), nil
		}
	}
	sum := new(big.Int)
	for i, a := range args {
		n, _ := asNumber(a)
		v, ok := roundHalfUp(n)
		if !ok || v.Cmp(big.NewInt(math.MinInt32)) < 0 || v.Cmp(big.NewInt(math.MaxInt32)) > 0 {
			return nil, intrinsicErr(fmt.Sprintf("Invalid arguments in States.MathAdd: argument %d must be between %d and %d, but was %s", i+1, math.MinInt32, math.MaxInt32, mustEncode(a)))
		}
		sum.Add(sum, v)
	}
	return json.Number(sum.String()), nil
}

// fnStringSplit splits on any of the delimiter's characters and drops empty
// tokens, like Java's StringTokenizer.
func fnStringSplit(c *IntrinsicCall, args []any) (any, *Error) {
	if err := c.fn.checkTypes(c, args); err != nil {
		return nil, err
	}
	s, delims := args[0].(string), args[1].(string)
	out := []any{}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) }) {
		out = append(out, tok)
	}
	return out, nil
}

// fnUUID is States.UUID: a random version 4 UUID.
func fnUUID(*IntrinsicCall, []any) (any, *Error) {
	return ids.UUID(), nil
}

func jsonNumber(s string) json.Number { return json.Number(s) }
