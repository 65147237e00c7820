package jsonata

import (
	"regexp"
	"strings"
	"sync"
)

// signature is a parsed function signature such as <s-nn?:s>, validated
// with a regular expression over one letter per argument, as signature.js
// does.
type signature struct {
	definition string
	params     []sigParam
	regex      *regexp.Regexp
}

type sigParam struct {
	regex        string
	typ          string
	array        bool
	context      bool
	contextRegex *regexp.Regexp
	subtype      string
}

var arraySignatureMapping = map[string]string{
	"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings",
}

var sigCache sync.Map // string -> *signature

// parseSignature parses a signature; errors carry the offset in Position.
func parseSignature(sig string) (*signature, *Error) {
	if s, ok := sigCache.Load(sig); ok {
		return s.(*signature), nil
	}
	position := 1
	var params []*sigParam
	param := &sigParam{}
	prevParam := param
	next := func() {
		params = append(params, param)
		prevParam = param
		param = &sigParam{}
	}
	findClosing := func(start int, open, close byte) int {
		depth := 1
		pos := start
		for pos < len(sig) {
			pos++
			if pos >= len(sig) {
				break
			}
			c := sig[pos]
			if c == close {
				depth--
				if depth == 0 {
					break
				}
			} else if c == open {
				depth++
			}
		}
		return pos
	}
	for position < len(sig) {
		c := sig[position]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			param.array = true
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			prevParam.context = true
			prevParam.contextRegex = regexp.MustCompile(prevParam.regex)
			prevParam.regex += "?"
		case '?', '+':
			prevParam.regex += string(c)
		case '(':
			end := findClosing(position, '(', ')')
			if end > len(sig) {
				end = len(sig)
			}
			choice := sig[position+1 : min(end, len(sig))]
			if strings.Contains(choice, "<") {
				return nil, &Error{Code: "S0402", Value: choice, Position: position}
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			position = end
			next()
		case '<':
			if prevParam.typ == "a" || prevParam.typ == "f" {
				end := findClosing(position, '<', '>')
				if end > len(sig) {
					end = len(sig)
				}
				prevParam.subtype = sig[position+1 : min(end, len(sig))]
				position = end
			} else {
				return nil, &Error{Code: "S0401", Value: prevParam.typ, Position: position}
			}
		}
		position++
	}
	var b strings.Builder
	b.WriteString("^")
	for _, p := range params {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &Error{Code: "S0401", Value: sig, Position: 0}
	}
	s := &signature{definition: sig, regex: re}
	for _, p := range params {
		s.params = append(s.params, *p)
	}
	sigCache.Store(sig, s)
	return s, nil
}

func mustSignature(sig string) *signature {
	s, err := parseSignature(sig)
	if err != nil {
		panic("jsonata: bad built-in signature " + sig)
	}
	return s
}

func sigSymbol(v any) byte {
	switch v.(type) {
	case nil:
		return 'm'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nullValue:
		return 'l'
	case *array:
		return 'a'
	case *lambda, *builtin, *regexValue:
		return 'f'
	}
	return 'o'
}

func (s *signature) throwValidationError(args []any, supplied string) {
	partial := "^"
	goodTo := 0
	for _, p := range s.params {
		partial += p.regex
		re, err := regexp.Compile(partial)
		var loc []int
		if err == nil {
			loc = re.FindStringIndex(supplied)
		}
		if loc == nil {
			throw(&Error{Code: "T0410", Value: argAt(args, goodTo), Index: goodTo + 1})
		}
		goodTo = loc[1]
	}
	throw(&Error{Code: "T0410", Value: argAt(args, goodTo), Index: goodTo + 1})
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

// validate checks args against the signature and returns them with the
// context value inserted and single values wrapped into arrays where the
// signature asks for arrays.
func (s *signature) validate(args []any, context any) []any {
	var sb strings.Builder
	for _, a := range args {
		sb.WriteByte(sigSymbol(a))
	}
	supplied := sb.String()
	m := s.regex.FindStringSubmatch(supplied)
	if m == nil {
		s.throwValidationError(args, supplied)
	}
	validated := make([]any, 0, len(s.params))
	argIndex := 0
	for i, p := range s.params {
		match := m[i+1]
		if match == "" {
			if p.context && p.contextRegex != nil {
				ct := string(sigSymbol(context))
				if p.contextRegex.MatchString(ct) {
					validated = append(validated, context)
				} else {
					throw(&Error{Code: "T0411", Value: context, Index: argIndex + 1})
				}
			} else {
				validated = append(validated, argAt(args, argIndex))
				argIndex++
			}
			continue
		}
		for _, single := range []byte(match) {
			arg := argAt(args, argIndex)
			if p.typ == "a" {
				if single == 'm' {
					arg = nil
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							a := arg.(*array)
							if len(a.vals) > 0 {
								itemType := sigSymbol(a.vals[0])
								if itemType != p.subtype[0] {
									ok = false
								} else {
									for _, v := range a.vals {
										if sigSymbol(v) != itemType {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						throw(&Error{Code: "T0412", Value: arg, Index: argIndex + 1, typ: arraySignatureMapping[p.subtype]})
					}
					if single != 'a' {
						arg = &array{vals: []any{arg}}
					}
				}
			}
			validated = append(validated, arg)
			argIndex++
		}
	}
	return validated
}
