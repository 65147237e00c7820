package expr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"
)

// Scope is what a path, template or intrinsic can see.
type Scope struct {
	Input   any            // "$"
	Context any            // "$$" (the context object; the interpreter builds it)
	Vars    map[string]any // "$name" variables set by Assign; may be nil
	// Opaque is the caller's own data for other query languages (the
	// interpreter's JSONata options); paths ignore it.
	Opaque any
}

// Root says which value of a [Scope] a path starts from.
type Root int

// The roots a path can start from.
const (
	RootInput   Root = iota // "$"
	RootContext             // "$$"
	RootVar                 // "$name"
)

// maxPathLen bounds the length of a path accepted by CompilePath.
const maxPathLen = 64 * 1024

// Path is a compiled JSONPath in AWS's (Jayway-style) dialect, rooted at the
// state input ("$..."), the context object ("$$...") or a variable
// ("$name...").
//
// Supported: dot names (any characters but '.', '[' and '(' — so
// "$.detail-type" works), bracket names ['a'] and ["a"], indexes (negative
// counts from the end), union [0,1] and ['a','b'], wildcards .* and [*],
// slices [start:end:step], recursive descent ..name / ..* / ..[...], filters
// [?(@.x > 1 && @.y == 'z')] with the RFC 9535 operators, and a trailing
// .length() function. Jayway's other filter operators (=~, in, nin, size,
// empty, subsetof, anyof, noneof) are rejected at compile time.
type Path struct {
	src     string
	root    Root
	varName string
	query   *spec.PathQuery // nil when the path is just the root
	sel     []spec.Selector // the selectors of a definite path, else nil
	length  bool            // trailing .length()
}

// CompilePath compiles a path such as "$.a.b", "$$.Execution.Id",
// "$myVar.items[0]" or "$..x[?(@.y > 1)]".
func CompilePath(s string) (*Path, error) {
	p, err := compilePath(s)
	if err != nil {
		return nil, fmt.Errorf("invalid JSONPath %q: %w", s, err)
	}
	return p, nil
}

// CompileReferencePath compiles a reference path: a definite path made only of
// names and indexes (no wildcard, filter, slice, union, recursive descent or
// function), as ResultPath, ItemsPath and the Choice Variable require.
func CompileReferencePath(s string) (*Path, error) {
	p, err := CompilePath(s)
	if err != nil {
		return nil, err
	}
	if !p.IsReference() {
		return nil, fmt.Errorf("invalid reference path %q: only names and indexes are allowed (no @ .. , : ? * or functions)", s)
	}
	return p, nil
}

// IsDefinite reports whether the path selects at most one value; an indefinite
// path's result is always an array of the matches.
func (p *Path) IsDefinite() bool { return p.query == nil || p.sel != nil || p.length }

// IsReference reports whether the path is a reference path (see
// [CompileReferencePath]).
func (p *Path) IsReference() bool { return (p.query == nil || p.sel != nil) && !p.length }

// Root says which scope value the path starts from.
func (p *Path) Root() Root { return p.root }

// VarName is the variable name for a path rooted at "$name", else "".
func (p *Path) VarName() string { return p.varName }

// String returns the path as written.
func (p *Path) String() string { return p.src }

// rootValue returns the scope value the path starts from.
func (p *Path) rootValue(s Scope) (any, *Error) {
	switch p.root {
	case RootContext:
		return s.Context, nil
	case RootVar:
		v, ok := s.Vars[p.varName]
		if !ok {
			return nil, runtimeErr(fmt.Sprintf("Invalid path '%s' : The variable '$%s' is not defined", p.src, p.varName))
		}
		return v, nil
	}
	return s.Input, nil
}

// Get evaluates the path. A definite path returns the value it selects, or a
// *Error (States.Runtime, "Invalid path '$.x' : No results for path:
// $['x']") when nothing matches; this is the cause AWS reports for
// InputPath and OutputPath. An indefinite path (wildcard, filter, slice,
// union, recursive descent) returns a []any of the matches, possibly empty.
// The returned value shares structure with the scope: copy before mutating.
func (p *Path) Get(s Scope) (any, error) {
	v, err := p.get(s)
	if err != nil {
		return nil, err.e
	}
	return v, nil
}

// GetField is Get for a path written in the named field of a definition
// (for example "value.$" in Parameters, or "ErrorPath"); when a definite
// path matches nothing the cause is AWS's "The JSONPath '$.x' specified for
// the field 'value.$' could not be found in the input '{...}'".
func (p *Path) GetField(s Scope, field string) (any, error) {
	v, err := p.get(s)
	if err != nil {
		if err.notFound {
			root, _ := p.rootValue(s)
			return nil, runtimeErr(fmt.Sprintf("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", p.src, field, mustEncode(root)))
		}
		return nil, err.e
	}
	return v, nil
}

// Lookup evaluates the path and reports whether it matched, without an error
// for a missing value: used by Choice rules (IsPresent) and by callers that
// treat absence specially. Indefinite paths always match (an array).
func (p *Path) Lookup(s Scope) (any, bool) {
	v, err := p.get(s)
	if err != nil {
		return nil, false
	}
	return v, true
}

type pathErr struct {
	e        *Error
	notFound bool
}

func (p *Path) get(s Scope) (any, *pathErr) {
	root, rerr := p.rootValue(s)
	if rerr != nil {
		return nil, &pathErr{e: rerr, notFound: true}
	}
	var v any
	switch {
	case p.query == nil:
		v = root
	case p.sel != nil:
		cur := root
		for i, sel := range p.sel {
			next, ok := selectOne(cur, sel)
			if !ok {
				return nil, &pathErr{e: runtimeErr(fmt.Sprintf("Invalid path '%s' : %s", p.src, notFoundText(p.sel, i))), notFound: true}
			}
			cur = next
		}
		v = cur
	default:
		nodes := p.query.Select(root, root)
		out := make([]any, len(nodes))
		copy(out, nodes)
		v = out
	}
	if p.length {
		switch x := v.(type) {
		case []any:
			return intNumber(int64(len(x))), nil
		case map[string]any:
			return intNumber(int64(len(x))), nil
		case string:
			return intNumber(int64(utf8.RuneCountInString(x))), nil
		}
		return nil, &pathErr{e: runtimeErr(fmt.Sprintf("Invalid path '%s' : Aggregation function attempted to calculate value using empty array", p.src))}
	}
	return v, nil
}

// notFoundText renders Jayway's PathNotFoundException message for a miss at
// selector i.
func notFoundText(sel []spec.Selector, i int) string {
	np := make(spec.NormalizedPath, 0, i+1)
	for _, s := range sel[:i+1] {
		if ns, ok := s.(spec.NormalSelector); ok {
			np = append(np, ns)
		}
	}
	if i == len(sel)-1 {
		return "No results for path: " + np.String()
	}
	return "Missing property in path " + np.String()
}

// selectOne applies a name or index selector to one value.
func selectOne(v any, sel spec.Selector) (any, bool) {
	switch s := sel.(type) {
	case spec.Name:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		x, ok := m[string(s)]
		return x, ok
	case spec.Index:
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		i := int(s)
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

var parser = jsonpath.NewParser()

func compilePath(s string) (*Path, error) {
	if len(s) > maxPathLen {
		return nil, errors.New("path too long")
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("path is not valid UTF-8")
	}
	p := &Path{src: s}
	rest := ""
	switch {
	case strings.HasPrefix(s, "$$"):
		p.root, rest = RootContext, s[2:]
	case strings.HasPrefix(s, "$"):
		i := 1
		for i < len(s) && isVarChar(s[i]) {
			i++
		}
		if i > 1 {
			p.root, p.varName = RootVar, s[1:i]
		}
		rest = s[i:]
	default:
		return nil, errors.New("a path must start with '$'")
	}
	if strings.HasSuffix(rest, ".length()") {
		p.length = true
		rest = strings.TrimSuffix(rest, ".length()")
	}
	if rest == "" {
		return p, nil
	}
	rfc, err := translate(rest)
	if err != nil {
		return nil, err
	}
	jp, err := parser.Parse("$" + rfc)
	if err != nil {
		return nil, err
	}
	p.query = jp.Query()
	if sq := p.query.Singular(); sq != nil {
		for _, seg := range p.query.Segments() {
			p.sel = append(p.sel, seg.Selectors()...)
		}
		if p.sel == nil {
			p.query = nil
		}
	}
	return p, nil
}

func isVarChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// translate rewrites the segments of a Jayway-style path (after the root) to
// RFC 9535 syntax.
func translate(s string) (string, error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], ".."):
			b.WriteString("..")
			i += 2
			if _, err := translateMember(s, &i, &b, true); err != nil {
				return "", err
			}
		case s[i] == '.':
			i++
			if _, err := translateMember(s, &i, &b, false); err != nil {
				return "", err
			}
		case s[i] == '[':
			if err := translateBracket(s, &i, &b); err != nil {
				return "", err
			}
		default:
			return "", fmt.Errorf("unexpected %q at offset %d", s[i:i+1], i)
		}
	}
	return b.String(), nil
}

// translateMember handles what follows '.' or '..': a name, '*' or a bracket.
func translateMember(s string, i *int, b *strings.Builder, descendant bool) (int, error) {
	if *i >= len(s) {
		return 0, errors.New("path ends with '.'")
	}
	switch s[*i] {
	case '*':
		if !descendant {
			b.WriteString(".")
		}
		b.WriteString("*")
		*i++
		return 1, nil
	case '[':
		return 1, translateBracket(s, i, b)
	}
	start := *i
	for *i < len(s) && s[*i] != '.' && s[*i] != '[' {
		if s[*i] == '(' || s[*i] == ')' {
			return 0, fmt.Errorf("unsupported function or parenthesis at offset %d", *i)
		}
		*i++
	}
	name := s[start:*i]
	if name == "" {
		return 0, fmt.Errorf("empty name at offset %d", start)
	}
	b.WriteString("[")
	b.WriteString(quoteName(name))
	b.WriteString("]")
	return 1, nil
}

// quoteName renders a name as an RFC 9535 single-quoted string literal.
func quoteName(name string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range name {
		switch {
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// translateBracket copies a bracket selector, translating filter expressions.
func translateBracket(s string, i *int, b *strings.Builder) error {
	start := *i
	end, err := matchBracket(s, start)
	if err != nil {
		return err
	}
	inner := strings.TrimSpace(s[start+1 : end])
	*i = end + 1
	if strings.HasPrefix(inner, "?") {
		f, err := translateFilter(strings.TrimSpace(inner[1:]))
		if err != nil {
			return err
		}
		b.WriteString("[?")
		b.WriteString(f)
		b.WriteString("]")
		return nil
	}
	b.WriteString("[")
	for j, k := 0, 0; j <= len(inner); j = k + 1 {
		k = j
		for k < len(inner) && inner[k] != ',' {
			if inner[k] == '\'' || inner[k] == '"' {
				e, err := skipString(inner, k)
				if err != nil {
					return err
				}
				k = e
			}
			k++
		}
		if j > 0 {
			b.WriteString(",")
		}
		elem := strings.TrimSpace(inner[j:min(k, len(inner))])
		if len(elem) >= 2 && (elem[0] == '\'' || elem[0] == '"') && elem[len(elem)-1] == elem[0] {
			b.WriteString(quoteName(jaywayUnquote(elem)))
		} else {
			b.WriteString(elem)
		}
	}
	b.WriteString("]")
	return nil
}

// jaywayUnquote returns the name inside a quoted bracket name as Jayway
// reads it: a backslash before the quote character escapes it; every other
// backslash is kept as is (so ['a\"b'] names the key a\"b).
func jaywayUnquote(q string) string {
	quote, body := q[0], q[1:len(q)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' && i+1 < len(body) && body[i+1] == quote {
			continue
		}
		b.WriteByte(body[i])
	}
	return b.String()
}

// matchBracket returns the index of the ']' closing the '[' at s[start],
// skipping quoted strings and nested brackets.
func matchBracket(s string, start int) (int, error) {
	depth := 0
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '\'', '"':
			k, err := skipString(s, j)
			if err != nil {
				return 0, err
			}
			j = k
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("unclosed '[' at offset %d", start)
}

// skipString returns the index of the quote closing the string at s[j].
func skipString(s string, j int) (int, error) {
	q := s[j]
	for k := j + 1; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case q:
			return k, nil
		}
	}
	return 0, fmt.Errorf("unterminated string at offset %d", j)
}

// translateFilter rewrites a Jayway filter expression: dotted names inside
// @ and $ queries become bracket names, and "query.length()" becomes
// "length(query)".
func translateFilter(f string) (string, error) {
	var b strings.Builder
	for j := 0; j < len(f); {
		c := f[j]
		switch {
		case c == '\'' || c == '"':
			k, err := skipString(f, j)
			if err != nil {
				return "", err
			}
			b.WriteString(f[j : k+1])
			j = k + 1
		case c == '=' && strings.HasPrefix(f[j:], "=~"):
			return "", errors.New("the '=~' filter operator is not supported")
		case c == '@' || c == '$':
			k := j + 1
			for k < len(f) && (f[k] == '.' || f[k] == '[') {
				if f[k] == '[' {
					e, err := matchBracket(f, k)
					if err != nil {
						return "", err
					}
					k = e + 1
					continue
				}
				k++
				if k < len(f) && f[k] == '.' {
					k++
				}
				for k < len(f) && isFilterNameChar(f[k]) {
					k++
				}
			}
			seg := f[j+1 : k]
			length := false
			if strings.HasSuffix(seg, ".length") && strings.HasPrefix(f[k:], "()") {
				seg = strings.TrimSuffix(seg, ".length")
				length = true
				k += 2
			}
			q, err := translate(seg)
			if err != nil {
				return "", err
			}
			if length {
				b.WriteString("length(" + string(c) + q + ")")
			} else {
				b.WriteString(string(c) + q)
			}
			j = k
		case isWordStart(c):
			k := j
			for k < len(f) && isFilterNameChar(f[k]) {
				k++
			}
			w := f[j:k]
			switch w {
			case "in", "nin", "size", "empty", "subsetof", "anyof", "noneof", "contains":
				return "", fmt.Errorf("the %q filter operator is not supported", w)
			}
			b.WriteString(w)
			j = k
		default:
			b.WriteByte(c)
			j++
		}
	}
	return b.String(), nil
}

func isWordStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isFilterNameChar(c byte) bool {
	return c == '_' || c == '-' || c == '*' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
