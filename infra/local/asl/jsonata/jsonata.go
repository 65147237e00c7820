package jsonata

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"time"
)

// Default guardrails; see Options.
const (
	// DefaultMaxDepth is the default bound on nested evaluations (D1011).
	DefaultMaxDepth = 10000
	// DefaultMaxSteps is the default bound on evaluation steps (D1012).
	DefaultMaxSteps = 50_000_000
	// maxNesting bounds the syntactic nesting of an expression, so that
	// parsing cannot exhaust the stack.
	maxNesting = 2000
)

// Options tune one evaluation. The zero value (or nil) is usable: wall
// clock for $now and $millis, a random source for $random, $shuffle and
// $uuid, and the default guardrails.
type Options struct {
	// Now gives the timestamp that $now() and $millis() report (one
	// timestamp for the whole evaluation). Defaults to time.Now.
	Now func() time.Time
	// Random returns numbers in [0, 1) for $random() without a seed,
	// $shuffle and $uuid. Inject a seeded source to make them reproducible.
	Random func() float64
	// UUID, when set, is what $uuid() returns.
	UUID func() string
	// MaxDepth bounds the evaluation depth (nested evaluations, which
	// recursion grows); exceeding it raises D1011. 0 means DefaultMaxDepth;
	// a negative value disables the bound (the Go stack then limits it).
	MaxDepth int
	// MaxSteps bounds the number of evaluation steps, so that a runaway
	// tail-recursive loop ends; exceeding it raises D1012. 0 means
	// DefaultMaxSteps; a negative value disables the bound.
	MaxSteps int64
	// Timeout bounds the wall-clock time of the evaluation (D1012). 0
	// means no time limit.
	Timeout time.Duration
	// DisableEval makes $eval fail (D3155), as Step Functions does not
	// offer it.
	DisableEval bool
}

// Expr is a compiled JSONata expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	source string
	ast    *node
}

// Compile parses a JSONata expression. Syntax errors are *Error values with
// a static error code (S0101...).
func Compile(expr string) (e *Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, internalError(r)
		}
	}()
	ast, perr := parse(expr)
	if perr != nil {
		return nil, fmt.Errorf("compile %q: %w", truncate(expr), perr)
	}
	return &Expr{source: expr, ast: ast}, nil
}

// MustCompile is Compile for expressions known to be valid; it panics on a
// syntax error.
func MustCompile(expr string) *Expr {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.source }

// Eval evaluates the expression against input with the variables vars
// bound (a key "states" is $states), using default Options. See EvalWith.
func (e *Expr) Eval(input any, vars map[string]any) (any, error) {
	return e.EvalWith(input, vars, nil)
}

// EvalWith evaluates the expression. Input and variable values are plain
// Go JSON values as the ASL engine uses them (nil, bool, string,
// json.Number or other Go numbers, []any, map[string]any) or *Document;
// they are never modified. The result uses the same types, numbers being
// json.Number formatted as JavaScript prints them. An expression that
// produces no value returns ErrUndefined; a failure is an *Error carrying
// the JSONata error code.
func (e *Expr) EvalWith(input any, vars map[string]any, opts *Options) (result any, err error) {
	return e.eval(toInternal(input), vars, opts)
}

// undefinedInput is the internal input that stands for "no input".
type undefinedInput struct{}

func toInternal(v any) any {
	switch x := v.(type) {
	case *Document:
		return x.v
	case undefinedInput:
		return nil
	}
	return norm(v)
}

func (e *Expr) eval(input any, vars map[string]any, opts *Options) (result any, err error) {
	ev := &evaluator{opts: opts, maxDepth: DefaultMaxDepth, maxSteps: DefaultMaxSteps}
	now := time.Now
	if opts != nil {
		if opts.Now != nil {
			now = opts.Now
		}
		switch {
		case opts.MaxDepth > 0:
			ev.maxDepth = opts.MaxDepth
		case opts.MaxDepth < 0:
			ev.maxDepth = 0
		}
		switch {
		case opts.MaxSteps > 0:
			ev.maxSteps = opts.MaxSteps
		case opts.MaxSteps < 0:
			ev.maxSteps = 0
		}
		if opts.Timeout > 0 {
			ev.timeLimit = opts.Timeout
			ev.deadline = time.Now().Add(opts.Timeout)
		}
	}
	ev.clock = now
	defer func() {
		if r := recover(); r != nil {
			result = nil
			if je, ok := r.(*Error); ok {
				ev.decorateError(je, 0)
				je.populate()
				err = je
				return
			}
			err = internalError(r)
		}
	}()
	env := &frame{names: make([]string, 0, len(vars)+1), values: make([]any, 0, len(vars)+1)}
	for k, v := range vars {
		env.bind(k, toInternal(v))
	}
	if a, ok := input.(*array); ok && !a.sequence {
		input = &array{vals: []any{a}, sequence: true, outerWrapper: true}
	}
	env.bind("$", input)
	out := ev.evaluate(e.ast, input, env)
	if out == nil || isFunction(out) {
		return nil, ErrUndefined
	}
	return toGo(out), nil
}

func internalError(r any) *Error {
	e := &Error{Code: "U0000", fn: fmt.Sprintf("%v\n%s", r, debug.Stack())}
	e.populate()
	return e
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// toGo converts an evaluator value to the caller's JSON types.
func toGo(v any) any {
	switch x := v.(type) {
	case nil, nullValue:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return json.Number(formatNumberJS(x))
	case string, bool:
		return x
	case *array:
		out := make([]any, 0, len(x.vals))
		for _, e := range x.vals {
			if isFunction(e) {
				out = append(out, nil)
				continue
			}
			out = append(out, toGo(e))
		}
		return out
	case *object:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			e := x.vals[k]
			if e == nil || isFunction(e) {
				continue
			}
			out[k] = toGo(e)
		}
		return out
	case map[string]any:
		return x
	case tuple:
		return toGo(x["@"])
	}
	return nil
}
