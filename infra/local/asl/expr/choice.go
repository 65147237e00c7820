package expr

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Rule is one compiled Choice rule: a top-level rule of a Choice state or a
// rule nested in And, Or or Not.
type Rule struct {
	op       string // comparator name, or "And", "Or", "Not"
	variable *Path
	value    any   // literal comparand
	path     *Path // comparand of a ...Path comparator
	rules    []*Rule
	next     string
	pattern  []globPart // StringMatches
	ts       time.Time  // Timestamp* literal comparand
}

type cmpKind int

const (
	kindString cmpKind = iota + 1
	kindNumeric
	kindBoolean
	kindTimestamp
	kindIs
	kindMatches
)

type comparator struct {
	kind cmpKind
	test func(c int) bool // for ordered comparisons: c is -1, 0 or +1
}

func eq(c int) bool { return c == 0 }
func lt(c int) bool { return c < 0 }
func gt(c int) bool { return c > 0 }
func le(c int) bool { return c <= 0 }
func ge(c int) bool { return c >= 0 }

var comparators = map[string]comparator{
	"StringEquals":               {kindString, eq},
	"StringLessThan":             {kindString, lt},
	"StringGreaterThan":          {kindString, gt},
	"StringLessThanEquals":       {kindString, le},
	"StringGreaterThanEquals":    {kindString, ge},
	"NumericEquals":              {kindNumeric, eq},
	"NumericLessThan":            {kindNumeric, lt},
	"NumericGreaterThan":         {kindNumeric, gt},
	"NumericLessThanEquals":      {kindNumeric, le},
	"NumericGreaterThanEquals":   {kindNumeric, ge},
	"BooleanEquals":              {kindBoolean, eq},
	"TimestampEquals":            {kindTimestamp, eq},
	"TimestampLessThan":          {kindTimestamp, lt},
	"TimestampGreaterThan":       {kindTimestamp, gt},
	"TimestampLessThanEquals":    {kindTimestamp, le},
	"TimestampGreaterThanEquals": {kindTimestamp, ge},
	"StringMatches":              {kindMatches, nil},
	"IsNull":                     {kindIs, nil},
	"IsPresent":                  {kindIs, nil},
	"IsNumeric":                  {kindIs, nil},
	"IsString":                   {kindIs, nil},
	"IsBoolean":                  {kindIs, nil},
	"IsTimestamp":                {kindIs, nil},
}

// lookupComparator resolves a rule key: a comparator or its "...Path" form.
func lookupComparator(key string) (name string, c comparator, isPath bool, ok bool) {
	if c, ok := comparators[key]; ok {
		return key, c, false, true
	}
	if base, found := strings.CutSuffix(key, "Path"); found {
		if c, ok := comparators[base]; ok && c.kind != kindIs && c.kind != kindMatches {
			return base, c, true, true
		}
	}
	return "", comparator{}, false, false
}

// maxRuleDepth bounds the nesting of And/Or/Not.
const maxRuleDepth = 100

// CompileRule validates and compiles one Choice rule given as a decoded JSON
// object. A comparison rule needs "Variable" and exactly one comparator
// (StringEquals, NumericLessThanPath, IsPresent, StringMatches, ...); a
// boolean rule has exactly one of "And" and "Or" (non-empty arrays of rules)
// or "Not" (one rule), and no Variable. "Next", "Comment", "Assign" and
// "Output" are accepted and left to the interpreter (see [Rule.Next]).
func CompileRule(raw map[string]any) (*Rule, error) {
	r, err := compileRule(raw, 0)
	if err != nil {
		return nil, fmt.Errorf("invalid Choice rule: %w", err)
	}
	return r, nil
}

// variableField is the field of a comparison rule that names the value it
// compares. The messages about a rule name the field or operator at fault
// first, as AWS's definition errors do.
const variableField = "Variable"

func compileRule(raw map[string]any, depth int) (*Rule, error) {
	if depth > maxRuleDepth {
		return nil, fmt.Errorf("And/Or/Not nested more than %d levels", maxRuleDepth)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r := &Rule{}
	var ops []string
	for _, k := range keys {
		switch k {
		case variableField, "Comment", "Assign", "Output":
		case "Next":
			s, ok := raw[k].(string)
			if !ok {
				return nil, fmt.Errorf("Next must be a string, got %s", TypeName(raw[k]))
			}
			r.next = s
		case "And", "Or", "Not":
			ops = append(ops, k)
		default:
			if _, _, _, ok := lookupComparator(k); !ok {
				return nil, fmt.Errorf("unknown field %q", k)
			}
			ops = append(ops, k)
		}
	}
	if len(ops) != 1 {
		if len(ops) == 0 {
			return nil, fmt.Errorf("no comparison operator (such as StringEquals, NumericLessThan, IsPresent) or And/Or/Not")
		}
		return nil, fmt.Errorf("exactly one comparison operator is allowed, found %s", strings.Join(ops, ", "))
	}
	op := ops[0]
	val := raw[op]
	vraw, hasVar := raw[variableField]
	switch op {
	case "And", "Or", "Not":
		if hasVar {
			return nil, fmt.Errorf("%s must not have a Variable", op)
		}
		r.op = op
		var list []any
		if op == "Not" {
			m, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s must be an object holding one rule, got %s", op, TypeName(val))
			}
			list = []any{m}
		} else {
			l, ok := val.([]any)
			if !ok || len(l) == 0 {
				return nil, fmt.Errorf("%s must be a non-empty array of rules", op)
			}
			list = l
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s[%d] must be an object, got %s", op, i, TypeName(e))
			}
			if _, ok := m["Next"]; ok {
				return nil, fmt.Errorf("%s[%d]: a nested rule must not have Next", op, i)
			}
			sub, err := compileRule(m, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", op, i, err)
			}
			r.rules = append(r.rules, sub)
		}
		return r, nil
	}
	if !hasVar {
		return nil, fmt.Errorf("%s needs a Variable", op)
	}
	vs, ok := vraw.(string)
	if !ok {
		return nil, fmt.Errorf("%s must be a string path, got %s", variableField, TypeName(vraw))
	}
	p, err := CompilePath(vs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", variableField, err)
	}
	r.variable = p
	name, c, isPath, _ := lookupComparator(op)
	r.op = name
	if isPath {
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%s must be a string path, got %s", op, TypeName(val))
		}
		pp, err := CompilePath(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.path = pp
		return r, nil
	}
	want := map[cmpKind]string{kindString: "string", kindMatches: "string", kindNumeric: "number", kindBoolean: "boolean", kindTimestamp: "string", kindIs: "boolean"}[c.kind]
	if TypeName(val) != want {
		return nil, fmt.Errorf("%s must be a %s, got %s", op, want, TypeName(val))
	}
	r.value = val
	switch c.kind {
	case kindTimestamp:
		t, ok := parseTimestamp(val.(string))
		if !ok {
			return nil, fmt.Errorf("%s: %q is not a valid timestamp (RFC 3339 with an uppercase T and a time zone, e.g. 2016-03-14T01:59:00Z)", op, val)
		}
		r.ts = t
	case kindMatches:
		r.pattern = compileGlob(val.(string))
	}
	return r, nil
}

// Next returns the rule's "Next" state name ("" for nested rules).
func (r *Rule) Next() string { return r.next }

// Eval evaluates the rule. A Variable (or ...Path comparand) that matches
// nothing is a States.Runtime *Error with AWS's cause "Invalid path '$.x':
// The choice state's condition path references an invalid value.", except
// for IsPresent, which is then false. A value of the wrong type makes a
// comparison false, not an error.
func (r *Rule) Eval(s Scope) (bool, error) {
	b, err := r.eval(s)
	if err != nil {
		return false, err
	}
	return b, nil
}

func invalidConditionPath(p *Path) *Error {
	return runtimeErr(fmt.Sprintf("Invalid path '%s': The choice state's condition path references an invalid value.", p.src))
}

func (r *Rule) eval(s Scope) (bool, *Error) {
	switch r.op {
	case "And":
		for _, sub := range r.rules {
			b, err := sub.eval(s)
			if err != nil || !b {
				return false, err
			}
		}
		return true, nil
	case "Or":
		for _, sub := range r.rules {
			b, err := sub.eval(s)
			if err != nil || b {
				return b, err
			}
		}
		return false, nil
	case "Not":
		b, err := r.rules[0].eval(s)
		return !b && err == nil, err
	}
	v, found := r.variable.Lookup(s)
	if r.op == "IsPresent" {
		return found == r.value.(bool), nil
	}
	if !found {
		return false, invalidConditionPath(r.variable)
	}
	c := comparators[r.op]
	if c.kind == kindIs {
		var is bool
		switch r.op {
		case "IsNull":
			is = v == nil
		case "IsNumeric":
			_, is = asNumber(v)
		case "IsString":
			_, is = v.(string)
		case "IsBoolean":
			_, is = v.(bool)
		case "IsTimestamp":
			str, ok := v.(string)
			_, is = parseTimestamp(str)
			is = is && ok
		}
		return is == r.value.(bool), nil
	}
	if c.kind == kindMatches {
		str, ok := v.(string)
		return ok && matchGlob(r.pattern, str), nil
	}
	want, ts := r.value, r.ts
	if r.path != nil {
		w, ok := r.path.Lookup(s)
		if !ok {
			return false, invalidConditionPath(r.path)
		}
		want = w
		if c.kind == kindTimestamp {
			str, ok := w.(string)
			if !ok {
				return false, nil
			}
			if ts, ok = parseTimestamp(str); !ok {
				return false, nil
			}
		}
	}
	switch c.kind {
	case kindString:
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		return ok1 && ok2 && c.test(CompareUTF16(a, b)), nil
	case kindNumeric:
		if a, ok := smallInt(v); ok {
			if b, ok := smallInt(want); ok {
				return c.test(cmp.Compare(a, b)), nil
			}
		}
		a, ok1 := asNumber(v)
		b, ok2 := asNumber(want)
		return ok1 && ok2 && c.test(compareNumbers(a, b)), nil
	case kindBoolean:
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b, nil
	case kindTimestamp:
		str, ok := v.(string)
		if !ok {
			return false, nil
		}
		t, ok := parseTimestamp(str)
		return ok && c.test(t.Compare(ts)), nil
	}
	return false, nil
}

// CompareUTF16 compares strings by UTF-16 code units, as Java (and so AWS's
// Choice comparators) and JavaScript (and so JSONata) do. ASCII strings
// compare bytewise, the same order without the conversion.
func CompareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

// ParseTimestamp parses an ASL timestamp, as Choice Timestamp comparators,
// IsTimestamp and the Wait state's Timestamp fields accept it: RFC 3339 with
// an uppercase 'T', a 'Z' or numeric offset, optional fractional seconds.
func ParseTimestamp(s string) (time.Time, bool) { return parseTimestamp(s) }

func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// globPart is a literal run or a '*' wildcard of a StringMatches pattern.
type globPart struct {
	lit  string
	star bool
}

// compileGlob parses a StringMatches pattern: '*' matches any run of
// characters, '\*' is a literal star and '\\' a literal backslash.
func compileGlob(p string) []globPart {
	var parts []globPart
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			parts = append(parts, globPart{lit: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			b.WriteByte(p[i])
		case p[i] == '*':
			flush()
			if len(parts) == 0 || !parts[len(parts)-1].star {
				parts = append(parts, globPart{star: true})
			}
		default:
			b.WriteByte(p[i])
		}
	}
	flush()
	return parts
}

// matchGlob matches s against a compiled pattern, greedily and without
// backtracking blow-up (stars only separate literal runs).
func matchGlob(parts []globPart, s string) bool {
	if len(parts) == 0 {
		return s == ""
	}
	// Leading literal must be a prefix.
	if !parts[0].star {
		if !strings.HasPrefix(s, parts[0].lit) {
			return false
		}
		s = s[len(parts[0].lit):]
		parts = parts[1:]
		if len(parts) == 0 {
			return s == ""
		}
	}
	// Trailing literal must be a suffix.
	last := parts[len(parts)-1]
	if !last.star {
		if !strings.HasSuffix(s, last.lit) {
			return false
		}
		s = s[:len(s)-len(last.lit)]
		parts = parts[:len(parts)-1]
	}
	// Now parts starts with a star (or is empty); each middle literal is
	// found leftmost.
	for _, p := range parts {
		if p.star {
			continue
		}
		i := strings.Index(s, p.lit)
		if i < 0 {
			return false
		}
		s = s[i+len(p.lit):]
	}
	return len(parts) > 0 || s == ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
