package jsonata

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// JavaScript regular expressions are translated to Go's RE2 syntax. The
// constructs RE2 lacks (lookaround, backreferences) fail to compile and are
// reported as S0303.

const jsSpaceClass = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// lazyRegexp compiles expr on first use rather than when the package is
// initialised: every process that links the engine pays for its init, few
// evaluate these expressions.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func translateRegex(pattern, flags string) (*regexp.Regexp, error) {
	var b strings.Builder
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	if prefix != "" {
		b.WriteString("(?" + prefix + ")")
	}
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			n := pattern[i+1]
			i++
			switch n {
			case 'u':
				if i+4 < len(pattern) && isHexDigits(pattern[i+1:i+5]) {
					b.WriteString(`\x{` + pattern[i+1:i+5] + `}`)
					i += 4
				} else {
					b.WriteString("u")
				}
			case 's':
				if inClass {
					b.WriteString(jsSpaceClass)
				} else {
					b.WriteString("[" + jsSpaceClass + "]")
				}
			case 'S':
				if inClass {
					b.WriteString(`\S`)
				} else {
					b.WriteString("[^" + jsSpaceClass + "]")
				}
			case 'b':
				if inClass {
					b.WriteString(`\x08`)
				} else {
					b.WriteString(`\b`)
				}
			case '0':
				b.WriteString(`\x00`)
			case 'c':
				if i+1 < len(pattern) {
					b.WriteString(`\x{` + strings.ToUpper(hex2(pattern[i+1]%32)) + `}`)
					i++
				}
			case 'd', 'D', 'w', 'W', 'B', 'x', 'n', 'r', 't', 'f', 'v':
				b.WriteByte('\\')
				b.WriteByte(n)
			default:
				if n < utf8.RuneSelf && !isAlnum(n) {
					b.WriteByte('\\')
					b.WriteByte(n)
				} else if n >= '1' && n <= '9' {
					// backreference: not supported by RE2
					b.WriteByte('\\')
					b.WriteByte(n)
				} else {
					// identity escape of a letter or a multi-byte character
					r, size := utf8.DecodeRuneInString(pattern[i:])
					b.WriteString(regexp.QuoteMeta(string(r)))
					i += size - 1
				}
			}
		case !inClass && c == '[':
			if strings.HasPrefix(pattern[i:], "[^]") {
				b.WriteString(`[\s\S]`)
				i += 2
				continue
			}
			if strings.HasPrefix(pattern[i:], "[]") {
				b.WriteString(`[^\x00-\x{10FFFF}]`)
				i++
				continue
			}
			inClass = true
			b.WriteByte('[')
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			// a ']' first in a JS class closes it (empty class handled above)
		case inClass && c == '[':
			b.WriteString(`\[`)
		case inClass && c == ']':
			inClass = false
			b.WriteByte(']')
		default:
			b.WriteByte(c)
		}
	}
	return regexp.Compile(b.String())
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func toUTF16(s string) []uint16 {
	return utf16.Encode([]rune(s))
}

// byteToUTF16Offset converts a byte offset in s to a UTF-16 code unit
// offset, the unit JavaScript string indexes use.
func byteToUTF16Offset(s string, b int) int {
	if b > len(s) {
		b = len(s)
	}
	if isASCII(s[:b]) {
		return b
	}
	n := 0
	for _, r := range s[:b] {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// utf16ToByteOffset converts a UTF-16 offset to a byte offset in s.
func utf16ToByteOffset(s string, u int) int {
	if u <= 0 {
		return 0
	}
	if isASCII(s) {
		if u > len(s) {
			return len(s)
		}
		return u
	}
	n := 0
	for i, r := range s {
		if n >= u {
			return i
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return len(s)
}

// matchResult is one match produced by a matcher (a regex or a custom
// matcher function), with byte offsets into the subject string.
type matchResult struct {
	match      string
	start, end int
	groups     []any
	next       func() *matchResult
	obj        any // the match as a JSONata object, for replacer functions
}

func submatchGroups(str string, loc []int) []any {
	groups := make([]any, 0, len(loc)/2-1)
	for g := 1; g < len(loc)/2; g++ {
		if loc[2*g] < 0 {
			groups = append(groups, nil)
		} else {
			groups = append(groups, str[loc[2*g]:loc[2*g+1]])
		}
	}
	return groups
}

// regexMatches emulates repeated RegExp.exec with the global flag: the
// first match, then each next one; a zero-length match after the first
// raises D1004 as the reference implementation does.
func regexMatches(rv *regexValue, str string, from int) *matchResult {
	all := rv.lit.re.FindAllStringSubmatchIndex(str, -1)
	k := 0
	for k < len(all) && all[k][0] < from {
		k++
	}
	var build func(k int) *matchResult
	build = func(k int) *matchResult {
		if k >= len(all) {
			return nil
		}
		loc := all[k]
		m := &matchResult{match: str[loc[0]:loc[1]], start: loc[0], end: loc[1], groups: submatchGroups(str, loc)}
		m.next = func() *matchResult {
			if m.end >= len(str) {
				return nil
			}
			if m.start == m.end {
				throw(&Error{Code: "D1004", Position: rv.position, hasPos: true, Value: rv.lit.source})
			}
			n := build(k + 1)
			if n != nil && n.start == n.end {
				throw(&Error{Code: "D1004", Position: rv.position, hasPos: true, Value: rv.lit.source})
			}
			return n
		}
		return m
	}
	return build(k)
}

func matchObject(str string, m *matchResult, withNext bool) *object {
	o := newObject(5)
	o.set("match", m.match)
	o.set("start", float64(byteToUTF16Offset(str, m.start)))
	o.set("end", float64(byteToUTF16Offset(str, m.end)))
	o.set("groups", &array{vals: m.groups})
	if withNext {
		next := m.next
		o.set("next", &builtin{name: "next", arity: 0, fn: func(c *call, args []any) any {
			n := next()
			if n == nil {
				return nil
			}
			return matchObject(str, n, true)
		}})
	}
	return o
}

// regexMatchObject is the result of invoking a regex as a function.
func regexMatchObject(rv *regexValue, str string, from int) any {
	m := regexMatches(rv, str, from)
	if m == nil {
		return nil
	}
	return matchObject(str, m, true)
}

// evaluateMatcher runs a matcher (regex or function) against str.
func (c *call) evaluateMatcher(matcher any, str string) *matchResult {
	if rv, ok := matcher.(*regexValue); ok {
		m := regexMatches(rv, str, 0)
		if m != nil {
			m.obj = matchObject(str, m, false)
			wrapNext(m, str)
		}
		return m
	}
	return c.customMatch(matcher, []any{str}, str)
}

func wrapNext(m *matchResult, str string) {
	inner := m.next
	m.next = func() *matchResult {
		n := inner()
		if n != nil {
			n.obj = matchObject(str, n, false)
			wrapNext(n, str)
		}
		return n
	}
}

func (c *call) customMatch(matcher any, args []any, str string) *matchResult {
	res := c.ev.apply(matcher, args, nil, c.env, "", -1)
	if res == nil {
		return nil
	}
	start, sok := objGetIf(res, "start")
	_, sIsNum := start.(float64)
	groups, _ := objGetIf(res, "groups")
	_, gIsArr := groups.(*array)
	next, _ := objGetIf(res, "next")
	if !sIsNum && !gIsArr && !isFunction(next) {
		throw(&Error{Code: "T1010"})
	}
	_ = sok
	m := &matchResult{obj: res}
	if s, ok := objGetIf(res, "match"); ok {
		m.match, _ = s.(string)
	}
	if f, ok := start.(float64); ok {
		m.start = utf16ToByteOffset(str, int(f))
	}
	if e, ok := objGetIf(res, "end"); ok {
		if f, ok := e.(float64); ok {
			m.end = utf16ToByteOffset(str, int(f))
		}
	} else {
		m.end = m.start + len(m.match)
	}
	if g, ok := groups.(*array); ok {
		m.groups = g.vals
	}
	m.next = func() *matchResult {
		if !isFunction(next) {
			return nil
		}
		return c.customMatch(next, []any{nil}, str)
	}
	return m
}

func objGetIf(v any, k string) (any, bool) {
	if isObject(v) {
		return objGet(v, k)
	}
	return nil, false
}
