package asl

import (
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/asl/jsonata"
)

// Query language names as written in "QueryLanguage".
const (
	langJSONPath = "JSONPath"
	langJSONata  = "JSONata"
)

// queryLanguage is the per-state strategy that compiles a state's data-flow
// fields. The interpreter only talks to the compiled stateIO, so adding
// JSONata means adding one implementation, not ifs in the interpreter.
type queryLanguage interface {
	name() string
	// compileState compiles the data-flow fields of raw (the state's JSON
	// object at pointer at), reporting problems to c.
	compileState(c *compiler, raw map[string]any, at, typ string) stateIO
	// compileRef compiles a field that names a value (ErrorPath,
	// SecondsPath, ItemsPath, ...); nil raw means the field is absent.
	compileRef(c *compiler, raw any, at string, allowIntrinsic bool) valueRef
	// compileAssign compiles an Assign block (nil when absent).
	compileAssign(c *compiler, raw any, at string) assigner
	// compileCatch compiles a Catcher's data-flow fields.
	compileCatch(c *compiler, raw map[string]any, at string) catchIO
	// compileRule compiles a Choice rule.
	compileRule(c *compiler, raw map[string]any, at string) condition
}

// condition is a compiled Choice rule: a JSONPath rule or a JSONata
// Condition.
type condition interface {
	Eval(sc expr.Scope) (bool, error)
}

// evalEnv is what expressions see besides the input: the context object $$
// and the variables visible in the current scope.
type evalEnv struct {
	ctxObj map[string]any
	vars   map[string]any
	// input is the state's raw input ($states.input where the value
	// evaluated is a result); opts are the JSONata evaluation options
	// (JSONata states only).
	input any
	opts  *jsonata.Options
	// insp sees the data flow of a state TestState runs (nil otherwise).
	insp Inspector
}

func (e *evalEnv) scope(input any) expr.Scope {
	sc := expr.Scope{Input: input, Context: e.ctxObj, Vars: e.vars}
	if e.opts != nil {
		sc.Opaque = e.opts
	}
	return sc
}

// stateIO is a state's compiled data flow:
// InputPath -> Parameters -> (work) -> ResultSelector -> ResultPath -> OutputPath.
type stateIO interface {
	// input applies InputPath to the raw state input.
	input(ev *evalEnv, raw any) (any, error)
	// arguments applies Parameters (ItemSelector for Map items); ok is false
	// when the state has none and the effective input is used as is.
	arguments(ev *evalEnv, effective any) (v any, ok bool, err error)
	// checkArguments fails as arguments would, without keeping its value.
	checkArguments(ev *evalEnv, effective any) error
	// selectResult applies ResultSelector.
	selectResult(ev *evalEnv, result any) (any, error)
	// output merges the result into the raw input (ResultPath) and applies
	// OutputPath.
	output(ev *evalEnv, raw, result any) (any, error)
	// assign evaluates the state's Assign block against value; nil map when
	// the state assigns nothing.
	assign(ev *evalEnv, value any) (map[string]any, error)
}

// assigner evaluates an Assign block, all expressions seeing the variables
// as they were before the block.
type assigner interface {
	eval(ev *evalEnv, value any) (map[string]any, error)
}

// catchIO is a Catcher's data flow: its ResultPath and Assign.
type catchIO interface {
	output(ev *evalEnv, raw, errOutput any) (any, error)
	assign(ev *evalEnv, errOutput any) (map[string]any, error)
}

var queryLanguages = map[string]queryLanguage{
	langJSONPath: jsonPathLang{},
	langJSONata:  jsonataLang{},
}

// languageFor returns the strategy for name, or nil and false when the
// language is unknown.
func languageFor(name string) (queryLanguage, bool) {
	l, ok := queryLanguages[name]
	return l, ok
}

// mergeVars returns a copy of vars with set applied; vars is never modified,
// because outer scopes and checkpoints may share it.
func mergeVars(vars, set map[string]any) map[string]any {
	if len(set) == 0 {
		return vars
	}
	out := make(map[string]any, len(vars)+len(set))
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}
