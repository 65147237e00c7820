package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Token types produced by the tokenizer.
const (
	tokOperator = "operator"
	tokName     = "name"
	tokVariable = "variable"
	tokString   = "string"
	tokNumber   = "number"
	tokValue    = "value"
	tokRegex    = "regex"
)

// operatorBP is the table of operators and their binding powers.
var operatorBP = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80,
	"#": 80, ";": 80, ":": 80, "?": 20, "+": 50, "-": 50, "*": 60, "/": 60,
	"%": 60, "|": 20, "=": 40, "<": 40, ">": 40, "^": 40, "**": 60, "..": 20,
	":=": 10, "!=": 40, "<=": 40, ">=": 40, "~>": 40, "?:": 40, "??": 40,
	"and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

var escapes = map[byte]string{
	'"': "\"", '\\': "\\", '/': "/", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t",
}

type token struct {
	typ      string
	value    any // string, float64, bool, nullValue or *regexLiteral
	position int
}

// regexLiteral is a regex token: the JavaScript source and flags, and its
// translation for Go's regexp package.
type regexLiteral struct {
	source string
	flags  string
	re     *regexp.Regexp
}

type lexer struct {
	path   string
	pos    int
	length int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
}

func (l *lexer) at(i int) byte {
	if i < 0 || i >= l.length {
		return 0
	}
	return l.path[i]
}

func (l *lexer) scanRegex() *regexLiteral {
	start := l.pos
	depth := 0
	isClosingSlash := func(p int) bool {
		if l.at(p) == '/' && depth == 0 {
			n := 0
			for l.at(p-(n+1)) == '\\' {
				n++
			}
			return n%2 == 0
		}
		return false
	}
	for l.pos < l.length {
		c := l.path[l.pos]
		if isClosingSlash(l.pos) {
			pattern := l.path[start:l.pos]
			if pattern == "" {
				throw(&Error{Code: "S0301", Position: l.pos, hasPos: true})
			}
			l.pos++
			fstart := l.pos
			for l.at(l.pos) == 'i' || l.at(l.pos) == 'm' {
				l.pos++
			}
			flags := l.path[fstart:l.pos] + "g"
			re, err := translateRegex(pattern, flags)
			if err != nil {
				throw(&Error{Code: "S0303", Position: l.pos, hasPos: true, Value: pattern})
			}
			return &regexLiteral{source: pattern, flags: flags, re: re}
		}
		if (c == '(' || c == '[' || c == '{') && l.at(l.pos-1) != '\\' {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && l.at(l.pos-1) != '\\' {
			depth--
		}
		l.pos++
	}
	throw(&Error{Code: "S0302", Position: l.pos, hasPos: true})
	return nil
}

var numRegex = lazyRegexp(`^-?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?`)

// next returns the next token, or nil at the end. When prefix is set a '/'
// is the division operator, not the start of a regex.
func (l *lexer) next(prefix bool) *token {
	for {
		if l.pos >= l.length {
			return nil
		}
		for l.pos < l.length && isSpace(l.path[l.pos]) {
			l.pos++
		}
		if l.at(l.pos) == '/' && l.at(l.pos+1) == '*' {
			commentStart := l.pos
			l.pos += 2
			for l.at(l.pos) != '*' || l.at(l.pos+1) != '/' {
				l.pos++
				if l.pos >= l.length {
					throw(&Error{Code: "S0106", Position: commentStart, hasPos: true})
				}
			}
			l.pos += 2
			continue
		}
		break
	}
	if l.pos >= l.length {
		return nil
	}
	create := func(typ string, v any) *token { return &token{typ: typ, value: v, position: l.pos} }
	c := l.path[l.pos]
	if !prefix && c == '/' {
		l.pos++
		return create(tokRegex, l.scanRegex())
	}
	two := ""
	if l.pos+1 < l.length {
		two = l.path[l.pos : l.pos+2]
	}
	switch two {
	case "..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??":
		l.pos += 2
		return create(tokOperator, two)
	}
	if _, ok := operatorBP[string(c)]; ok && len(string(c)) == 1 && c < 0x80 {
		l.pos++
		return create(tokOperator, string(c))
	}
	if c == '"' || c == '\'' {
		quote := c
		l.pos++
		var qstr strings.Builder
		var pendingHigh rune
		flushHigh := func() {
			if pendingHigh != 0 {
				writeWTF8(&qstr, pendingHigh)
				pendingHigh = 0
			}
		}
		for l.pos < l.length {
			c = l.path[l.pos]
			switch c {
			case '\\':
				l.pos++
				c = l.at(l.pos)
				if e, ok := escapes[c]; ok && l.pos < l.length {
					flushHigh()
					qstr.WriteString(e)
				} else if c == 'u' {
					octets := ""
					if l.pos+5 <= l.length {
						octets = l.path[l.pos+1 : l.pos+5]
					} else if l.pos+1 < l.length {
						octets = l.path[l.pos+1:]
					}
					if octets != "" && isHexDigits(octets) {
						cp, _ := strconv.ParseUint(octets, 16, 32)
						r := rune(cp)
						switch {
						case utf16.IsSurrogate(r) && r < 0xDC00:
							flushHigh()
							pendingHigh = r
						case utf16.IsSurrogate(r) && pendingHigh != 0:
							qstr.WriteRune(utf16.DecodeRune(pendingHigh, r))
							pendingHigh = 0
						case utf16.IsSurrogate(r):
							flushHigh()
							writeWTF8(&qstr, r)
						default:
							flushHigh()
							qstr.WriteRune(r)
						}
						l.pos += 4
					} else {
						throw(&Error{Code: "S0104", Position: l.pos, hasPos: true})
					}
				} else {
					tok := ""
					if l.pos < l.length {
						tok = string(l.path[l.pos])
					}
					throw(&Error{Code: "S0103", Position: l.pos, hasPos: true, Token: tok, hasToken: true})
				}
			case quote:
				flushHigh()
				l.pos++
				return create(tokString, qstr.String())
			default:
				flushHigh()
				qstr.WriteByte(c)
			}
			l.pos++
		}
		throw(&Error{Code: "S0101", Position: l.pos, hasPos: true})
	}
	if m := numRegex().FindString(l.path[l.pos:]); m != "" {
		f, err := strconv.ParseFloat(m, 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			l.pos += len(m)
			return create(tokNumber, f)
		}
		throw(&Error{Code: "S0102", Position: l.pos, hasPos: true, Token: m, hasToken: true})
	}
	if c == '`' {
		l.pos++
		end := strings.IndexByte(l.path[l.pos:], '`')
		if end != -1 {
			name := l.path[l.pos : l.pos+end]
			l.pos += end + 1
			return create(tokName, name)
		}
		l.pos = l.length
		throw(&Error{Code: "S0105", Position: l.pos, hasPos: true})
	}
	i := l.pos
	for {
		ch := l.at(i)
		_, isOp := operatorBP[string(ch)]
		if i == l.length || isSpace(ch) || (isOp && ch < 0x80) {
			if l.path[l.pos] == '$' {
				name := l.path[l.pos+1 : i]
				l.pos = i
				return create(tokVariable, name)
			}
			name := l.path[l.pos:i]
			l.pos = i
			switch name {
			case "or", "in", "and":
				return create(tokOperator, name)
			case "true":
				return create(tokValue, true)
			case "false":
				return create(tokValue, false)
			case "null":
				return create(tokValue, null)
			}
			if l.pos == l.length && name == "" {
				return nil
			}
			return create(tokName, name)
		}
		i++
	}
}

func isHexDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return len(s) > 0
}

// writeWTF8 writes a lone surrogate as its 3-byte generalized UTF-8 form
// (WTF-8), so that a string can carry it as a JavaScript string can; such
// bytes are invalid UTF-8, which the URL functions reject (D3140) and
// quoteJSON escapes as \uXXXX.
func writeWTF8(b *strings.Builder, r rune) {
	b.WriteByte(byte(0xE0 | r>>12))
	b.WriteByte(byte(0x80 | (r>>6)&0x3F))
	b.WriteByte(byte(0x80 | r&0x3F))
}
