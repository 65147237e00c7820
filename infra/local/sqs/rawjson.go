package sqs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// rawProblem is a string of a JSON request that decoding would silently
// change: Go's decoder turns each byte that is not UTF-8, and each escaped
// lone surrogate ("\ud800"), into U+FFFD. Stored so, a message would not be
// what was sent, nor match the MD5 its sender computed.
type rawProblem struct {
	// path names the string: "MessageBody", "Entries[1].MessageBody",
	// "MessageAttributes.color.StringValue"; for a member name, the object.
	path string
	key  bool // the string is a member name of the object at path
	// badByte is the first byte that is not UTF-8 (when surrogate is 0).
	badByte byte
	// surrogate is the escaped lone surrogate, if that is the problem.
	surrogate rune
}

// what says what is wrong with the string.
func (p rawProblem) what() string {
	if p.surrogate != 0 {
		return fmt.Sprintf("the escaped lone surrogate \\u%04x, which is not a character", p.surrogate)
	}
	return fmt.Sprintf("byte 0x%02X, which is not part of a UTF-8 encoded character", p.badByte)
}

// checkRawRequest refuses a request whose strings decoding would change
// (see rawProblem), naming the field: a message body or a String attribute
// value is InvalidMessageContents, as SQS answers characters outside
// AllowedCharacters; any other field is InvalidParameterValue. Malformed
// JSON passes: decoding reports it.
func checkRawRequest(body []byte) error {
	p, ok := findRawProblem(body)
	if !ok {
		return nil
	}
	if p.path == "" {
		p.path = "(request)"
	}
	field := p.path
	if i := strings.Index(field, "]."); strings.HasPrefix(field, "Entries[") && i > 0 {
		field = field[i+2:]
	}
	switch {
	case p.key:
		return fail(ErrInvalidParameterValue, "A member name of %s is invalid: it holds %s.", p.path, p.what())
	case field == "MessageBody":
		return contentsError(p, "the message body ("+p.path+")")
	case strings.HasPrefix(field, "MessageAttributes.") && (strings.HasSuffix(field, ".StringValue") || strings.HasSuffix(field, ".DataType")):
		name := strings.TrimPrefix(field[:strings.LastIndexByte(field, '.')], "MessageAttributes.")
		return contentsError(p, "message (user) attribute '"+name+"' ("+p.path+")")
	}
	return fail(ErrInvalidParameterValue, "Value for parameter %s is invalid. Reason: it holds %s.", p.path, p.what())
}

// contentsError is the InvalidMessageContents for p in where: a lone
// surrogate is the character AWS would find, in its words.
func contentsError(p rawProblem, where string) error {
	if p.surrogate != 0 {
		return fail(ErrInvalidMessageContents, "Invalid binary character '#x%X' was found in %s, the set of allowed characters is %s", p.surrogate, where, AllowedCharacters)
	}
	return fail(ErrInvalidMessageContents, "Invalid UTF-8 was found in %s: %s, the set of allowed characters is %s", where, p.what(), AllowedCharacters)
}

// findRawProblem walks the JSON in body and returns the first string,
// value or member name, that decoding would change.
func findRawProblem(body []byte) (rawProblem, bool) {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u`)) {
		return rawProblem{}, false
	}
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []frame
	pathOf := func(frames []frame) string {
		var b strings.Builder
		for _, f := range frames {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return b.String()
	}
	advance := func() {
		if len(stack) == 0 {
			return
		}
		if top := &stack[len(stack)-1]; top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return rawProblem{}, false
		}
		end := dec.InputOffset()
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				advance()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if p, bad := scanRawString(raw); bad {
				if isKey {
					p.path, p.key = pathOf(stack[:len(stack)-1]), true
				} else {
					p.path = pathOf(stack)
				}
				return p, true
			}
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = t, false
			} else {
				advance()
			}
		default:
			advance()
		}
	}
}

// scanRawString looks at the first JSON string literal in raw (the bytes of
// one token, possibly after a delimiter) for a byte that is not UTF-8 or an
// escaped lone surrogate. The decoder has checked its syntax.
func scanRawString(raw []byte) (rawProblem, bool) {
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return rawProblem{}, false
	}
	s := raw[i+1:]
	for j := 0; j < len(s); {
		switch c := s[j]; {
		case c == '"':
			return rawProblem{}, false
		case c == '\\' && j+1 < len(s) && s[j+1] == 'u' && j+6 <= len(s):
			r := hex4(s[j+2 : j+6])
			if !utf16.IsSurrogate(r) {
				j += 6
				continue
			}
			if r < 0xDC00 && j+12 <= len(s) && s[j+6] == '\\' && s[j+7] == 'u' {
				if lo := hex4(s[j+8 : j+12]); lo >= 0xDC00 && lo <= 0xDFFF {
					j += 12
					continue
				}
			}
			return rawProblem{surrogate: r}, true
		case c == '\\':
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(s[j:])
			if r == utf8.RuneError && size == 1 {
				return rawProblem{badByte: c}, true
			}
			j += size
		}
	}
	return rawProblem{}, false
}

func hex4(b []byte) rune {
	n, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(n)
}
