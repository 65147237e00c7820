package asl

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/asl/jsonata"
)

// jsonataLang is the JSONata query language strategy: a state's data flow
// is Arguments -> (work) -> Output, with Assign beside Output, and any
// value may be a "{% expression %}" template.
type jsonataLang struct{}

func (jsonataLang) name() string { return langJSONata }

// jsonPathOnlyFields are the JSONPath data-flow fields a JSONata state may
// not have.
var jsonPathOnlyFields = []string{"InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "ItemsPath",
	"TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
	"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "Result"}

// jsonataFields are the fields a JSONata state of each type has beside
// its type's common ones.
var jsonataFields = map[string][]string{
	"Pass":     {"Output"},
	"Task":     {"Arguments", "Output"},
	"Choice":   {"Output"},
	"Wait":     {"Output"},
	"Succeed":  {"Output"},
	"Parallel": {"Arguments", "Output"},
	"Map":      {"Items", "Output"},
}

// isTemplate reports whether s is a whole-string JSONata template and
// returns its expression.
func isTemplate(s string) (string, bool) {
	if len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}

// jvalue is a compiled JSONata-mode value: a literal, a "{% %}" expression,
// or an object or array holding some.
type jvalue struct {
	field string // where the value is, as AWS names it in errors ("Output/result")
	lit   any    // the whole value when it holds no expression
	ex    *jsonata.Expr
	src   string
	keys  []string
	elems []*jvalue
	obj   bool
	dyn   bool // holds an expression
}

// compileJValue compiles v, reporting expressions that do not compile.
func (c *compiler) compileJValue(v any, field, at string) *jvalue {
	switch x := v.(type) {
	case string:
		src, ok := isTemplate(x)
		if !ok {
			return &jvalue{field: field, lit: x}
		}
		e, err := jsonata.Compile(src)
		if err != nil {
			c.schema(at, "The value for the field '%s' must be a valid JSONata expression: %s", lastSegment(field), jsonataMessage(err))
			return &jvalue{field: field, lit: x}
		}
		return &jvalue{field: field, ex: e, src: src, dyn: true}
	case map[string]any:
		jv := &jvalue{field: field, lit: x, obj: true}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := c.compileJValue(x[k], field+"/"+k, at)
			jv.keys = append(jv.keys, k)
			jv.elems = append(jv.elems, e)
			jv.dyn = jv.dyn || e.dyn
		}
		return jv
	case []any:
		jv := &jvalue{field: field, lit: x}
		for i, e := range x {
			ce := c.compileJValue(e, fmt.Sprintf("%s[%d]", field, i), at)
			jv.elems = append(jv.elems, ce)
			jv.dyn = jv.dyn || ce.dyn
		}
		return jv
	}
	return &jvalue{field: field, lit: v}
}

func lastSegment(field string) string {
	return field[strings.LastIndex(field, "/")+1:]
}

// states is what $states holds for an evaluation.
type states struct {
	input       any
	result      any
	hasResult   bool
	errorOutput any
	hasError    bool
}

// eval evaluates the value for the state's scope.
func (jv *jvalue) eval(ev *evalEnv, s states) (any, error) {
	if !jv.dyn {
		return jv.lit, nil
	}
	vars := jsonataVars(ev, s)
	return jv.evalWith(ev, vars)
}

func (jv *jvalue) evalWith(ev *evalEnv, vars map[string]any) (any, error) {
	switch {
	case !jv.dyn:
		return jv.lit, nil
	case jv.ex != nil:
		return evalExpr(jv.ex, jv.src, jv.field, ev, vars)
	case jv.obj:
		out := make(map[string]any, len(jv.keys))
		for i, k := range jv.keys {
			v, err := jv.elems[i].evalWith(ev, vars)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	default:
		out := make([]any, len(jv.elems))
		for i, e := range jv.elems {
			v, err := e.evalWith(ev, vars)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
}

// evalExpr evaluates one expression; undefined and JSONata errors become
// States.QueryEvaluationError.
func evalExpr(e *jsonata.Expr, src, field string, ev *evalEnv, vars map[string]any) (any, error) {
	v, err := e.EvalWith(nil, vars, ev.jsonataOptions())
	if err == nil {
		return v, nil
	}
	if errors.Is(err, jsonata.ErrUndefined) {
		return nil, &expr.Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", src, field)}
	}
	return nil, &expr.Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation: %s", src, field, jsonataMessage(err))}
}

func jsonataMessage(err error) string {
	var je *jsonata.Error
	if errors.As(err, &je) {
		return je.Error()
	}
	return err.Error()
}

// jsonataVars is the variable scope of an evaluation: the workflow
// variables and $states.
func jsonataVars(ev *evalEnv, s states) map[string]any {
	st := map[string]any{"input": s.input}
	if ev.ctxObj != nil {
		st["context"] = ev.ctxObj
	}
	if s.hasResult {
		st["result"] = s.result
	}
	if s.hasError {
		st["errorOutput"] = s.errorOutput
	}
	vars := make(map[string]any, len(ev.vars)+1)
	for k, v := range ev.vars {
		vars[k] = v
	}
	vars["states"] = st
	return vars
}

// scopeEnv is the evaluation environment of a scope built by
// evalEnv.scope.
func scopeEnv(sc expr.Scope) *evalEnv {
	ctxObj, _ := sc.Context.(map[string]any)
	opts, _ := sc.Opaque.(*jsonata.Options)
	return &evalEnv{ctxObj: ctxObj, vars: sc.Vars, opts: opts}
}

// jsonataOptions are the evaluation options of the state: $eval disabled,
// the clock and the random source from the host.
func (e *evalEnv) jsonataOptions() *jsonata.Options {
	if e.opts == nil {
		e.opts = &jsonata.Options{DisableEval: true}
	}
	return e.opts
}

// jsonataIO is a JSONata state's compiled data flow.
type jsonataIO struct {
	typ         string
	args        *jvalue // Arguments (Task, Parallel) or ItemSelector (Map)
	outputField *jvalue
	assignBlock *jsonataAssign
}

func (l jsonataLang) compileState(c *compiler, raw map[string]any, at, typ string) stateIO {
	io := &jsonataIO{typ: typ}
	if v, ok := raw["Arguments"]; ok {
		io.args = c.compileJValue(v, "Arguments", at+"/Arguments")
	}
	if v, ok := raw["ItemSelector"]; ok && typ == "Map" {
		io.args = c.compileJValue(v, "ItemSelector", at+"/ItemSelector")
	}
	if v, ok := raw["Output"]; ok {
		io.outputField = c.compileJValue(v, "Output", at+"/Output")
	}
	if a := l.compileAssign(c, raw["Assign"], at+"/Assign"); a != nil {
		io.assignBlock = a.(*jsonataAssign)
	}
	return io
}

func (io *jsonataIO) input(_ *evalEnv, raw any) (any, error) { return raw, nil }

func (io *jsonataIO) arguments(ev *evalEnv, eff any) (any, bool, error) {
	if io.args == nil {
		return eff, false, nil
	}
	v, err := io.args.eval(ev, states{input: eff})
	if err == nil {
		ev.inspect(StageAfterArguments, v)
	}
	return v, true, err
}

func (io *jsonataIO) checkArguments(ev *evalEnv, eff any) error {
	_, _, err := io.arguments(ev, eff)
	return err
}

func (io *jsonataIO) selectResult(_ *evalEnv, result any) (any, error) { return result, nil }

// hasResult reports whether the state type produces a result ($states.result).
func (io *jsonataIO) hasResult() bool {
	return io.typ == "Task" || io.typ == "Map" || io.typ == "Parallel"
}

func (io *jsonataIO) output(ev *evalEnv, raw, result any) (any, error) {
	if io.outputField == nil {
		return result, nil
	}
	return io.outputField.eval(ev, states{input: raw, result: result, hasResult: io.hasResult()})
}

func (io *jsonataIO) assign(ev *evalEnv, value any) (map[string]any, error) {
	if io.assignBlock == nil {
		return nil, nil
	}
	if !io.hasResult() {
		return io.assignBlock.evalStates(ev, states{input: value})
	}
	return io.assignBlock.evalStates(ev, states{input: ev.input, result: value, hasResult: true})
}

// jsonataAssign is an Assign block whose values are JSONata-mode values.
type jsonataAssign struct{ v *jvalue }

func (a *jsonataAssign) eval(ev *evalEnv, value any) (map[string]any, error) {
	return a.evalStates(ev, states{input: value})
}

func (a *jsonataAssign) evalStates(ev *evalEnv, s states) (map[string]any, error) {
	v, err := a.v.eval(ev, s)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func (jsonataLang) compileAssign(c *compiler, raw any, at string) assigner {
	m := c.assignObject(raw, at, "")
	if m == nil {
		return nil
	}
	return &jsonataAssign{c.compileJValue(m, "Assign", at)}
}

// jsonataCatch is a Catcher's JSONata data flow: Output and Assign over
// $states.errorOutput.
type jsonataCatch struct {
	out       *jvalue
	assignBlk *jsonataAssign
}

func (cc *jsonataCatch) output(ev *evalEnv, raw, errOut any) (any, error) {
	if cc.out == nil {
		return errOut, nil
	}
	return cc.out.eval(ev, states{input: raw, errorOutput: errOut, hasError: true})
}

func (cc *jsonataCatch) assign(ev *evalEnv, errOut any) (map[string]any, error) {
	if cc.assignBlk == nil {
		return nil, nil
	}
	return cc.assignBlk.evalStates(ev, states{input: ev.input, errorOutput: errOut, hasError: true})
}

func (l jsonataLang) compileCatch(c *compiler, raw map[string]any, at string) catchIO {
	cc := &jsonataCatch{}
	for _, f := range []string{"ResultPath"} {
		if _, ok := raw[f]; ok {
			c.schema(at+"/"+f, "The field '%s' is not supported for JSONata (QueryLanguage: JSONata)", f)
		}
	}
	if v, ok := raw["Output"]; ok {
		cc.out = c.compileJValue(v, "Output", at+"/Output")
	}
	if a := l.compileAssign(c, raw["Assign"], at+"/Assign"); a != nil {
		cc.assignBlk = a.(*jsonataAssign)
	}
	return cc
}

// jsonataCondition is a Choice rule's Condition.
type jsonataCondition struct{ v *jvalue }

func (jc jsonataCondition) Eval(sc expr.Scope) (bool, error) {
	v, err := jc.v.eval(scopeEnv(sc), states{input: sc.Input})
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		src := jc.v.src
		if src == "" {
			src = EncodeJSON(jc.v.lit)
		}
		return false, &expr.Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf("The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", src, expr.TypeName(v), EncodeJSON(v))}
	}
	return b, nil
}

func (jsonataLang) compileRule(c *compiler, raw map[string]any, at string) condition {
	v, ok := raw["Condition"]
	if !ok {
		c.schema(at, "The field 'Condition' is required in a JSONata choice rule")
		return nil
	}
	for k := range raw {
		if k != "Condition" && k != "Output" {
			c.schema(at+"/"+escapePointer(k), "The field '%s' is not supported for JSONata (QueryLanguage: JSONata)", k)
		}
	}
	_, isBool := v.(bool)
	s, _ := v.(string)
	if _, isT := isTemplate(s); !isBool && !isT {
		c.schema(at+"/Condition", "The value for the field 'Condition' must be a BOOLEAN or a JSONata expression")
	}
	return jsonataCondition{c.compileJValue(v, "Condition", at+"/Condition")}
}

// jsonataRef is a field that takes a value in JSONata mode (Items,
// TimeoutSeconds, Seconds, Error, ...): a literal or an expression.
type jsonataRef struct{ v *jvalue }

func (r *jsonataRef) String() string {
	if r.v.src != "" {
		return r.v.src
	}
	return EncodeJSON(r.v.lit)
}

func (r *jsonataRef) get(sc expr.Scope) (any, error) {
	return r.v.eval(scopeEnv(sc), states{input: sc.Input})
}

// isExpr reports whether the field is an expression (not a literal).
func (r *jsonataRef) isExpr() bool { return r.v.ex != nil }

func (jsonataLang) compileRef(c *compiler, raw any, at string, _ bool) valueRef {
	if raw == nil {
		return nil
	}
	field := at[strings.LastIndex(at, "/")+1:]
	return &jsonataRef{c.compileJValue(raw, field, at)}
}

// jsonataRandom returns the random source of a JSONata evaluation in a
// state: the host's when it has one (see RandomSource), else a generator
// seeded by the execution, the thread and the state's entered event, so
// that a run is reproducible under a fake clock.
func jsonataRandom(host Host, seed string) func() float64 {
	if rs, ok := host.(RandomSource); ok {
		return rs.Random
	}
	h := fnv.New64a()
	h.Write([]byte(seed))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))
	return r.Float64
}
