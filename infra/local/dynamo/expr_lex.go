package dynamo

import (
	"strings"
)

// token kinds of the expression language.
const (
	tokEOF    = iota
	tokIdent  // attribute name or keyword or function name
	tokName   // #alias
	tokValue  // :value
	tokNumber // list index
	tokPunct  // ( ) [ ] , . = <> < <= > >= + -
)

type token struct {
	kind int
	text string
	pos  int
}

// lex splits an expression into tokens.
func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':':
			j := i + 1
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, syntaxError(s, i)
			}
			kind := tokName
			if c == ':' {
				kind = tokValue
			}
			out = append(out, token{kind, s[i:j], i})
			i = j
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			out = append(out, token{tokNumber, s[i:j], i})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, token{tokIdent, s[i:j], i})
			i = j
		case c == '<' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '='), c == '>' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{tokPunct, s[i : i+2], i})
			i += 2
		case strings.IndexByte("()[],.=<>+-", c) >= 0:
			out = append(out, token{tokPunct, s[i : i+1], i})
			i++
		default:
			return nil, syntaxError(s, i)
		}
	}
	return append(out, token{kind: tokEOF, pos: len(s)}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func syntaxError(s string, pos int) error {
	near := s[pos:]
	if len(near) > 20 {
		near = near[:20]
	}
	return validation("Invalid expression: Syntax error; token: %q, near: %q", tokenAt(s, pos), near)
}

func tokenAt(s string, pos int) string {
	if pos >= len(s) {
		return "<EOF>"
	}
	return s[pos : pos+1]
}
