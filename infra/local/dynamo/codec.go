package dynamo

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"loanflow/infra/local/internal/jsonstr"
)

// The item codec: DynamoDB JSON written and read without encoding/json's
// reflection. Every write stores an item and most read one, and
// encoding/json paid for each attribute value twice over (a map of raw
// messages per value, the Marshaler's output compacted again). appendItem
// writes what json.Marshal(item) writes, byte for byte; parseStored reads
// what appendItem writes and refuses anything else (whitespace aside), which
// decodeStored then reads the slow way, with its leniencies.

// appendItem appends it as DynamoDB JSON, keys sorted, as json.Marshal would.
func appendItem(b []byte, it Item) ([]byte, error) {
	if it == nil {
		return append(b, "null"...), nil
	}
	return appendMap(b, it)
}

func appendMap(b []byte, m map[string]Value) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, k, true)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue appends v as DynamoDB JSON ({"S":"x"}, {"M":{...}}, ...).
func appendValue(b []byte, v Value) ([]byte, error) {
	switch v.Type {
	case TypeS, TypeN, TypeB, TypeBOOL, TypeNULL, TypeM, TypeL, TypeSS, TypeNS, TypeBS:
	default:
		return nil, errors.New("attribute value has no type")
	}
	b = append(b, `{"`...)
	b = append(b, v.Type...)
	b = append(b, `":`...)
	var err error
	switch v.Type {
	case TypeS, TypeN:
		b = jsonstr.Append(b, v.S, true)
	case TypeB:
		b = appendBytes(b, v.B)
	case TypeBOOL:
		if v.Bool {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
	case TypeNULL:
		b = append(b, "true"...)
	case TypeM:
		if b, err = appendMap(b, v.M); err != nil {
			return nil, err
		}
	case TypeL:
		b = append(b, '[')
		for i, c := range v.L {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, c); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case TypeSS, TypeNS:
		if v.Set == nil {
			b = append(b, "null"...)
			break
		}
		b = append(b, '[')
		for i, s := range v.Set {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstr.Append(b, s, true)
		}
		b = append(b, ']')
	case TypeBS:
		if v.BS == nil {
			b = append(b, "null"...)
			break
		}
		b = append(b, '[')
		for i, x := range v.BS {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendBytes(b, x)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendBytes appends x as encoding/json does: base64 (standard, padded), or
// null for nil.
func appendBytes(b []byte, x []byte) []byte {
	if x == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, x)
	return append(b, '"')
}

// errNotPlain: parseStored met something appendItem does not write.
var errNotPlain = errors.New("not in the item codec's form")

// maxParseDepth bounds parseStored's recursion; deeper items are read by
// encoding/json, which has a limit of its own.
const maxParseDepth = 64

// parseStored reads an item written by appendItem (or json.Marshal).
func parseStored(raw string) (Item, error) {
	p := itemParser{s: raw}
	p.ws()
	m, err := p.object(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, errNotPlain
	}
	return m, nil
}

type itemParser struct {
	s string
	i int
}

func (p *itemParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// lit consumes c (after whitespace).
func (p *itemParser) lit(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word consumes w (after whitespace).
func (p *itemParser) word(w string) bool {
	p.ws()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a JSON string; escaped ones are decoded by encoding/json.
func (p *itemParser) str() (string, error) {
	p.ws()
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", errNotPlain
	}
	start := p.i + 1
	escaped := false
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			p.i = j + 1
			if !escaped {
				s := p.s[start:j]
				if !utf8.ValidString(s) {
					return "", errNotPlain
				}
				return s, nil
			}
			var s string
			if err := json.Unmarshal([]byte(p.s[start-1:j+1]), &s); err != nil {
				return "", errNotPlain
			}
			return s, nil
		case c < 0x20:
			return "", errNotPlain
		}
	}
	return "", errNotPlain
}

// object reads {"name": value, ...}.
func (p *itemParser) object(depth int) (map[string]Value, error) {
	if depth > maxParseDepth || !p.lit('{') {
		return nil, errNotPlain
	}
	m := map[string]Value{}
	if p.lit('}') {
		return m, nil
	}
	for {
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.lit(':') {
			return nil, errNotPlain
		}
		if _, dup := m[k]; dup {
			return nil, errNotPlain
		}
		if m[k], err = p.value(depth + 1); err != nil {
			return nil, err
		}
		if p.lit('}') {
			return m, nil
		}
		if !p.lit(',') {
			return nil, errNotPlain
		}
	}
}

// value reads one attribute value, {"T": body}.
func (p *itemParser) value(depth int) (Value, error) {
	if depth > maxParseDepth || !p.lit('{') {
		return Value{}, errNotPlain
	}
	typ, err := p.str()
	if err != nil {
		return Value{}, err
	}
	if !p.lit(':') {
		return Value{}, errNotPlain
	}
	v := Value{Type: typ}
	switch typ {
	case TypeS:
		v.S, err = p.str()
	case TypeN:
		if v.S, err = p.str(); err == nil {
			v.S = storedNumber(v.S)
		}
	case TypeB:
		v.B, err = p.bytes()
	case TypeBOOL:
		switch {
		case p.word("true"):
			v.Bool = true
		case p.word("false"):
		default:
			err = errNotPlain
		}
	case TypeNULL:
		if !p.word("true") {
			err = errNotPlain
		}
	case TypeM:
		v.M, err = p.object(depth + 1)
	case TypeL:
		v.L = []Value{}
		err = p.array(func() error {
			c, err := p.value(depth + 1)
			v.L = append(v.L, c)
			return err
		})
	case TypeSS, TypeNS:
		v.Set = []string{}
		err = p.array(func() error {
			s, err := p.str()
			if typ == TypeNS {
				s = storedNumber(s)
			}
			v.Set = append(v.Set, s)
			return err
		})
	case TypeBS:
		v.BS = [][]byte{}
		err = p.array(func() error {
			x, err := p.bytes()
			v.BS = append(v.BS, x)
			return err
		})
	default:
		err = errNotPlain
	}
	if err != nil || !p.lit('}') {
		return Value{}, errNotPlain
	}
	return v, nil
}

// array reads [elem, ...], calling elem for each element.
func (p *itemParser) array(elem func() error) error {
	if !p.lit('[') {
		return errNotPlain
	}
	if p.lit(']') {
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if p.lit(']') {
			return nil
		}
		if !p.lit(',') {
			return errNotPlain
		}
	}
}

// bytes reads a base64 string as encoding/json decodes a []byte.
func (p *itemParser) bytes() ([]byte, error) {
	s, err := p.str()
	if err != nil {
		return nil, err
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return nil, errNotPlain
	}
	return b[:n], nil
}
