package contracts

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// check is a compiled schema reduced to a yes/no answer: valid(v) says
// whether the library's Validate would accept v. The library builds an error
// tree and tracks evaluated properties on every call, which costs more than
// the messages it checks; a valid message (nearly all of them) needs none of
// that. Validate asks check first and runs the library only when check says
// no, so every refusal still comes from the library with its field and rule.
//
// check knows the keywords the contracts use; a schema with any other
// keyword (found by reflection over jsonschema.Schema, so a field added by a
// new library version counts as unknown) gets no check and is validated by
// the library alone. A fuzz test compares the two answers.
type check struct {
	sch *jsonschema.Schema

	alwaysFalse bool
	ref         *check
	types       jsonschema.Types
	enum        []any
	constant    *any
	format      *jsonschema.Format
	not         *check
	allOf       []*check
	anyOf       []*check
	oneOf       []*check
	ifc         *check
	then, els   *check

	required   []string
	properties map[string]*check
	// additional is nil when additionalProperties is absent; noAdditional
	// when it is false.
	additional   *check
	noAdditional bool

	minLength, maxLength int // -1: absent
	pattern              jsonschema.Regexp

	minimum, maximum, exclMinimum, exclMaximum *bound
}

// bound is a numeric limit, with its int64 form when it has one.
type bound struct {
	rat   *big.Rat
	i     int64
	isInt bool
}

func newBound(r *big.Rat) *bound {
	if r == nil {
		return nil
	}
	b := &bound{rat: r}
	if r.IsInt() && r.Num().IsInt64() {
		b.i, b.isInt = r.Num().Int64(), true
	}
	return b
}

// checkedFields are the fields of jsonschema.Schema that compileCheck
// handles; annotations are fields that never change the answer. Any other
// exported field set on a schema makes it unchecked.
var (
	checkedFields = map[string]bool{
		"DraftVersion": true, "Location": true, "Bool": true, "ID": true, "Ref": true, "Anchor": true,
		"Types": true, "Enum": true, "Const": true, "Format": true, "Not": true, "AllOf": true, "AnyOf": true,
		"OneOf": true, "If": true, "Then": true, "Else": true, "Required": true, "Properties": true,
		"AdditionalProperties": true, "MinLength": true, "MaxLength": true, "Pattern": true,
		"Maximum": true, "Minimum": true, "ExclusiveMaximum": true, "ExclusiveMinimum": true,
	}
	annotations = map[string]bool{
		"Title": true, "Description": true, "Default": true, "Comment": true, "ReadOnly": true,
		"WriteOnly": true, "Examples": true, "Deprecated": true,
	}
)

// unknownKeyword names a keyword set on s that check does not handle ("" if none).
func unknownKeyword(s *jsonschema.Schema) string {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || checkedFields[f.Name] || annotations[f.Name] {
			continue
		}
		if !v.Field(i).IsZero() {
			return f.Name
		}
	}
	return ""
}

// compileCheck returns the check of s, or an error naming why it has none.
func compileCheck(s *jsonschema.Schema) (*check, error) {
	return (&checkCompiler{done: map[*jsonschema.Schema]*check{}, busy: map[*jsonschema.Schema]bool{}}).compile(s)
}

type checkCompiler struct {
	done map[*jsonschema.Schema]*check
	busy map[*jsonschema.Schema]bool
}

func (cc *checkCompiler) compile(s *jsonschema.Schema) (*check, error) {
	if s == nil {
		return nil, nil
	}
	if c, ok := cc.done[s]; ok {
		return c, nil
	}
	// A schema that refers back to itself would need the library's cycle
	// detection; none of the contracts does.
	if cc.busy[s] {
		return nil, fmt.Errorf("%s refers to itself", s.Location)
	}
	cc.busy[s] = true
	defer delete(cc.busy, s)
	if s.DraftVersion < 2019 {
		return nil, fmt.Errorf("%s: draft %d", s.Location, s.DraftVersion)
	}
	if k := unknownKeyword(s); k != "" {
		return nil, fmt.Errorf("%s: keyword %s", s.Location, k)
	}
	c := &check{sch: s, minLength: -1, maxLength: -1, format: s.Format, constant: s.Const, pattern: s.Pattern}
	if s.Bool != nil {
		c.alwaysFalse = !*s.Bool
	}
	if s.Types != nil {
		c.types = *s.Types
	}
	if s.Enum != nil {
		c.enum = s.Enum.Values
		for _, v := range c.enum {
			if !scalar(v) {
				return nil, fmt.Errorf("%s: enum of %T", s.Location, v)
			}
		}
	}
	if c.constant != nil && !scalar(*c.constant) {
		return nil, fmt.Errorf("%s: const of %T", s.Location, *c.constant)
	}
	if s.MinLength != nil {
		c.minLength = *s.MinLength
	}
	if s.MaxLength != nil {
		c.maxLength = *s.MaxLength
	}
	c.minimum, c.maximum = newBound(s.Minimum), newBound(s.Maximum)
	c.exclMinimum, c.exclMaximum = newBound(s.ExclusiveMinimum), newBound(s.ExclusiveMaximum)
	c.required = s.Required
	var err error
	one := func(sub *jsonschema.Schema) *check {
		if err != nil {
			return nil
		}
		var k *check
		k, err = cc.compile(sub)
		return k
	}
	list := func(subs []*jsonschema.Schema) []*check {
		var out []*check
		for _, sub := range subs {
			out = append(out, one(sub))
		}
		return out
	}
	c.ref, c.not = one(s.Ref), one(s.Not)
	c.allOf, c.anyOf, c.oneOf = list(s.AllOf), list(s.AnyOf), list(s.OneOf)
	c.ifc, c.then, c.els = one(s.If), one(s.Then), one(s.Else)
	if len(s.Properties) > 0 {
		c.properties = make(map[string]*check, len(s.Properties))
		for name, sub := range s.Properties {
			c.properties[name] = one(sub)
		}
	}
	switch a := s.AdditionalProperties.(type) {
	case nil:
	case bool:
		c.noAdditional = !a
	case *jsonschema.Schema:
		c.additional = one(a)
	default:
		return nil, fmt.Errorf("%s: additionalProperties of %T", s.Location, a)
	}
	if err != nil {
		return nil, err
	}
	cc.done[s] = c
	return c, nil
}

// scalar reports whether v is a JSON null, boolean, number or string.
func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, string, json.Number, float64, int, int64:
		return true
	}
	return false
}

// valid reports whether v (as jsonschema.UnmarshalJSON returns it) is valid.
func (c *check) valid(v any) bool {
	if c.alwaysFalse {
		return false
	}
	if c.sch.Bool != nil {
		return true
	}
	if c.types != 0 && !c.typeMatches(v) {
		return false
	}
	if c.constant != nil && !scalarEqual(v, *c.constant) {
		return false
	}
	if c.enum != nil {
		found := false
		for _, w := range c.enum {
			if scalarEqual(v, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if c.format != nil && c.format.Validate(v) != nil {
		return false
	}
	if c.ref != nil && !c.ref.valid(v) {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		if !c.validObject(v) {
			return false
		}
	case string:
		if !c.validString(v) {
			return false
		}
	case json.Number:
		if !c.validNumber(v) {
			return false
		}
	case []any, nil, bool:
	default:
		return false // not a value UnmarshalJSON returns
	}
	if c.not != nil && c.not.valid(v) {
		return false
	}
	for _, k := range c.allOf {
		if !k.valid(v) {
			return false
		}
	}
	if len(c.anyOf) > 0 {
		found := false
		for _, k := range c.anyOf {
			if k.valid(v) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(c.oneOf) > 0 {
		n := 0
		for _, k := range c.oneOf {
			if k.valid(v) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	if c.ifc != nil {
		if c.ifc.valid(v) {
			if c.then != nil && !c.then.valid(v) {
				return false
			}
		} else if c.els != nil && !c.els.valid(v) {
			return false
		}
	}
	return true
}

func (c *check) typeMatches(v any) bool {
	var name string
	switch v := v.(type) {
	case nil:
		name = "null"
	case bool:
		name = "boolean"
	case string:
		name = "string"
	case []any:
		name = "array"
	case map[string]any:
		name = "object"
	case json.Number:
		if c.hasType("number") {
			return true
		}
		return c.hasType("integer") && isInteger(v)
	default:
		return false
	}
	return c.hasType(name)
}

func (c *check) hasType(name string) bool {
	var t jsonschema.Types
	t.Add(name)
	return c.types&t != 0
}

func (c *check) validObject(obj map[string]any) bool {
	for _, name := range c.required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	for name, v := range obj {
		if k, ok := c.properties[name]; ok {
			if !k.valid(v) {
				return false
			}
			continue
		}
		if c.noAdditional {
			return false
		}
		if c.additional != nil && !c.additional.valid(v) {
			return false
		}
	}
	return true
}

func (c *check) validString(s string) bool {
	if c.minLength >= 0 || c.maxLength >= 0 {
		n := utf8.RuneCountInString(s)
		if c.minLength >= 0 && n < c.minLength || c.maxLength >= 0 && n > c.maxLength {
			return false
		}
	}
	return c.pattern == nil || c.pattern.MatchString(s)
}

func (c *check) validNumber(n json.Number) bool {
	if c.minimum == nil && c.maximum == nil && c.exclMinimum == nil && c.exclMaximum == nil {
		return true
	}
	i, isInt := plainInt(n)
	var r *big.Rat
	cmp := func(b *bound) int {
		if isInt && b.isInt {
			switch {
			case i < b.i:
				return -1
			case i > b.i:
				return 1
			}
			return 0
		}
		if r == nil {
			var ok bool
			if r, ok = new(big.Rat).SetString(string(n)); !ok {
				// The library compares a nil number here and fails; no
				// check says yes to what it cannot read.
				return 2
			}
		}
		return r.Cmp(b.rat)
	}
	if c.minimum != nil {
		if k := cmp(c.minimum); k == 2 || k < 0 {
			return false
		}
	}
	if c.maximum != nil {
		if k := cmp(c.maximum); k == 2 || k > 0 {
			return false
		}
	}
	if c.exclMinimum != nil {
		if k := cmp(c.exclMinimum); k == 2 || k <= 0 {
			return false
		}
	}
	if c.exclMaximum != nil {
		if k := cmp(c.exclMaximum); k == 2 || k >= 0 {
			return false
		}
	}
	return true
}

// plainInt returns n as an int64 when it is written as one (digits with an
// optional minus sign, no exponent or fraction).
func plainInt(n json.Number) (int64, bool) {
	s := string(n)
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && !(i == 0 && c == '-' && len(s) > 1) {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// isInteger is the library's test (an exact rational with no fraction:
// 1.0 and 1e2 are integers), with the common case first.
func isInteger(n json.Number) bool {
	if _, ok := plainInt(n); ok {
		return true
	}
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

// scalarEqual is JSON equality of v and a scalar w: numbers by value.
func scalarEqual(v, w any) bool {
	switch v := v.(type) {
	case nil:
		return w == nil
	case bool:
		b, ok := w.(bool)
		return ok && v == b
	case string:
		s, ok := w.(string)
		return ok && v == s
	case json.Number:
		var ws string
		switch w := w.(type) {
		case json.Number:
			ws = string(w)
		case float64, int, int64:
			ws = fmt.Sprint(w)
		default:
			return false
		}
		a, ok1 := new(big.Rat).SetString(string(v))
		b, ok2 := new(big.Rat).SetString(ws)
		return ok1 && ok2 && a.Cmp(b) == 0
	}
	return false
}
