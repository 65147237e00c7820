package dynamo

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Attribute value types.
const (
	TypeS    = "S"
	TypeN    = "N"
	TypeB    = "B"
	TypeBOOL = "BOOL"
	TypeNULL = "NULL"
	TypeM    = "M"
	TypeL    = "L"
	TypeSS   = "SS"
	TypeNS   = "NS"
	TypeBS   = "BS"
)

// Value is a DynamoDB attribute value; it encodes to and from DynamoDB JSON
// ({"S":"x"}, {"N":"1"}, {"M":{...}}, ...). Numbers are kept as canonical
// decimal strings.
type Value struct {
	Type string
	// S holds the value of S and N (decimal string).
	S    string
	B    []byte
	Bool bool
	M    map[string]Value
	L    []Value
	// Set holds SS and NS members.
	Set []string
	BS  [][]byte
}

// Item is a DynamoDB item or key: attribute name to value.
type Item map[string]Value

// S returns a string value.
func S(s string) Value { return Value{Type: TypeS, S: s} }

// N returns a number value in canonical form; n should be a valid decimal
// number within DynamoDB's limits (any other is kept as is, and a request
// that holds it is refused).
func N(n string) Value {
	if c, err := normalizeNumber(n); err == nil {
		n = c
	}
	return Value{Type: TypeN, S: n}
}

// Bool returns a boolean value.
func Bool(b bool) Value { return Value{Type: TypeBOOL, Bool: b} }

// MarshalJSON encodes v as DynamoDB JSON.
func (v Value) MarshalJSON() ([]byte, error) { return appendValue(nil, v) }

// UnmarshalJSON decodes and validates DynamoDB JSON.
func (v *Value) UnmarshalJSON(data []byte) error {
	if typ, body, ok := scalarMember(data); ok {
		switch typ {
		case TypeS:
			*v = Value{Type: TypeS, S: body}
			return nil
		case TypeN:
			n, err := normalizeNumber(body)
			*v = Value{Type: TypeN, S: n}
			if err != nil {
				return err
			}
			return nil
		}
	}
	return v.unmarshalGeneral(data)
}

// unmarshalGeneral decodes any attribute value.
func (v *Value) unmarshalGeneral(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return validation("Supplied AttributeValue is not a JSON object: %s", short(data))
	}
	if len(raw) == 0 {
		return validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	if len(raw) > 1 {
		return validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	var typ string
	var body json.RawMessage
	for typ, body = range raw {
	}
	*v = Value{Type: typ}
	bad := func() error {
		return validation("Supplied AttributeValue has an invalid %s value: %s", typ, short(body))
	}
	switch typ {
	case TypeS:
		if json.Unmarshal(body, &v.S) != nil {
			return bad()
		}
	case TypeN:
		var s string
		if json.Unmarshal(body, &s) != nil {
			return bad()
		}
		n, err := normalizeNumber(s)
		if err != nil {
			return err
		}
		v.S = n
	case TypeB:
		if json.Unmarshal(body, &v.B) != nil || v.B == nil {
			return bad()
		}
	case TypeBOOL:
		if json.Unmarshal(body, &v.Bool) != nil {
			return bad()
		}
	case TypeNULL:
		var b bool
		if json.Unmarshal(body, &b) != nil || !b {
			return validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
	case TypeM:
		if err := json.Unmarshal(body, &v.M); err != nil || v.M == nil {
			return nested(err, bad)
		}
	case TypeL:
		if err := json.Unmarshal(body, &v.L); err != nil || v.L == nil {
			return nested(err, bad)
		}
	case TypeSS, TypeNS:
		if json.Unmarshal(body, &v.Set) != nil || v.Set == nil {
			return bad()
		}
		if typ == TypeNS {
			for i, s := range v.Set {
				n, err := normalizeNumber(s)
				if err != nil {
					return err
				}
				v.Set[i] = n
			}
		}
		if err := checkSet(typ, len(v.Set), func(i, j int) bool { return v.Set[i] == v.Set[j] }); err != nil {
			return err
		}
	case TypeBS:
		if json.Unmarshal(body, &v.BS) != nil || v.BS == nil {
			return bad()
		}
		if err := checkSet(typ, len(v.BS), func(i, j int) bool { return bytes.Equal(v.BS[i], v.BS[j]) }); err != nil {
			return err
		}
	default:
		return validation("Supplied AttributeValue has an unknown datatype %q", typ)
	}
	return nil
}

// nested returns a validation error of a nested value as is, else bad().
func nested(err error, bad func() error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return bad()
}

// emptySet is DynamoDB's message for an empty set of each type, in its
// wording (the nubo-db conformance suite and dynalite's tests, both recorded
// against DynamoDB): "An string set  may not be empty", two spaces included.
var emptySet = map[string]string{
	TypeSS: "An string set  may not be empty",
	TypeNS: "An number set  may not be empty",
	TypeBS: "Binary sets should not be empty",
}

func checkSet(typ string, n int, eq func(i, j int) bool) error {
	if n == 0 {
		return validation("One or more parameter values were invalid: %s", emptySet[typ])
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if eq(i, j) {
				return validation("One or more parameter values were invalid: Input collection contains duplicates")
			}
		}
	}
	return nil
}

func short(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// Equal reports whether two values are equal (sets compare as sets).
func (v Value) Equal(o Value) bool {
	if v.Type != o.Type {
		return false
	}
	switch v.Type {
	case TypeS:
		return v.S == o.S
	case TypeN:
		return compareNumbers(v.S, o.S) == 0
	case TypeB:
		return bytes.Equal(v.B, o.B)
	case TypeBOOL:
		return v.Bool == o.Bool
	case TypeNULL:
		return true
	case TypeM:
		return maps.EqualFunc(v.M, o.M, Value.Equal)
	case TypeL:
		return slices.EqualFunc(v.L, o.L, Value.Equal)
	case TypeSS, TypeNS:
		return len(v.Set) == len(o.Set) && !slices.ContainsFunc(v.Set, func(s string) bool { return !slices.Contains(o.Set, s) })
	case TypeBS:
		return len(v.BS) == len(o.BS) && !slices.ContainsFunc(v.BS, func(b []byte) bool {
			return !slices.ContainsFunc(o.BS, func(c []byte) bool { return bytes.Equal(b, c) })
		})
	}
	return false
}

// compare orders two scalar values of the same type (N, S or B).
func compare(a, b Value) (int, bool) {
	if a.Type != b.Type {
		return 0, false
	}
	switch a.Type {
	case TypeN:
		return compareNumbers(a.S, b.S), true
	case TypeS:
		return strings.Compare(a.S, b.S), true
	case TypeB:
		return bytes.Compare(a.B, b.B), true
	}
	return 0, false
}

// clone deep-copies an item.
func (it Item) clone() Item {
	if it == nil {
		return nil
	}
	out := make(Item, len(it))
	for k, v := range it {
		out[k] = v.clone()
	}
	return out
}

func (v Value) clone() Value {
	switch v.Type {
	case TypeM:
		v.M = Item(v.M).clone()
	case TypeL:
		l := make([]Value, len(v.L))
		for i, x := range v.L {
			l[i] = x.clone()
		}
		v.L = l
	case TypeSS, TypeNS:
		v.Set = slices.Clone(v.Set)
	case TypeBS:
		v.BS = slices.Clone(v.BS)
	}
	return v
}

// scalarMember reads the common shapes {"S":"text"} and {"N":"text"} of an
// attribute value without decoding it twice, as the general path does: it
// returns the member's name and its string when data (valid JSON, as the
// decoder hands it over) is an object of exactly one member whose value is
// a string without escapes, in valid UTF-8 (so decoding would return it as
// it is written). Anything else is left to the general path.
func scalarMember(data []byte) (typ, body string, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return "", "", false
	}
	name, i, ok := plainString(data, skipSpace(data, i+1))
	if !ok {
		return "", "", false
	}
	if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
		return "", "", false
	}
	body, i, ok = plainString(data, skipSpace(data, i+1))
	if !ok {
		return "", "", false
	}
	if i = skipSpace(data, i); i >= len(data) || data[i] != '}' || skipSpace(data, i+1) != len(data) {
		return "", "", false
	}
	return name, body, true
}

// plainString reads the JSON string at data[i:] when it has no escapes and
// is valid UTF-8, returning it and the index past its closing quote.
func plainString(data []byte, i int) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s := string(data[i+1 : j])
			return s, j + 1, utf8.ValidString(s)
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
