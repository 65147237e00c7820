package asl

import (
	"errors"
	"fmt"
	"strings"

	"loanflow/infra/local/asl/expr"
)

// jsonPathLang is the JSONPath query language strategy.
type jsonPathLang struct{}

func (jsonPathLang) name() string { return langJSONPath }

// optPath is an InputPath/OutputPath: absent means "$", null means {}.
type optPath struct {
	set  bool
	null bool
	raw  string
	p    *expr.Path
}

func (o *optPath) apply(ev *evalEnv, v any) (any, error) {
	switch {
	case !o.set:
		return v, nil
	case o.null:
		return map[string]any{}, nil
	}
	if v == nil && o.p.Root() == expr.RootInput && o.raw != "$" {
		return nil, &expr.Error{Name: ErrRuntime, Cause: "Unable to apply Path transformation to null or empty input."}
	}
	return o.p.Get(ev.scope(v))
}

type jsonPathIO struct {
	inputPath, outputPath optPath
	resultPathSet         bool
	resultPathNull        bool
	resultPath            string
	params                *expr.Template
	resultSelector        *expr.Template
	assignBlock           assigner
}

func (c *compiler) optPath(raw map[string]any, field, at string) optPath {
	v, ok := raw[field]
	if !ok {
		return optPath{}
	}
	if v == nil {
		return optPath{set: true, null: true}
	}
	s, isStr := v.(string)
	if !isStr {
		c.schema(at+"/"+field, "The value for the field '%s' must be a STRING", field)
		return optPath{}
	}
	p, err := expr.CompilePath(s)
	if err != nil {
		c.schema(at+"/"+field, "The value for the field '%s' must be a valid JSONPath: %v", field, exprMessage(err))
		return optPath{}
	}
	return optPath{set: true, raw: s, p: p}
}

func (c *compiler) template(raw map[string]any, field, at string) *expr.Template {
	v, ok := raw[field]
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj && field != "Parameters" && field != "ItemSelector" {
		c.schema(at+"/"+field, "The value for the field '%s' must be an OBJECT", field)
		return nil
	}
	t, err := expr.CompileTemplate(v)
	if err != nil {
		c.schema(at+"/"+field, "The value for the field '%s' is not valid: %v", field, exprMessage(err))
		return nil
	}
	return t
}

func (l jsonPathLang) compileState(c *compiler, raw map[string]any, at, typ string) stateIO {
	io := &jsonPathIO{}
	if typ != "Fail" {
		io.inputPath = c.optPath(raw, "InputPath", at)
		io.outputPath = c.optPath(raw, "OutputPath", at)
	}
	if v, ok := raw["ResultPath"]; ok {
		io.resultPathSet = true
		switch s := v.(type) {
		case nil:
			io.resultPathNull = true
		case string:
			if _, err := expr.SetResultPath(map[string]any{}, s, nil); err != nil && !isRuntime(err) {
				c.schema(at+"/ResultPath", "The value for the field 'ResultPath' must be a valid ReferencePath: %v", exprMessage(err))
			}
			io.resultPath = s
		default:
			c.schema(at+"/ResultPath", "The value for the field 'ResultPath' must be a STRING")
		}
	}
	io.params = c.template(raw, "Parameters", at)
	if typ == "Map" {
		if _, ok := raw["ItemSelector"]; ok {
			io.params = c.template(raw, "ItemSelector", at)
		}
	}
	io.resultSelector = c.template(raw, "ResultSelector", at)
	io.assignBlock = l.compileAssign(c, raw["Assign"], at+"/Assign")
	return io
}

func isRuntime(err error) bool {
	var ee *expr.Error
	return errors.As(err, &ee) && ee.Name == ErrRuntime
}

// resultMember returns key when the state's output is its raw input with
// the result set at member key (ResultPath "$.key", no OutputPath), else "".
func (io *jsonPathIO) resultMember() string {
	if !io.resultPathSet || io.resultPathNull || io.outputPath.set {
		return ""
	}
	return simpleMember(io.resultPath)
}

func (io *jsonPathIO) input(ev *evalEnv, raw any) (any, error) {
	v, err := io.inputPath.apply(ev, raw)
	if err == nil {
		ev.inspect(StageAfterInputPath, v)
	}
	return v, err
}

func (io *jsonPathIO) arguments(ev *evalEnv, eff any) (any, bool, error) {
	if io.params == nil {
		ev.inspect(StageAfterParameters, eff)
		return eff, false, nil
	}
	v, err := io.params.Eval(ev.scope(eff))
	if err == nil {
		ev.inspect(StageAfterParameters, v)
	}
	return v, true, err
}

func (io *jsonPathIO) checkArguments(ev *evalEnv, eff any) error {
	if io.params == nil {
		return nil
	}
	return io.params.Check(ev.scope(eff))
}

func (io *jsonPathIO) selectResult(ev *evalEnv, result any) (any, error) {
	if io.resultSelector == nil {
		ev.inspect(StageAfterResultSelector, result)
		return result, nil
	}
	v, err := io.resultSelector.Eval(ev.scope(result))
	if err == nil {
		ev.inspect(StageAfterResultSelector, v)
	}
	return v, err
}

func (io *jsonPathIO) output(ev *evalEnv, raw, result any) (any, error) {
	merged, err := applyResultPath(io.resultPathSet, io.resultPathNull, io.resultPath, raw, result)
	if err != nil {
		return nil, err
	}
	ev.inspect(StageAfterResultPath, merged)
	return io.outputPath.apply(ev, merged)
}

func applyResultPath(set, null bool, path string, raw, result any) (any, error) {
	switch {
	case !set:
		return result, nil
	case null:
		return raw, nil
	}
	out, err := expr.SetResultPath(raw, path, result)
	if err != nil {
		var ee *expr.Error
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("Invalid path '%s': %v", path, err)}
	}
	return out, nil
}

func (io *jsonPathIO) assign(ev *evalEnv, value any) (map[string]any, error) {
	if io.assignBlock == nil {
		return nil, nil
	}
	return io.assignBlock.eval(ev, value)
}

// jsonPathAssign is an Assign block compiled as a payload template: keys
// ending in ".$" are evaluated, the rest are literal.
type jsonPathAssign struct{ t *expr.Template }

func (a jsonPathAssign) eval(ev *evalEnv, value any) (map[string]any, error) {
	v, err := a.t.Eval(ev.scope(value))
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func (jsonPathLang) compileAssign(c *compiler, raw any, at string) assigner {
	m := c.assignObject(raw, at, ".$")
	if m == nil {
		return nil
	}
	t, err := expr.CompileTemplate(m)
	if err != nil {
		c.schema(at, "The value for the field 'Assign' is not valid: %v", exprMessage(err))
		return nil
	}
	return jsonPathAssign{t}
}

// assignObject checks an Assign block, in either query language: an object
// whose keys, less suffix (JSONPath's ".$"), are valid variable names. It
// returns the block, nil when there is none or it is no object.
func (c *compiler) assignObject(raw any, at, suffix string) map[string]any {
	if raw == nil {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		c.schema(at, "The value for the field 'Assign' must be an OBJECT")
		return nil
	}
	for k := range m {
		if name := strings.TrimSuffix(k, suffix); !validVarName(name) {
			c.schema(at, "The variable name '%s' is not valid", name)
		}
	}
	return m
}

func validVarName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

type jsonPathCatch struct {
	set, null bool
	path      string
	assignBlk assigner
}

func (cc *jsonPathCatch) output(_ *evalEnv, raw, errOut any) (any, error) {
	return applyResultPath(cc.set, cc.null, cc.path, raw, errOut)
}

func (cc *jsonPathCatch) assign(ev *evalEnv, errOut any) (map[string]any, error) {
	if cc.assignBlk == nil {
		return nil, nil
	}
	return cc.assignBlk.eval(ev, errOut)
}

func (l jsonPathLang) compileCatch(c *compiler, raw map[string]any, at string) catchIO {
	cc := &jsonPathCatch{}
	if v, ok := raw["ResultPath"]; ok {
		cc.set = true
		switch s := v.(type) {
		case nil:
			cc.null = true
		case string:
			cc.path = s
		default:
			c.schema(at+"/ResultPath", "The value for the field 'ResultPath' must be a STRING")
		}
	}
	cc.assignBlk = l.compileAssign(c, raw["Assign"], at+"/Assign")
	return cc
}

func (jsonPathLang) compileRule(c *compiler, raw map[string]any, at string) condition {
	r, err := expr.CompileRule(raw)
	if err != nil {
		c.schema(at, "%s", exprMessage(err))
		return nil
	}
	return r
}

// pathRef is a *Path field: a reference path or an intrinsic function.
type pathRef struct {
	field     string
	raw       string
	p         *expr.Path
	intrinsic bool
}

func (r *pathRef) String() string { return r.raw }

func (r *pathRef) get(sc expr.Scope) (any, error) {
	if r.intrinsic {
		return expr.Intrinsic(r.raw, sc)
	}
	return r.p.GetField(sc, r.field)
}

func (jsonPathLang) compileRef(c *compiler, raw any, at string, allowIntrinsic bool) valueRef {
	if raw == nil {
		return nil
	}
	field := at[strings.LastIndex(at, "/")+1:]
	s, ok := raw.(string)
	if !ok {
		c.schema(at, "The value for the field '%s' must be a STRING", field)
		return nil
	}
	if allowIntrinsic && strings.HasPrefix(s, "States.") {
		if _, err := expr.CompileIntrinsic(s); err != nil {
			c.schema(at, "The value for the field '%s' must be a valid intrinsic function: %v", field, exprMessage(err))
			return nil
		}
		return &pathRef{field: field, raw: s, intrinsic: true}
	}
	p, err := expr.CompilePath(s)
	if err != nil {
		c.schema(at, "The value for the field '%s' must be a valid JSONPath", field)
		return nil
	}
	return &pathRef{field: field, raw: s, p: p}
}

func exprMessage(err error) string {
	var ee *expr.Error
	if errors.As(err, &ee) {
		return ee.Cause
	}
	return err.Error()
}
