package expr

import (
	"errors"
	"fmt"
	"strings"
)

// maxIntrinsicDepth is how deeply intrinsic calls may nest in one field
// (AWS allows up to 10 intrinsic functions nested within a field).
const maxIntrinsicDepth = 10

// IntrinsicCall is a compiled intrinsic function call such as
// "States.Format('{} {}', $.a, States.UUID())".
type IntrinsicCall struct {
	src  string
	name string // full name, e.g. "States.Format"
	args []intrinsicArg
	fn   *intrinsicFunc
}

type argKind int

const (
	argLiteral argKind = iota // string, number, boolean or null
	argPath
	argCall
)

type intrinsicArg struct {
	kind argKind
	lit  any    // argLiteral: the value (strings unescaped)
	raw  string // argLiteral strings: the text between the quotes, escapes kept
	str  bool   // argLiteral: a quoted string
	path *Path
	call *IntrinsicCall
}

// IsIntrinsic reports whether s looks like an intrinsic function call (it
// starts with "States."), as opposed to a path.
func IsIntrinsic(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "States.") }

// CompileIntrinsic parses and validates one intrinsic function call: the
// function name, the number of arguments and the types of literal
// arguments.
func CompileIntrinsic(expr string) (*IntrinsicCall, error) {
	if len(expr) > maxPathLen {
		return nil, fmt.Errorf("invalid intrinsic function %q: expression too long", truncate(expr))
	}
	p := &intrinsicParser{s: expr}
	p.skipSpace()
	c, err := p.call(0)
	if err == nil {
		p.skipSpace()
		if p.i != len(p.s) {
			err = fmt.Errorf("unexpected %q after the call at offset %d", p.s[p.i:], p.i)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid intrinsic function %q: %w", truncate(expr), err)
	}
	return c, nil
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// Intrinsic compiles and evaluates one intrinsic call. Compile problems are
// reported as States.IntrinsicFailure.
func Intrinsic(expr string, s Scope) (any, error) {
	c, err := CompileIntrinsic(expr)
	if err != nil {
		return nil, intrinsicErr(err.Error())
	}
	return c.Eval(s)
}

// String returns the call as written.
func (c *IntrinsicCall) String() string { return c.src }

// Name returns the function name, e.g. "States.Format".
func (c *IntrinsicCall) Name() string { return c.name }

// Eval evaluates the call. Failures are *Error: States.IntrinsicFailure for
// bad arguments, States.Runtime for a path argument that matches nothing.
func (c *IntrinsicCall) Eval(s Scope) (any, error) {
	v, err := c.eval(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (c *IntrinsicCall) eval(s Scope) (any, *Error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		switch a.kind {
		case argLiteral:
			args[i] = a.lit
		case argPath:
			v, err := a.path.get(s)
			if err != nil {
				if err.notFound {
					return nil, runtimeErr(fmt.Sprintf("The JSONPath '%s' specified for the intrinsic function '%s' could not be found in the input '%s'", a.path.src, c.name, mustEncode(rootOf(a.path, s))))
				}
				return nil, err.e
			}
			args[i] = v
		case argCall:
			v, err := a.call.eval(s)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
	}
	return c.fn.eval(c, args)
}

func rootOf(p *Path, s Scope) any {
	v, _ := p.rootValue(s)
	return v
}

type intrinsicParser struct {
	s string
	i int
}

func (p *intrinsicParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *intrinsicParser) call(depth int) (*IntrinsicCall, error) {
	if depth >= maxIntrinsicDepth {
		return nil, fmt.Errorf("more than %d nested intrinsic functions", maxIntrinsicDepth)
	}
	start := p.i
	if !strings.HasPrefix(p.s[p.i:], "States.") {
		return nil, fmt.Errorf("expected a function name starting with 'States.' at offset %d", p.i)
	}
	p.i += len("States.")
	for p.i < len(p.s) && isVarChar(p.s[p.i]) {
		p.i++
	}
	name := p.s[start:p.i]
	fn, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, fmt.Errorf("expected '(' after %s", name)
	}
	p.i++
	c := &IntrinsicCall{name: name, fn: fn}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ')' {
		p.i++
	} else {
		for {
			p.skipSpace()
			a, err := p.arg(depth)
			if err != nil {
				return nil, fmt.Errorf("%s argument %d: %w", name, len(c.args)+1, err)
			}
			c.args = append(c.args, a)
			p.skipSpace()
			if p.i >= len(p.s) {
				return nil, fmt.Errorf("missing ')' to close %s", name)
			}
			if p.s[p.i] == ')' {
				p.i++
				break
			}
			if p.s[p.i] != ',' {
				return nil, fmt.Errorf("expected ',' or ')' at offset %d", p.i)
			}
			p.i++
		}
	}
	c.src = p.s[start:p.i]
	if err := fn.check(c); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *intrinsicParser) arg(depth int) (intrinsicArg, error) {
	if p.i >= len(p.s) {
		return intrinsicArg{}, errors.New("missing argument")
	}
	rest := p.s[p.i:]
	switch c := p.s[p.i]; {
	case c == '\'':
		return p.stringLit()
	case c == '$':
		return p.pathArg()
	case strings.HasPrefix(rest, "States."):
		call, err := p.call(depth + 1)
		if err != nil {
			return intrinsicArg{}, err
		}
		return intrinsicArg{kind: argCall, call: call}, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[j]) >= 0 {
			j++
		}
		text := p.s[p.i:j]
		n, ok := parseNumber(text)
		if !ok || !validJSONNumber(text) {
			return intrinsicArg{}, fmt.Errorf("invalid number %q", text)
		}
		_ = n
		p.i = j
		return intrinsicArg{kind: argLiteral, lit: jsonNumber(text)}, nil
	}
	for _, kw := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(rest, kw.text) && (len(rest) == len(kw.text) || !isVarChar(rest[len(kw.text)])) {
			p.i += len(kw.text)
			return intrinsicArg{kind: argLiteral, lit: kw.v}, nil
		}
	}
	return intrinsicArg{}, fmt.Errorf("unexpected %q at offset %d", truncate(rest), p.i)
}

// stringLit parses a single-quoted literal; backslash escapes any
// character (\' \{ \} \\).
func (p *intrinsicParser) stringLit() (intrinsicArg, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 >= len(p.s) {
				return intrinsicArg{}, fmt.Errorf("unterminated string literal at offset %d", start)
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
			continue
		case '\'':
			raw := p.s[start+1 : p.i]
			p.i++
			return intrinsicArg{kind: argLiteral, lit: b.String(), raw: raw, str: true}, nil
		}
		b.WriteByte(c)
		p.i++
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string literal at offset %d", start)
}

// pathArg reads a path up to the ',' or ')' that ends the argument,
// skipping brackets, parentheses and quotes inside it.
func (p *intrinsicParser) pathArg() (intrinsicArg, error) {
	start := p.i
	depth := 0
	j := p.i
loop:
	for j < len(p.s) {
		switch c := p.s[j]; c {
		case '[', '(':
			depth++
		case ']':
			depth--
		case ')':
			if depth == 0 {
				break loop
			}
			depth--
		case ',':
			if depth == 0 {
				break loop
			}
		case '\'', '"':
			if depth > 0 {
				k, err := skipString(p.s, j)
				if err != nil {
					return intrinsicArg{}, err
				}
				j = k
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				break loop
			}
		}
		j++
	}
	path, err := compilePath(p.s[start:j])
	if err != nil {
		return intrinsicArg{}, fmt.Errorf("invalid path %q: %w", p.s[start:j], err)
	}
	p.i = j
	return intrinsicArg{kind: argPath, path: path}, nil
}

// validJSONNumber reports whether s is a JSON number.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
