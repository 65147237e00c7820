package eventpattern

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// maxDepth bounds the nesting of pattern and event JSON so that hostile
// input cannot exhaust the stack.
const maxDepth = 1000

type nodeKind uint8

const (
	nodeObject nodeKind = iota + 1
	nodeArray
	nodeString
	nodeNumber
	nodeTrue
	nodeFalse
	nodeNull
)

// node is one JSON value of a pattern. Objects keep their members in text
// order, duplicates included, because EventBridge reads patterns as a token
// stream and a later duplicate key overrides an earlier one.
type node struct {
	kind    nodeKind
	text    string // string value, or number literal as written
	members []member
	items   []*node
}

type member struct {
	name  string
	value *node
}

// tokenText is what Jackson's getText returns for the first token of n; AWS
// quotes it in some messages.
func (n *node) tokenText() string {
	switch n.kind {
	case nodeObject:
		return "{"
	case nodeArray:
		return "["
	case nodeTrue:
		return "true"
	case nodeFalse:
		return "false"
	case nodeNull:
		return "null"
	}
	return n.text
}

// lexer holds the scanning primitives shared by the pattern parser and the
// event scanner.
type lexer struct {
	data []byte
	pos  int
}

func (l *lexer) skipWS() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", l.pos, fmt.Sprintf(format, args...))
}

func (l *lexer) unexpected(expecting string) error {
	if l.pos >= len(l.data) {
		return l.errorf("unexpected end of input: expected %s", expecting)
	}
	r, _ := utf8.DecodeRune(l.data[l.pos:])
	return l.errorf("unexpected character (%q (code %d)): expected %s", r, r, expecting)
}

// expectLiteral consumes one of true, false or null.
func (l *lexer) expectLiteral(lit string) error {
	if len(l.data)-l.pos < len(lit) || string(l.data[l.pos:l.pos+len(lit)]) != lit {
		return l.unexpected("a JSON value")
	}
	l.pos += len(lit)
	return nil
}

// scanString consumes a JSON string starting at the opening quote and
// returns its decoded value. Strings without escapes are returned without
// copying the decoding work to encoding/json.
func (l *lexer) scanString() (string, error) {
	start := l.pos
	l.pos++ // opening quote
	escaped := false
	for {
		if l.pos >= len(l.data) {
			return "", l.errorf("unterminated string")
		}
		c := l.data[l.pos]
		switch {
		case c == '"':
			l.pos++
			raw := l.data[start:l.pos]
			if !escaped {
				if !utf8.Valid(raw) {
					return string(decodeLossy(raw[1 : len(raw)-1])), nil
				}
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("at offset %d: invalid string: %w", start, err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			if l.pos+1 >= len(l.data) {
				return "", l.errorf("unterminated string")
			}
			switch l.data[l.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.pos += 2
			case 'u':
				if l.pos+6 > len(l.data) || !isHex4(l.data[l.pos+2:l.pos+6]) {
					return "", l.errorf("invalid unicode escape")
				}
				l.pos += 6
			default:
				return "", l.errorf("invalid escape character %q", l.data[l.pos+1])
			}
		case c < 0x20:
			return "", l.errorf("control character (code %d) in string", c)
		default:
			l.pos++
		}
	}
}

// decodeLossy replaces invalid UTF-8 the way encoding/json does.
func decodeLossy(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r)
		b = b[size:]
	}
	return out
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber consumes a number that follows the JSON grammar and returns
// its literal text.
func (l *lexer) scanNumber() (string, error) {
	start := l.pos
	d := l.data
	if l.pos < len(d) && d[l.pos] == '-' {
		l.pos++
	}
	switch {
	case l.pos < len(d) && d[l.pos] == '0':
		l.pos++
	case l.pos < len(d) && '1' <= d[l.pos] && d[l.pos] <= '9':
		for l.pos < len(d) && '0' <= d[l.pos] && d[l.pos] <= '9' {
			l.pos++
		}
	default:
		return "", l.unexpected("a digit")
	}
	if l.pos < len(d) && d[l.pos] == '.' {
		l.pos++
		if l.pos >= len(d) || d[l.pos] < '0' || d[l.pos] > '9' {
			return "", l.unexpected("a digit after the decimal point")
		}
		for l.pos < len(d) && '0' <= d[l.pos] && d[l.pos] <= '9' {
			l.pos++
		}
	}
	if l.pos < len(d) && (d[l.pos] == 'e' || d[l.pos] == 'E') {
		l.pos++
		if l.pos < len(d) && (d[l.pos] == '+' || d[l.pos] == '-') {
			l.pos++
		}
		if l.pos >= len(d) || d[l.pos] < '0' || d[l.pos] > '9' {
			return "", l.unexpected("a digit in the exponent")
		}
		for l.pos < len(d) && '0' <= d[l.pos] && d[l.pos] <= '9' {
			l.pos++
		}
	}
	return string(d[start:l.pos]), nil
}

// parseDocument parses pattern text into a tree, rejecting trailing data.
func parseDocument(data []byte) (*node, error) {
	l := &lexer{data: data}
	n, err := l.parseValue(0)
	if err != nil {
		return nil, err
	}
	l.skipWS()
	if l.pos != len(l.data) {
		return nil, l.unexpected("end of input")
	}
	return n, nil
}

func (l *lexer) parseValue(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, l.errorf("nesting deeper than %d levels", maxDepth)
	}
	l.skipWS()
	if l.pos >= len(l.data) {
		return nil, l.unexpected("a JSON value")
	}
	switch c := l.data[l.pos]; {
	case c == '{':
		l.pos++
		n := &node{kind: nodeObject}
		l.skipWS()
		if l.pos < len(l.data) && l.data[l.pos] == '}' {
			l.pos++
			return n, nil
		}
		for {
			l.skipWS()
			if l.pos >= len(l.data) || l.data[l.pos] != '"' {
				return nil, l.unexpected("double-quote to start field name")
			}
			name, err := l.scanString()
			if err != nil {
				return nil, err
			}
			l.skipWS()
			if l.pos >= len(l.data) || l.data[l.pos] != ':' {
				return nil, l.unexpected("a colon to separate field name and value")
			}
			l.pos++
			v, err := l.parseValue(depth + 1)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{name: name, value: v})
			l.skipWS()
			if l.pos < len(l.data) && l.data[l.pos] == ',' {
				l.pos++
				continue
			}
			if l.pos < len(l.data) && l.data[l.pos] == '}' {
				l.pos++
				return n, nil
			}
			return nil, l.unexpected("comma or '}' in object")
		}
	case c == '[':
		l.pos++
		n := &node{kind: nodeArray}
		l.skipWS()
		if l.pos < len(l.data) && l.data[l.pos] == ']' {
			l.pos++
			return n, nil
		}
		for {
			v, err := l.parseValue(depth + 1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
			l.skipWS()
			if l.pos < len(l.data) && l.data[l.pos] == ',' {
				l.pos++
				continue
			}
			if l.pos < len(l.data) && l.data[l.pos] == ']' {
				l.pos++
				return n, nil
			}
			return nil, l.unexpected("comma or ']' in array")
		}
	case c == '"':
		s, err := l.scanString()
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeString, text: s}, nil
	case c == '-' || '0' <= c && c <= '9':
		s, err := l.scanNumber()
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeNumber, text: s}, nil
	case c == 't':
		return &node{kind: nodeTrue}, l.expectLiteral("true")
	case c == 'f':
		return &node{kind: nodeFalse}, l.expectLiteral("false")
	case c == 'n':
		return &node{kind: nodeNull}, l.expectLiteral("null")
	}
	return nil, l.unexpected("a JSON value")
}

// skipValue validates and skips one JSON value of an event.
func (l *lexer) skipValue(depth int) error {
	if depth > maxDepth {
		return l.errorf("nesting deeper than %d levels", maxDepth)
	}
	l.skipWS()
	if l.pos >= len(l.data) {
		return l.unexpected("a JSON value")
	}
	switch c := l.data[l.pos]; {
	case c == '{':
		l.pos++
		l.skipWS()
		if l.pos < len(l.data) && l.data[l.pos] == '}' {
			l.pos++
			return nil
		}
		for {
			l.skipWS()
			if l.pos >= len(l.data) || l.data[l.pos] != '"' {
				return l.unexpected("double-quote to start field name")
			}
			if err := l.skipString(); err != nil {
				return err
			}
			l.skipWS()
			if l.pos >= len(l.data) || l.data[l.pos] != ':' {
				return l.unexpected("a colon to separate field name and value")
			}
			l.pos++
			if err := l.skipValue(depth + 1); err != nil {
				return err
			}
			l.skipWS()
			if l.pos < len(l.data) && l.data[l.pos] == ',' {
				l.pos++
				continue
			}
			if l.pos < len(l.data) && l.data[l.pos] == '}' {
				l.pos++
				return nil
			}
			return l.unexpected("comma or '}' in object")
		}
	case c == '[':
		l.pos++
		l.skipWS()
		if l.pos < len(l.data) && l.data[l.pos] == ']' {
			l.pos++
			return nil
		}
		for {
			if err := l.skipValue(depth + 1); err != nil {
				return err
			}
			l.skipWS()
			if l.pos < len(l.data) && l.data[l.pos] == ',' {
				l.pos++
				continue
			}
			if l.pos < len(l.data) && l.data[l.pos] == ']' {
				l.pos++
				return nil
			}
			return l.unexpected("comma or ']' in array")
		}
	case c == '"':
		return l.skipString()
	case c == '-' || '0' <= c && c <= '9':
		_, err := l.scanNumber()
		return err
	case c == 't':
		return l.expectLiteral("true")
	case c == 'f':
		return l.expectLiteral("false")
	case c == 'n':
		return l.expectLiteral("null")
	}
	return l.unexpected("a JSON value")
}

// skipString validates a string without decoding it.
func (l *lexer) skipString() error {
	l.pos++
	for {
		if l.pos >= len(l.data) {
			return l.errorf("unterminated string")
		}
		c := l.data[l.pos]
		switch {
		case c == '"':
			l.pos++
			return nil
		case c == '\\':
			if l.pos+1 >= len(l.data) {
				return l.errorf("unterminated string")
			}
			switch l.data[l.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.pos += 2
			case 'u':
				if l.pos+6 > len(l.data) || !isHex4(l.data[l.pos+2:l.pos+6]) {
					return l.errorf("invalid unicode escape")
				}
				l.pos += 6
			default:
				return l.errorf("invalid escape character %q", l.data[l.pos+1])
			}
		case c < 0x20:
			return l.errorf("control character (code %d) in string", c)
		default:
			l.pos++
		}
	}
}
