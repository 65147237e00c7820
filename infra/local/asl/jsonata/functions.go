package jsonata

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"loanflow/infra/local/asl/expr"
)

// builtins is the static frame: JSONata's function library plus Step
// Functions' additions (stepfunctions.go). It is built on first use, not at
// init: parsing the signatures is most of the package's set-up cost.
// (A sync.Once rather than sync.OnceValue: the functions it holds refer
// back to it, which a variable's initializer may not.)
func builtins() map[string]*builtin {
	builtinsOnce.Do(func() {
		b := builtinTable{}
		b.defineLibrary()
		b.defineStepFunctions()
		builtinFrame = b
	})
	return builtinFrame
}

var (
	builtinsOnce sync.Once
	builtinFrame map[string]*builtin
)

// builtinTable is the static frame while it is built.
type builtinTable map[string]*builtin

func (b builtinTable) define(name, sig string, arity int, fn func(c *call, args []any) any) {
	var s *signature
	if sig != "" {
		s = mustSignature(sig)
	}
	b[name] = &builtin{name: name, sig: s, arity: arity, nparams: arity, fn: fn}
}

// defineLibrary defines JSONata's function library.
func (b builtinTable) defineLibrary() {
	b.define("sum", "<a<n>:n>", 1, fnSum)
	b.define("count", "<a:n>", 1, fnCount)
	b.define("max", "<a<n>:n>", 1, fnMax)
	b.define("min", "<a<n>:n>", 1, fnMin)
	b.define("average", "<a<n>:n>", 1, fnAverage)
	b.define("string", "<x-b?:s>", 1, fnString)
	b["string"].nparams = 2
	b.define("substring", "<s-nn?:s>", 3, fnSubstring)
	b.define("substringBefore", "<s-s:s>", 2, fnSubstringBefore)
	b.define("substringAfter", "<s-s:s>", 2, fnSubstringAfter)
	b.define("lowercase", "<s-:s>", 1, fnLowercase)
	b.define("uppercase", "<s-:s>", 1, fnUppercase)
	b.define("length", "<s-:n>", 1, fnLength)
	b.define("trim", "<s-:s>", 1, fnTrim)
	b.define("pad", "<s-ns?:s>", 3, fnPad)
	b.define("match", "<s-f<s:o>n?:a<o>>", 3, fnMatch)
	b.define("contains", "<s-(sf):b>", 2, fnContains)
	b.define("replace", "<s-(sf)(sf)n?:s>", 4, fnReplace)
	b.define("split", "<s-(sf)n?:a<s>>", 3, fnSplit)
	b.define("join", "<a<s>s?:s>", 2, fnJoin)
	b.define("formatNumber", "<n-so?:s>", 3, fnFormatNumber)
	b.define("formatBase", "<n-n?:s>", 2, fnFormatBase)
	b.define("formatInteger", "<n-s:s>", 2, fnFormatInteger)
	b.define("parseInteger", "<s-s:n>", 2, fnParseInteger)
	b.define("number", "<(nsb)-:n>", 1, fnNumber)
	b.define("floor", "<n-:n>", 1, numFn(math.Floor))
	b.define("ceil", "<n-:n>", 1, numFn(math.Ceil))
	b.define("round", "<n-n?:n>", 2, fnRound)
	b.define("abs", "<n-:n>", 1, numFn(math.Abs))
	b.define("sqrt", "<n-:n>", 1, fnSqrt)
	b.define("power", "<n-n:n>", 2, fnPower)
	b.define("random", "<n?:n>", 0, fnRandom)
	b.define("boolean", "<x-:b>", 1, fnBoolean)
	b.define("not", "<x-:b>", 1, fnNot)
	b.define("map", "<af>", 2, fnMap)
	b.define("zip", "<a+>", 0, fnZip)
	b.define("filter", "<af>", 2, fnFilter)
	b.define("single", "<af?>", 2, fnSingle)
	b.define("reduce", "<afj?:j>", 3, fnReduce)
	b.define("sift", "<o-f?:o>", 2, fnSift)
	b.define("keys", "<x-:a<s>>", 1, fnKeys)
	b.define("lookup", "<x-s:x>", 2, func(c *call, a []any) any { return lookupValue(a[0], argString(a, 1)) })
	b.define("append", "<xx:a>", 2, func(c *call, a []any) any { return appendValues(c.ev, a[0], a[1]) })
	b.define("exists", "<x:b>", 1, func(c *call, a []any) any { return a[0] != nil })
	b.define("spread", "<x-:a<o>>", 1, fnSpread)
	b.define("merge", "<a<o>:o>", 1, fnMerge)
	b.define("reverse", "<a:a>", 1, fnReverse)
	b.define("each", "<o-f:a>", 2, fnEach)
	b.define("error", "<s?:x>", 1, fnError)
	b.define("assert", "<bs?:x>", 2, fnAssert)
	b.define("type", "<x:s>", 1, fnType)
	b.define("sort", "<af?:a>", 2, fnSort)
	b.define("shuffle", "<a:a>", 1, fnShuffle)
	b.define("distinct", "<x:x>", 1, fnDistinct)
	b.define("base64encode", "<s-:s>", 1, fnBase64Encode)
	b.define("base64decode", "<s-:s>", 1, fnBase64Decode)
	b.define("encodeUrlComponent", "<s-:s>", 1, urlFn("encodeUrlComponent", encodeURIComponentSet))
	b.define("encodeUrl", "<s-:s>", 1, urlFn("encodeUrl", encodeURISet))
	b.define("decodeUrlComponent", "<s-:s>", 1, decodeFn("decodeUrlComponent", ""))
	b.define("decodeUrl", "<s-:s>", 1, decodeFn("decodeUrl", ";/?:@&=+$,#"))
	b.define("eval", "<sx?:x>", 2, fnEval)
	b.define("toMillis", "<s-s?:n>", 2, fnToMillis)
	b.define("fromMillis", "<n-s?s?:s>", 3, fnFromMillis)
	b.define("clone", "<(oa)-:o>", 1, fnClone)
	b.define("now", "<s?s?:s>", 2, fnNow)
	b.define("millis", "<:n>", 0, fnMillis)
}

// maxStringLength bounds the strings that $pad, $formatInteger and the &
// operator build, in bytes: 16 MiB, far beyond Step Functions' 256 KiB
// payload limit (V8's limit, where the reference implementation fails with
// a RangeError, is about 2^29 UTF-16 units).
const maxStringLength = 1 << 24

func checkStringLength(n float64, token string) {
	if n > maxStringLength {
		throw(&Error{Code: "D3160", Value: n, Token: token, hasToken: true})
	}
}

// argString returns argument i, which the signature admits as undefined
// although the function needs it: undefined raises T0410 (the reference
// implementation fails with a JavaScript TypeError there).
func argString(a []any, i int) string {
	s, ok := argAt(a, i).(string)
	if !ok {
		throw(&Error{Code: "T0410", Index: i + 1, Value: argAt(a, i)})
	}
	return s
}

// argNumber is argString for numbers.
func argNumber(a []any, i int) float64 {
	f, ok := argAt(a, i).(float64)
	if !ok {
		throw(&Error{Code: "T0410", Index: i + 1, Value: argAt(a, i)})
	}
	return f
}

func numFn(f func(float64) float64) func(c *call, a []any) any {
	return func(c *call, a []any) any {
		if a[0] == nil {
			return nil
		}
		return f(a[0].(float64))
	}
}

func fnSum(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	total := 0.0
	for _, v := range a[0].(*array).vals {
		total += v.(float64)
	}
	return total
}

func fnCount(c *call, a []any) any {
	if a[0] == nil {
		return 0.0
	}
	return float64(len(a[0].(*array).vals))
}

func fnMax(c *call, a []any) any {
	if a[0] == nil || len(a[0].(*array).vals) == 0 {
		return nil
	}
	m := math.Inf(-1)
	for _, v := range a[0].(*array).vals {
		m = math.Max(m, v.(float64))
	}
	return m
}

func fnMin(c *call, a []any) any {
	if a[0] == nil || len(a[0].(*array).vals) == 0 {
		return nil
	}
	m := math.Inf(1)
	for _, v := range a[0].(*array).vals {
		m = math.Min(m, v.(float64))
	}
	return m
}

func fnAverage(c *call, a []any) any {
	if a[0] == nil || len(a[0].(*array).vals) == 0 {
		return nil
	}
	total := 0.0
	vals := a[0].(*array).vals
	for _, v := range vals {
		total += v.(float64)
	}
	return total / float64(len(vals))
}

func fnString(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	pretty, _ := argAt(a, 1).(bool)
	s := functionString(a[0], pretty)
	c.ev.work(len(s))
	return s
}

// functionString is fn.string.
func functionString(v any, pretty bool) string {
	switch x := v.(type) {
	case string:
		return x
	case *lambda, *builtin, *regexValue:
		return ""
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			throw(&Error{Code: "D3001", Value: v})
		}
	case *array:
		if x.outerWrapper && len(x.vals) > 0 {
			v = x.vals[0]
		}
	}
	s, _ := stringify(v, pretty)
	return s
}

// stringify is JSON.stringify with the replacer of fn.string: non-integer
// numbers are rounded to 15 significant digits and functions become "".
func stringify(v any, pretty bool) (string, bool) {
	var b strings.Builder
	ok := writeJSON(&b, v, pretty, "", true)
	return b.String(), ok
}

// writeJSON writes v; it returns false when v is undefined (nothing
// written).
func writeJSON(b *strings.Builder, v any, pretty bool, indent string, replace bool) bool {
	switch x := v.(type) {
	case nil:
		return false
	case nullValue:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			if replace {
				isNumeric(x) // the replacer's isNumeric raises D1001 on infinity
			}
			b.WriteString("null")
			return true
		}
		if replace && !isInteger(x) {
			x = toPrecision15(x)
		}
		b.WriteString(formatNumberJS(x))
	case string:
		b.WriteString(quoteJSON(x))
	case *lambda, *builtin, *regexValue:
		if replace {
			b.WriteString(`""`)
		} else {
			return false
		}
	case *array:
		if len(x.vals) == 0 {
			b.WriteString("[]")
			return true
		}
		inner := indent + "  "
		b.WriteByte('[')
		for i, e := range x.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if pretty {
				b.WriteString("\n" + inner)
			}
			if !writeJSON(b, e, pretty, inner, replace) {
				b.WriteString("null")
			}
		}
		if pretty {
			b.WriteString("\n" + indent)
		}
		b.WriteByte(']')
	case *object, map[string]any, tuple:
		keys := objKeys(x)
		inner := indent + "  "
		b.WriteByte('{')
		n := 0
		for _, k := range keys {
			e, _ := objGet(x, k)
			if e == nil {
				continue
			}
			if !replace && isFunction(e) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			if pretty {
				b.WriteString("\n" + inner)
			}
			b.WriteString(quoteJSON(k))
			b.WriteByte(':')
			if pretty {
				b.WriteByte(' ')
			}
			writeJSON(b, e, pretty, inner, replace)
			n++
		}
		if pretty && n > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteByte('}')
	default:
		return false
	}
	return true
}

// quoteJSON quotes a string as JSON.stringify does.
func quoteJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00` + hex2(c))
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// a lone surrogate carried as WTF-8, or an invalid byte
			if i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 {
				cp := rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				b.WriteString(`\u` + strconv.FormatInt(int64(cp), 16))
				i += 3
				continue
			}
			b.WriteString(`\ufffd`)
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// runes splits a string into code points, as JavaScript's for..of does.
func runes(s string) []rune { return []rune(s) }

// jsSliceBounds computes Array.prototype.slice bounds.
func jsSliceBounds(n int, start, end float64) (int, int) {
	rel := func(x float64) int {
		if math.IsNaN(x) {
			return 0
		}
		x = math.Trunc(x)
		if x < 0 {
			x = math.Max(float64(n)+x, 0)
		} else {
			x = math.Min(x, float64(n))
		}
		return int(x)
	}
	s, e := rel(start), rel(end)
	if e < s {
		e = s
	}
	return s, e
}

func fnSubstring(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	str := runes(a[0].(string))
	start := argNumber(a, 1)
	n := len(str)
	if float64(n)+start < 0 {
		start = 0
	}
	if l, ok := argAt(a, 2).(float64); ok {
		if l <= 0 {
			return ""
		}
		var end float64
		if start >= 0 {
			end = start + l
		} else {
			end = float64(n) + start + l
		}
		s, e := jsSliceBounds(n, start, end)
		return string(str[s:e])
	}
	s, e := jsSliceBounds(n, start, float64(n))
	return string(str[s:e])
}

func fnSubstringBefore(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	s, chars := a[0].(string), argString(a, 1)
	if i := strings.Index(s, chars); i > -1 {
		return s[:i]
	}
	return s
}

func fnSubstringAfter(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	s, chars := a[0].(string), argString(a, 1)
	if i := strings.Index(s, chars); i > -1 {
		return s[i+len(chars):]
	}
	return s
}

func fnLowercase(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	return strings.ToLower(a[0].(string))
}

func fnUppercase(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	return strings.ToUpper(a[0].(string))
}

func fnLength(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	return float64(utf8.RuneCountInString(a[0].(string)))
}

var reTrim = lazyRegexp(`[ \t\n\r]+`)

func fnTrim(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	r := reTrim().ReplaceAllString(a[0].(string), " ")
	r = strings.TrimPrefix(r, " ")
	r = strings.TrimSuffix(r, " ")
	return r
}

func fnPad(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	width := math.Trunc(argNumber(a, 1))
	ch, _ := argAt(a, 2).(string)
	if ch == "" {
		ch = " "
	}
	padLength := int(math.Abs(width)) - utf8.RuneCountInString(str)
	if padLength <= 0 {
		return str
	}
	checkStringLength(float64(padLength)*float64(len(ch)), "pad")
	padding := strings.Repeat(ch, padLength)
	if len(ch) > 1 {
		padding = string(runes(padding)[:padLength])
	}
	if width > 0 {
		return str + padding
	}
	return padding + str
}

func limitArg(a []any, i int) (float64, bool) {
	f, ok := argAt(a, i).(float64)
	return f, ok
}

func fnMatch(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	limit, hasLimit := limitArg(a, 2)
	if hasLimit && limit < 0 {
		throw(&Error{Code: "D3040", Value: limit, Index: 3})
	}
	result := newSeq()
	if !hasLimit || limit > 0 {
		count := 0.0
		m := c.evaluateMatcher(a[1], str)
		for m != nil && (!hasLimit || count < limit) {
			o := newObject(3)
			o.set("match", m.match)
			o.set("index", float64(byteToUTF16Offset(str, m.start)))
			o.set("groups", &array{vals: m.groups})
			result.push(o)
			m = m.next()
			count++
		}
	}
	return result
}

func fnContains(c *call, a []any) any {
	if a[0] == nil || a[1] == nil {
		return nil
	}
	str := a[0].(string)
	if tok, ok := a[1].(string); ok {
		return strings.Contains(str, tok)
	}
	return c.evaluateMatcher(a[1], str) != nil
}

// parseIntJS is parseInt(s, 10).
func parseIntJS(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, digits := 0, 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		n = n*10 + int(s[digits]-'0')
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func substituteReplacement(replacement string, m *matchResult) string {
	var b strings.Builder
	position := 0
	index := strings.Index(replacement, "$")
	for index != -1 && position < len(replacement) {
		b.WriteString(replacement[position:index])
		position = index + 1
		var dollarVal byte
		if position < len(replacement) {
			dollarVal = replacement[position]
		}
		switch dollarVal {
		case '$':
			b.WriteByte('$')
			position++
		case '0':
			b.WriteString(m.match)
			position++
		default:
			maxDigits := 1
			if len(m.groups) > 0 {
				maxDigits = int(math.Floor(math.Log(float64(len(m.groups)))*math.Log10E)) + 1
			}
			sub := func(n int) string {
				e := min(position+n, len(replacement))
				return replacement[position:e]
			}
			idx, ok := parseIntJS(sub(maxDigits))
			if maxDigits > 1 && idx > len(m.groups) {
				idx, ok = parseIntJS(sub(maxDigits - 1))
			}
			if ok {
				if len(m.groups) > 0 && idx-1 >= 0 && idx-1 < len(m.groups) {
					if s, ok := m.groups[idx-1].(string); ok {
						b.WriteString(s)
					}
				}
				position += len(strconv.Itoa(idx))
			} else {
				b.WriteByte('$')
			}
		}
		if position > len(replacement) {
			position = len(replacement)
		}
		next := strings.Index(replacement[position:], "$")
		if next == -1 {
			index = -1
		} else {
			index = position + next
		}
	}
	b.WriteString(replacement[position:])
	return b.String()
}

func fnReplace(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	if p, ok := a[1].(string); ok && p == "" {
		throw(&Error{Code: "D3010", Value: p, Index: 2})
	}
	limit, hasLimit := limitArg(a, 3)
	if hasLimit && limit < 0 {
		throw(&Error{Code: "D3011", Value: limit, Index: 4})
	}
	if hasLimit && limit == 0 {
		return str
	}
	count := 0.0
	var b strings.Builder
	position := 0
	if pattern, ok := a[1].(string); ok {
		for {
			i := strings.Index(str[position:], pattern)
			if i == -1 || (hasLimit && count >= limit) {
				break
			}
			b.WriteString(str[position : position+i])
			b.WriteString(functionStringOrEmpty(a[2]))
			position += i + len(pattern)
			count++
		}
		b.WriteString(str[position:])
		return b.String()
	}
	m := c.evaluateMatcher(a[1], str)
	if m == nil {
		return str
	}
	for m != nil && (!hasLimit || count < limit) {
		b.WriteString(str[position:max(position, m.start)])
		var replaced any
		if rs, ok := a[2].(string); ok {
			replaced = substituteReplacement(rs, m)
		} else {
			replaced = c.ev.apply(a[2], []any{m.obj}, nil, c.env, "", -1)
		}
		s, ok := replaced.(string)
		if !ok {
			throw(&Error{Code: "D3012", Value: replaced})
		}
		b.WriteString(s)
		position = m.start + len(m.match)
		count++
		m = m.next()
	}
	if position < len(str) {
		b.WriteString(str[position:])
	}
	return b.String()
}

// functionStringOrEmpty renders a string-pattern replacement, which the
// reference implementation concatenates as is.
func functionStringOrEmpty(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func fnSplit(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	str := a[0].(string)
	limit, hasLimit := limitArg(a, 2)
	if hasLimit && limit < 0 {
		throw(&Error{Code: "D3020", Value: limit, Index: 3})
	}
	result := &array{vals: []any{}}
	if hasLimit && limit == 0 {
		return result
	}
	if sep, ok := a[1].(string); ok {
		var parts []string
		if sep == "" {
			for _, u := range runes(str) {
				parts = append(parts, string(u))
			}
		} else {
			parts = strings.Split(str, sep)
		}
		if hasLimit {
			l := int(math.Trunc(limit))
			if l < len(parts) {
				parts = parts[:l]
			}
		}
		for _, p := range parts {
			result.push(p)
		}
		return result
	}
	count := 0.0
	m := c.evaluateMatcher(a[1], str)
	if m == nil {
		result.push(str)
		return result
	}
	start := 0
	for m != nil && (!hasLimit || count < limit) {
		result.push(str[min(start, m.start):m.start])
		start = m.end
		m = m.next()
		count++
	}
	if !hasLimit || count < limit {
		result.push(str[min(start, len(str)):])
	}
	return result
}

func fnJoin(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	sep, _ := argAt(a, 1).(string)
	vals := a[0].(*array).vals
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i], _ = v.(string)
	}
	return strings.Join(parts, sep)
}

func fnFormatBase(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	value := roundHalfEven(a[0].(float64), 0)
	radix := 10.0
	if r, ok := argAt(a, 1).(float64); ok {
		radix = roundHalfEven(r, 0)
	}
	if radix < 2 || radix > 36 {
		throw(&Error{Code: "D3100", Value: radix})
	}
	if math.Abs(value) < 1<<62 {
		return strconv.FormatInt(int64(value), int(radix))
	}
	return formatNumberJS(value)
}

var (
	reNumberDecimal = lazyRegexp(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
	reNumberPrefix  = lazyRegexp(`^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$`)
)

func fnNumber(c *call, a []any) any {
	switch x := a[0].(type) {
	case nil:
		return nil
	case float64:
		return x
	case bool:
		if x {
			return 1.0
		}
		return 0.0
	case string:
		if reNumberDecimal().MatchString(x) {
			f, err := strconv.ParseFloat(x, 64)
			if err == nil && !math.IsInf(f, 0) {
				return f
			}
		} else if reNumberPrefix().MatchString(x) {
			base := 0
			if len(x) > 2 {
				switch x[1] {
				case 'x', 'X':
					base = 16
				case 'o', 'O':
					base = 8
				case 'b', 'B':
					base = 2
				}
			}
			if base != 0 {
				if n, err := strconv.ParseUint(x[2:], base, 64); err == nil {
					return float64(n)
				}
			}
			return math.NaN()
		}
	}
	throw(&Error{Code: "D3030", Value: a[0], Index: 1})
	return nil
}

// roundHalfEven is $round.
func roundHalfEven(arg, precision float64) float64 {
	if precision != 0 {
		arg = shiftDecimal(arg, precision)
	}
	result := math.Floor(arg + 0.5)
	diff := result - arg
	if math.Abs(diff) == 0.5 && math.Abs(math.Mod(result, 2)) == 1 {
		result--
	}
	if precision != 0 {
		result = shiftDecimal(result, -precision)
	}
	if result == 0 {
		result = 0 // no negative zero in JSON
	}
	return result
}

// shiftDecimal multiplies by 10^p through the decimal string, as $round
// does to avoid binary rounding errors.
func shiftDecimal(x, p float64) float64 {
	s := formatNumberJS(x)
	mant, exp, hasExp := strings.Cut(s, "e")
	e := 0.0
	if hasExp {
		n, _ := strconv.Atoi(exp)
		e = float64(n)
	}
	f, err := strconv.ParseFloat(mant+"e"+formatNumberJS(e+p), 64)
	if err != nil {
		return x * math.Pow(10, p)
	}
	return f
}

func fnRound(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	p, _ := argAt(a, 1).(float64)
	return roundHalfEven(a[0].(float64), p)
}

func fnSqrt(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	x := a[0].(float64)
	if x < 0 {
		throw(&Error{Code: "D3060", Value: x, Index: 1})
	}
	return math.Sqrt(x)
}

func fnPower(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	base, exp := a[0].(float64), argNumber(a, 1)
	r := math.Pow(base, exp)
	if math.IsInf(r, 0) || math.IsNaN(r) {
		throw(&Error{Code: "D3061", Value: base, exp: exp, Index: 1})
	}
	return r
}

func fnBoolean(c *call, a []any) any {
	b, ok := toBool(a[0])
	if !ok {
		return nil
	}
	return b
}

func fnNot(c *call, a []any) any {
	b, ok := toBool(a[0])
	if !ok {
		return nil
	}
	return !b
}

func hofArgs(fn any, v, key, whole any) []any {
	args := []any{v}
	n := arity(fn)
	if n >= 2 {
		args = append(args, key)
	}
	if n >= 3 {
		args = append(args, whole)
	}
	return args
}

func fnMap(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	result := newSeq()
	for i, v := range arr.vals {
		res := c.ev.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, c.env, "", -1)
		if res != nil {
			result.push(res)
		}
	}
	return result
}

func fnFilter(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	result := newSeq()
	for i, v := range arr.vals {
		res := c.ev.apply(a[1], hofArgs(a[1], v, float64(i), arr), nil, c.env, "", -1)
		if truthy(res) {
			result.push(v)
		}
	}
	return result
}

func fnSingle(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	found := false
	var result any
	for i, v := range arr.vals {
		positive := true
		if fn := argAt(a, 1); fn != nil {
			positive = truthy(c.ev.apply(fn, hofArgs(fn, v, float64(i), arr), nil, c.env, "", -1))
		}
		if positive {
			if found {
				throw(&Error{Code: "D3138", Index: i})
			}
			result = v
			found = true
		}
	}
	if !found {
		throw(&Error{Code: "D3139"})
	}
	return result
}

func fnZip(c *call, a []any) any {
	result := &array{vals: []any{}}
	if len(a) == 0 {
		return result
	}
	length := math.MaxInt
	for _, x := range a {
		if arr, ok := x.(*array); ok {
			length = min(length, len(arr.vals))
		} else {
			length = 0
		}
	}
	for i := 0; i < length; i++ {
		t := make([]any, len(a))
		for j, x := range a {
			t[j] = x.(*array).vals[i]
		}
		result.push(&array{vals: t})
	}
	return result
}

func fnReduce(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	seq := a[0].(*array)
	fn := a[1]
	n := arity(fn)
	if n < 2 {
		throw(&Error{Code: "D3050", Index: 1})
	}
	var result any
	index := 0
	init := argAt(a, 2)
	if init == nil && len(seq.vals) > 0 {
		result = seq.vals[0]
		index = 1
	} else {
		result = init
	}
	for index < len(seq.vals) {
		args := []any{result, seq.vals[index]}
		if n >= 3 {
			args = append(args, float64(index))
		}
		if n >= 4 {
			args = append(args, seq)
		}
		result = c.ev.apply(fn, args, nil, c.env, "", -1)
		index++
	}
	return result
}

func fnSift(c *call, a []any) any {
	obj := a[0]
	if !isObject(obj) {
		return nil
	}
	fn := argAt(a, 1)
	result := newObject(0)
	for _, k := range objKeys(obj) {
		v, _ := objGet(obj, k)
		if truthy(c.ev.apply(fn, hofArgs(fn, v, k, obj), nil, c.env, "", -1)) {
			result.set(k, v)
		}
	}
	if len(result.keys) == 0 {
		return nil
	}
	return result
}

func fnKeys(c *call, a []any) any {
	return keysOf(a[0])
}

func keysOf(v any) *array {
	result := newSeq()
	if arr, ok := v.(*array); ok {
		merged := newObject(0)
		for _, item := range arr.vals {
			for _, k := range keysOf(item).vals {
				merged.set(k.(string), true)
			}
		}
		for _, k := range merged.orderedKeys() {
			result.push(k)
		}
		return result
	}
	if isObject(v) {
		for _, k := range objKeys(v) {
			result.push(k)
		}
	}
	return result
}

func fnSpread(c *call, a []any) any {
	return spread(a[0])
}

func spread(v any) any {
	if arr, ok := v.(*array); ok {
		if len(arr.vals) == 0 {
			return newSeq()
		}
		// fold fn.append over the spread items, without the quadratic copying
		out := make([]any, 0, len(arr.vals))
		for _, item := range arr.vals {
			switch s := spread(item).(type) {
			case nil:
			case *array:
				out = append(out, s.vals...)
			default:
				out = append(out, s)
			}
		}
		return &array{vals: out}
	}
	if isObject(v) {
		result := newSeq()
		for _, k := range objKeys(v) {
			val, _ := objGet(v, k)
			o := newObject(1)
			o.set(k, val)
			result.push(o)
		}
		return result
	}
	return v
}

func fnMerge(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	result := newObject(0)
	for _, obj := range a[0].(*array).vals {
		for _, k := range objKeys(obj) {
			v, _ := objGet(obj, k)
			result.set(k, v)
		}
	}
	return result
}

func fnReverse(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	if len(arr.vals) <= 1 {
		return arr
	}
	out := make([]any, len(arr.vals))
	for i, v := range arr.vals {
		out[len(out)-1-i] = v
	}
	return &array{vals: out}
}

func fnEach(c *call, a []any) any {
	result := newSeq()
	obj := a[0]
	for _, k := range objKeys(obj) {
		v, _ := objGet(obj, k)
		res := c.ev.apply(a[1], hofArgs(a[1], v, k, obj), nil, c.env, "", -1)
		if res != nil {
			result.push(res)
		}
	}
	return result
}

func fnError(c *call, a []any) any {
	msg, _ := argAt(a, 0).(string)
	if msg == "" {
		msg = "$error() function evaluated"
	}
	throw(&Error{Code: "D3137", fn: msg})
	return nil
}

func fnAssert(c *call, a []any) any {
	if b, _ := a[0].(bool); !b {
		msg, _ := argAt(a, 1).(string)
		if msg == "" {
			msg = "$assert() statement failed"
		}
		throw(&Error{Code: "D3141", fn: msg})
	}
	return nil
}

func fnType(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	return typeOf(a[0])
}

// jsTruthy is JavaScript's truthiness, used for sort comparator results.
func jsTruthy(v any) bool {
	switch x := v.(type) {
	case nil, nullValue:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

func fnSort(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	if len(arr.vals) <= 1 {
		return arr
	}
	var swap func(x, y any) bool
	if fn := argAt(a, 1); fn == nil {
		if !isArrayOfNumbers(arr) && !isArrayOfStrings(arr) {
			throw(&Error{Code: "D3070", Index: 1})
		}
		swap = func(x, y any) bool {
			c.ev.work(16)
			if xs, ok := x.(string); ok {
				return expr.CompareUTF16(xs, y.(string)) > 0
			}
			return x.(float64) > y.(float64)
		}
	} else {
		swap = func(x, y any) bool {
			return jsTruthy(c.ev.apply(fn, []any{x, y}, nil, c.env, "", -1))
		}
	}
	return &array{vals: mergeSort(arr.vals, swap)}
}

func fnShuffle(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	if len(arr.vals) <= 1 {
		return arr
	}
	out := make([]any, len(arr.vals))
	for i, v := range arr.vals {
		j := int(math.Floor(c.ev.random() * float64(i+1)))
		if i != j {
			out[i] = out[j]
		}
		out[j] = v
	}
	return &array{vals: out}
}

func fnDistinct(c *call, a []any) any {
	arr, ok := a[0].(*array)
	if !ok || len(arr.vals) <= 1 {
		return a[0]
	}
	results := &array{sequence: arr.sequence}
	for _, v := range arr.vals {
		dup := false
		c.ev.work(len(results.vals))
		for _, r := range results.vals {
			if deepEqual(v, r) {
				dup = true
				break
			}
		}
		if !dup {
			results.push(v)
		}
	}
	return results
}

func fnBase64Encode(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	units := toUTF16(a[0].(string))
	bs := make([]byte, len(units))
	for i, u := range units {
		bs[i] = byte(u)
	}
	return base64.StdEncoding.EncodeToString(bs)
}

func fnBase64Decode(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	var clean strings.Builder
	for _, r := range a[0].(string) {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '+', r == '/':
			clean.WriteRune(r)
		case r == '-':
			clean.WriteByte('+')
		case r == '_':
			clean.WriteByte('/')
		case r == '=':
			goto done
		}
	}
done:
	s := clean.String()
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	bs, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	rs := make([]rune, len(bs))
	for i, b := range bs {
		rs[i] = rune(b)
	}
	return string(rs)
}

const (
	encodeURIComponentSet = "-_.!~*'()"
	encodeURISet          = "-_.!~*'();/?:@&=+$,#"
)

func urlFn(name, unreserved string) func(c *call, a []any) any {
	return func(c *call, a []any) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		var b strings.Builder
		for i := 0; i < len(s); {
			ch := s[i]
			if isAlnum(ch) || (ch < utf8.RuneSelf && strings.IndexByte(unreserved, ch) >= 0) {
				b.WriteByte(ch)
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				throw(&Error{Code: "D3140", Value: s, fn: name})
			}
			for j := 0; j < size; j++ {
				b.WriteString("%" + strings.ToUpper(hex2(s[i+j])))
			}
			i += size
		}
		return b.String()
	}
}

func decodeFn(name, reserved string) func(c *call, a []any) any {
	return func(c *call, a []any) any {
		if a[0] == nil {
			return nil
		}
		s := a[0].(string)
		bad := func() { throw(&Error{Code: "D3140", Value: s, fn: name}) }
		var b strings.Builder
		for i := 0; i < len(s); {
			if s[i] != '%' {
				b.WriteByte(s[i])
				i++
				continue
			}
			readByte := func(at int) byte {
				if at+3 > len(s) || s[at] != '%' || !isHexDigits(s[at+1:at+3]) {
					bad()
				}
				v, _ := strconv.ParseUint(s[at+1:at+3], 16, 8)
				return byte(v)
			}
			first := readByte(i)
			if first < 0x80 {
				if strings.IndexByte(reserved, first) >= 0 {
					b.WriteString(s[i : i+3])
				} else {
					b.WriteByte(first)
				}
				i += 3
				continue
			}
			n := 0
			switch {
			case first&0xE0 == 0xC0:
				n = 2
			case first&0xF0 == 0xE0:
				n = 3
			case first&0xF8 == 0xF0:
				n = 4
			default:
				bad()
			}
			buf := []byte{first}
			for k := 1; k < n; k++ {
				buf = append(buf, readByte(i+3*k))
			}
			r, size := utf8.DecodeRune(buf)
			if r == utf8.RuneError || size != n {
				bad()
			}
			b.Write(buf)
			i += 3 * n
		}
		return b.String()
	}
}

func fnEval(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	if c.ev.opts != nil && c.ev.opts.DisableEval {
		throw(&Error{Code: "D3155", Token: "eval", hasToken: true})
	}
	input := c.input
	if len(a) > 1 && a[1] != nil {
		input = a[1]
		if arr, ok := input.(*array); ok && !arr.sequence {
			input = &array{vals: []any{arr}, sequence: true, outerWrapper: true}
		}
	}
	ast, err := parse(a[0].(string))
	if err != nil {
		throw(&Error{Code: "D3120", Value: err.(*Error).Message})
	}
	var result any
	mark, depth := len(c.ev.sites), c.ev.depth
	func() {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(*Error); ok {
					c.ev.decorateError(e, mark)
					c.ev.depth = depth
					e.populate()
					throw(&Error{Code: "D3121", Value: e.Message})
				}
				panic(r)
			}
		}()
		result = c.ev.evaluate(ast, input, c.env)
	}()
	return result
}

func fnClone(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	s := functionString(a[0], false)
	v, err := parseJSON(s)
	if err != nil {
		throw(&Error{Code: "U0000", fn: "clone: " + err.Error()})
	}
	return v
}
