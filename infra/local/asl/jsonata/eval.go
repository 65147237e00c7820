package jsonata

import (
	"math"
	"sync"
	"time"

	aslexpr "loanflow/infra/local/asl/expr"
)

// The evaluator is a port of jsonata-js's jsonata.js, made synchronous.
// JSONata errors are raised with throw (a panic carrying *Error) and
// recovered at the package boundary, which mirrors the reference
// implementation's exceptions and keeps the port close to it.

// frame is a variable scope.
type frame struct {
	names  []string
	values []any
	parent *frame
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) bind(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.values[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.values = append(f.values, v)
}

// lookup finds a variable; builtins are found last.
func (f *frame) lookup(name string) any {
	for fr := f; fr != nil; fr = fr.parent {
		for i := len(fr.names) - 1; i >= 0; i-- {
			if fr.names[i] == name {
				return fr.values[i]
			}
		}
	}
	if b, ok := builtins()[name]; ok {
		return b
	}
	return nil
}

func frameFromTuple(env *frame, t tuple) *frame {
	f := &frame{parent: env, names: make([]string, 0, len(t)), values: make([]any, 0, len(t))}
	for k, v := range t {
		f.names = append(f.names, k)
		f.values = append(f.values, v)
	}
	return f
}

// lambda is a user-defined function (or a partially applied one).
type lambda struct {
	input     any
	env       *frame
	params    []string
	signature *signature
	body      *node
	thunk     bool
	// native is set for a partially applied built-in: it is called with the
	// values of nativeParams looked up in the invocation frame.
	native       *builtin
	nativeParams []string
}

// placeholder is the '?' argument of a partial application.
type placeholder struct{}

// call is what a built-in function sees of its invocation (JS: this).
type call struct {
	ev    *evaluator
	env   *frame
	input any
}

// builtin is a native function.
type builtin struct {
	name    string
	sig     *signature
	arity   int // JS implementation.length: the HOF argument count
	nparams int // declared parameters, for partial application
	fn      func(c *call, args []any) any
}

// regexValue is an evaluated regex literal; it is a function.
type regexValue struct {
	lit      *regexLiteral
	position int
}

// evaluator holds the state of one evaluation (environment.base).
type evaluator struct {
	depth     int
	maxDepth  int
	steps     int64
	maxSteps  int64
	deadline  time.Time
	timeLimit time.Duration
	timestamp time.Time // see now()
	clock     func() time.Time
	opts      *Options
	// sites are the active regions whose errors the reference
	// implementation decorates in a catch block (operator, function call,
	// function application), innermost last. A thrown error unwinds past
	// them without running anything; the boundary that recovers it applies
	// the decorations (see decorateError), which keeps unwinding linear.
	sites []site
}

type siteKind uint8

const (
	// siteOperator: the error takes the operator's position and token.
	siteOperator siteKind = iota
	// siteCall: position and token are set when still missing.
	siteCall
	// siteApply: token set when missing; position replaced when known.
	siteApply
)

type site struct {
	kind  siteKind
	pos   int
	token string
}

func (ev *evaluator) enter(kind siteKind, pos int, token string) int {
	ev.sites = append(ev.sites, site{kind: kind, pos: pos, token: token})
	return len(ev.sites) - 1
}

func (ev *evaluator) leave(mark int) { ev.sites = ev.sites[:mark] }

// decorateError applies the decorations of the sites above mark to e, as
// the reference implementation's catch blocks would have on the way out,
// and drops those sites.
func (ev *evaluator) decorateError(e *Error, mark int) {
	for i := len(ev.sites) - 1; i >= mark; i-- {
		s := ev.sites[i]
		switch s.kind {
		case siteOperator:
			e.setPos(s.pos)
			e.setToken(s.token)
		case siteCall:
			if !e.hasPos {
				e.setPos(s.pos)
			}
			if !e.hasToken {
				e.setToken(s.token)
			}
		case siteApply:
			if !e.hasToken && s.token != "" {
				e.setToken(s.token)
			}
			if s.pos >= 0 {
				e.setPos(s.pos)
			}
		}
	}
	if mark < len(ev.sites) {
		ev.sites = ev.sites[:mark]
	}
}

func (ev *evaluator) guard() {
	ev.depth++
	if ev.maxDepth > 0 && ev.depth > ev.maxDepth {
		throw(&Error{Code: "D1011", Value: float64(ev.maxDepth)})
	}
	ev.steps++
	if ev.maxSteps > 0 && ev.steps > ev.maxSteps {
		throw(&Error{Code: "D1012", Value: float64(ev.timeLimit.Milliseconds())})
	}
	if ev.timeLimit > 0 && ev.steps&255 == 0 && time.Now().After(ev.deadline) {
		throw(&Error{Code: "D1012", Value: float64(ev.timeLimit.Milliseconds())})
	}
}

// now is the evaluation's timestamp, taken on first use and then fixed for
// the whole evaluation (as $now() and $millis() require).
func (ev *evaluator) now() time.Time {
	if ev.timestamp.IsZero() {
		ev.timestamp = ev.clock()
	}
	return ev.timestamp
}

// work charges native work (elements copied, compared or written) to the
// step budget, one step per 16 units, and checks the budget and the
// deadline, so that loops inside built-in functions cannot run away.
func (ev *evaluator) work(n int) {
	if ev == nil || n < 16 {
		if ev != nil {
			ev.steps++
		}
		return
	}
	ev.steps += int64(n / 16)
	if ev.maxSteps > 0 && ev.steps > ev.maxSteps {
		throw(&Error{Code: "D1012", Value: float64(ev.timeLimit.Milliseconds())})
	}
	if ev.timeLimit > 0 && time.Now().After(ev.deadline) {
		throw(&Error{Code: "D1012", Value: float64(ev.timeLimit.Milliseconds())})
	}
}

func (ev *evaluator) evaluate(expr *node, input any, env *frame) any {
	ev.guard()
	var result any
	switch expr.typ {
	case "path":
		result = ev.evaluatePath(expr, input, env)
	case "binary":
		result = ev.evaluateBinary(expr, input, env)
	case "unary":
		result = ev.evaluateUnary(expr, input, env)
	case tokName:
		result = lookupValue(input, expr.str())
	case tokString, tokNumber, tokValue:
		result = expr.value
	case "wildcard":
		result = evaluateWildcard(input)
	case "descendant":
		result = evaluateDescendants(input)
	case "parent":
		result = env.lookup(expr.slot.label)
	case "condition":
		c := ev.evaluate(expr.condition, input, env)
		if truthy(c) {
			result = ev.evaluate(expr.then, input, env)
		} else if expr.els != nil {
			result = ev.evaluate(expr.els, input, env)
		}
	case "block":
		f := newFrame(env)
		for _, e := range expr.expressions {
			result = ev.evaluate(e, input, f)
		}
	case "bind":
		result = ev.evaluate(expr.rhs, input, env)
		env.bind(expr.lhs.str(), result)
	case tokRegex:
		result = &regexValue{lit: expr.value.(*regexLiteral), position: expr.position}
	case "function":
		result = ev.evaluateFunction(expr, input, env, nil, false)
	case tokVariable:
		name := expr.str()
		if name == "" {
			if a, ok := input.(*array); ok && a.outerWrapper {
				result = a.vals[0]
			} else {
				result = input
			}
		} else {
			result = env.lookup(name)
		}
	case "lambda":
		params := make([]string, len(expr.arguments))
		for i, a := range expr.arguments {
			params[i] = a.str()
		}
		result = &lambda{input: input, env: env, params: params, signature: expr.signature, body: expr.body, thunk: expr.thunk}
	case "partial":
		result = ev.evaluatePartialApplication(expr, input, env)
	case "apply":
		result = ev.evaluateApplyExpression(expr, input, env)
	case "transform":
		result = ev.evaluateTransformExpression(expr, input, env)
	}

	for _, p := range expr.predicate {
		result = ev.evaluateFilter(p.expr, result, env)
	}
	if expr.typ != "path" && expr.group != nil {
		result = ev.evaluateGroupExpression(expr.group, result, env)
	}

	if a, ok := result.(*array); ok && a.sequence && !a.tupleStream {
		if expr.keepArray {
			a.keepSingleton = true
		}
		if len(a.vals) == 0 {
			result = nil
		} else if len(a.vals) == 1 && !a.keepSingleton {
			result = a.vals[0]
		}
	}
	ev.depth--
	return result
}

func (ev *evaluator) evaluatePath(expr *node, input any, env *frame) any {
	var inputSequence any
	if a, ok := input.(*array); ok && expr.steps[0].typ != tokVariable {
		inputSequence = a
	} else {
		inputSequence = newSeq(input)
	}
	var resultSequence any
	isTupleStream := false
	var tupleBindings *array
	for ii, step := range expr.steps {
		if step.tuple {
			isTupleStream = true
		}
		if ii == 0 && step.consarray {
			resultSequence = ev.evaluate(step, inputSequence, env)
		} else if isTupleStream {
			tupleBindings = ev.evaluateTupleStep(step, inputSequence, tupleBindings, env)
		} else {
			resultSequence = ev.evaluateStep(step, inputSequence, env, ii == len(expr.steps)-1)
		}
		if !isTupleStream {
			if resultSequence == nil {
				break
			}
			if a, ok := resultSequence.(*array); ok && len(a.vals) == 0 {
				break
			}
		}
		if !step.hasFocus {
			inputSequence = resultSequence
		}
	}
	if isTupleStream {
		if expr.tuple {
			if tupleBindings != nil {
				resultSequence = tupleBindings
			} else {
				resultSequence = nil
			}
		} else {
			rs := newSeq()
			if tupleBindings != nil {
				for _, t := range tupleBindings.vals {
					rs.push(t.(tuple)["@"])
				}
			}
			resultSequence = rs
		}
	}
	if expr.keepSingletonArray {
		if a, ok := resultSequence.(*array); ok {
			if a.cons && !a.sequence {
				a = newSeq(a)
			}
			a.keepSingleton = true
			resultSequence = a
		}
	}
	if expr.group != nil {
		if isTupleStream {
			if tupleBindings != nil {
				resultSequence = ev.evaluateGroupExpression(expr.group, tupleBindings, env)
			} else {
				resultSequence = ev.evaluateGroupExpression(expr.group, nil, env)
			}
		} else {
			resultSequence = ev.evaluateGroupExpression(expr.group, resultSequence, env)
		}
	}
	return resultSequence
}

func items(v any) []any {
	if a, ok := v.(*array); ok {
		return a.vals
	}
	return nil
}

func (ev *evaluator) evaluateStep(expr *node, input any, env *frame, lastStep bool) any {
	if expr.typ == "sort" {
		result := ev.evaluateSortExpression(expr, input, env)
		if expr.stages != nil {
			return ev.evaluateStages(expr.stages, result, env)
		}
		return result
	}
	in := items(input)
	rs := newSeqCap(len(in))
	count := 0
	var first any
	for _, item := range in {
		res := ev.evaluate(expr, item, env)
		for _, st := range expr.stages {
			res = ev.evaluateFilter(st.expr, res, env)
		}
		if res == nil {
			continue
		}
		if count == 0 {
			first = res
		}
		count++
		if a, ok := res.(*array); !ok || a.cons {
			rs.vals = append(rs.vals, res)
		} else {
			rs.vals = append(rs.vals, a.vals...)
		}
	}
	if lastStep && count == 1 {
		if a, ok := first.(*array); ok && !a.sequence {
			return a
		}
	}
	return rs
}

func (ev *evaluator) evaluateStages(stages []*stage, input any, env *frame) any {
	result := input
	for _, st := range stages {
		switch st.typ {
		case "filter":
			result = ev.evaluateFilter(st.expr, result, env)
		case "index":
			for i, t := range items(result) {
				if tp, ok := t.(tuple); ok {
					tp[st.value] = float64(i)
				}
			}
		}
	}
	return result
}

func (ev *evaluator) evaluateTupleStep(expr *node, input any, tupleBindings *array, env *frame) *array {
	if expr.typ == "sort" {
		var result any
		if tupleBindings != nil {
			result = ev.evaluateSortExpression(expr, tupleBindings, env)
		} else {
			sorted := ev.evaluateSortExpression(expr, input, env)
			rs := newSeq()
			rs.tupleStream = true
			for i, v := range items(sorted) {
				t := tuple{"@": v}
				if expr.hasIndex {
					t[expr.index] = float64(i)
				}
				rs.push(t)
			}
			result = rs
		}
		if expr.stages != nil {
			result = ev.evaluateStages(expr.stages, result, env)
		}
		return toTupleArray(result)
	}
	result := newSeq()
	result.tupleStream = true
	if tupleBindings == nil {
		in := items(input)
		tupleBindings = &array{vals: make([]any, len(in))}
		for i, item := range in {
			tupleBindings.vals[i] = tuple{"@": item}
		}
	}
	for _, tb := range tupleBindings.vals {
		t, _ := tb.(tuple)
		stepEnv := frameFromTuple(env, t)
		res := ev.evaluate(expr, t["@"], stepEnv)
		if res == nil {
			continue
		}
		resArr, ok := res.(*array)
		if !ok {
			resArr = &array{vals: []any{res}}
		}
		for bb, r := range resArr.vals {
			nt := make(tuple, len(t)+2)
			for k, v := range t {
				nt[k] = v
			}
			if resArr.tupleStream {
				if rt, ok := r.(tuple); ok {
					for k, v := range rt {
						nt[k] = v
					}
				}
			} else {
				if expr.hasFocus {
					nt[expr.focus] = r
					nt["@"] = t["@"]
				} else {
					nt["@"] = r
				}
				if expr.hasIndex {
					nt[expr.index] = float64(bb)
				}
				if expr.ancestor != nil {
					nt[expr.ancestor.label] = t["@"]
				}
			}
			result.push(nt)
		}
	}
	if expr.stages != nil {
		return toTupleArray(ev.evaluateStages(expr.stages, result, env))
	}
	return result
}

func toTupleArray(v any) *array {
	if a, ok := v.(*array); ok {
		return a
	}
	if v == nil {
		return &array{sequence: true, tupleStream: true}
	}
	return &array{vals: []any{v}, sequence: true}
}

func (ev *evaluator) evaluateFilter(predicate *node, input any, env *frame) any {
	results := newSeq()
	in, isArr := input.(*array)
	if isArr && in.tupleStream {
		results.tupleStream = true
	}
	if !isArr {
		in = newSeq(input)
	}
	if predicate.typ == tokNumber {
		index := int(math.Floor(predicate.value.(float64)))
		if index < 0 {
			index += len(in.vals)
		}
		if index >= 0 && index < len(in.vals) {
			item := in.vals[index]
			if item != nil {
				if a, ok := item.(*array); ok {
					return a
				}
				results.push(item)
			}
		}
		return results
	}
	for index, item := range in.vals {
		context := item
		e := env
		if in.tupleStream {
			t, _ := item.(tuple)
			context = t["@"]
			e = frameFromTuple(env, t)
		}
		res := ev.evaluate(predicate, context, e)
		if isNumeric(res) {
			res = &array{vals: []any{res}}
		}
		if isArrayOfNumbers(res) {
			for _, ires := range res.(*array).vals {
				ii := int(math.Floor(ires.(float64)))
				if ii < 0 {
					ii += len(in.vals)
				}
				if ii == index {
					results.push(item)
				}
			}
		} else if truthy(res) {
			results.push(item)
		}
	}
	return results
}

func (ev *evaluator) evaluateBinary(expr *node, input any, env *frame) any {
	lhs := ev.evaluate(expr.lhs, input, env)
	op := expr.str()
	if op == "and" || op == "or" {
		mark := ev.enter(siteOperator, expr.position, op)
		l := truthy(lhs)
		var r bool
		if op == "and" {
			r = l && truthy(ev.evaluate(expr.rhs, input, env))
		} else {
			r = l || truthy(ev.evaluate(expr.rhs, input, env))
		}
		ev.leave(mark)
		return r
	}
	rhs := ev.evaluate(expr.rhs, input, env)
	mark := ev.enter(siteOperator, expr.position, op)
	result := binaryOp(lhs, rhs, op)
	if s, ok := result.(string); ok {
		ev.work(len(s))
	}
	ev.leave(mark)
	return result
}

func binaryOp(lhs, rhs any, op string) any {
	switch op {
	case "+", "-", "*", "/", "%":
		return evaluateNumeric(lhs, rhs, op)
	case "=":
		if lhs == nil || rhs == nil {
			return false
		}
		return deepEqual(lhs, rhs)
	case "!=":
		if lhs == nil || rhs == nil {
			return false
		}
		return !deepEqual(lhs, rhs)
	case "<", "<=", ">", ">=":
		return evaluateComparison(lhs, rhs, op)
	case "&":
		ls, rs := "", ""
		if lhs != nil {
			ls = functionString(lhs, false)
		}
		if rhs != nil {
			rs = functionString(rhs, false)
		}
		checkStringLength(float64(len(ls)+len(rs)), "&")
		return ls + rs
	case "..":
		return evaluateRange(lhs, rhs)
	case "in":
		if lhs == nil || rhs == nil {
			return false
		}
		if a, ok := rhs.(*array); ok {
			for _, v := range a.vals {
				if sameRef(v, lhs) {
					return true
				}
			}
			return false
		}
		return sameRef(rhs, lhs)
	}
	return nil
}

func evaluateNumeric(lhs, rhs any, op string) any {
	if lhs != nil && !isNumeric(lhs) {
		throw(&Error{Code: "T2001", Value: lhs})
	}
	if rhs != nil && !isNumeric(rhs) {
		throw(&Error{Code: "T2002", Value: rhs})
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	l, r := lhs.(float64), rhs.(float64)
	switch op {
	case "+":
		return l + r
	case "-":
		return l - r
	case "*":
		return l * r
	case "/":
		return l / r
	}
	return math.Mod(l, r)
}

func evaluateComparison(lhs, rhs any, op string) any {
	comparable := func(v any) bool {
		switch v.(type) {
		case nil, string, float64:
			return true
		}
		return false
	}
	if !comparable(lhs) || !comparable(rhs) {
		v := rhs
		switch lhs.(type) {
		case string, float64:
		default:
			v = lhs
		}
		throw(&Error{Code: "T2010", Value: v})
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	switch l := lhs.(type) {
	case string:
		r, ok := rhs.(string)
		if !ok {
			throw(&Error{Code: "T2009", Value: lhs, Value2: rhs})
		}
		c := aslexpr.CompareUTF16(l, r)
		switch op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	case float64:
		r, ok := rhs.(float64)
		if !ok {
			throw(&Error{Code: "T2009", Value: lhs, Value2: rhs})
		}
		switch op {
		case "<":
			return l < r
		case "<=":
			return l <= r
		case ">":
			return l > r
		}
		return l >= r
	}
	return nil
}

func evaluateRange(lhs, rhs any) any {
	l, lok := lhs.(float64)
	if lhs != nil && (!lok || !isInteger(l)) {
		throw(&Error{Code: "T2003", Value: lhs})
	}
	r, rok := rhs.(float64)
	if rhs != nil && (!rok || !isInteger(r)) {
		throw(&Error{Code: "T2004", Value: rhs})
	}
	if lhs == nil || rhs == nil || l > r {
		return nil
	}
	size := r - l + 1
	if size > 1e7 {
		throw(&Error{Code: "D2014", Value: size})
	}
	out := make([]any, int(size))
	for i := range out {
		out[i] = l + float64(i)
	}
	return &array{vals: out, sequence: true}
}

func (ev *evaluator) evaluateUnary(expr *node, input any, env *frame) any {
	switch expr.value {
	case "-":
		v := ev.evaluate(expr.expression, input, env)
		if v == nil {
			return nil
		}
		if isNumeric(v) {
			return -v.(float64)
		}
		throw(&Error{Code: "D1002", Position: expr.position, hasPos: true, Token: "-", hasToken: true, Value: v})
	case "[":
		result := &array{vals: make([]any, 0, len(expr.expressions))}
		for _, item := range expr.expressions {
			v := ev.evaluate(item, input, env)
			if v == nil {
				continue
			}
			if item.typ == "unary" && item.value == "[" {
				result.vals = append(result.vals, v)
			} else {
				result = appendValues(ev, result, v).(*array)
			}
		}
		if expr.consarray {
			result.cons = true
		}
		return result
	case "{":
		return ev.evaluateGroupExpression(&groupBy{pairs: expr.lhsPairs, position: expr.position}, input, env)
	}
	return nil
}

// appendValues is fn.append: the result is a new plain array. The copying
// is charged to ev's step budget when ev is not nil.
func appendValues(ev *evaluator, a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	var av, bv []any
	if x, ok := a.(*array); ok {
		av = x.vals
	} else {
		av = []any{a}
	}
	if x, ok := b.(*array); ok {
		bv = x.vals
	} else {
		bv = []any{b}
	}
	// Arrays are never modified in place once built, so when one side is
	// empty the other's elements are shared (capacity-limited, so that a
	// later append copies).
	switch {
	case len(av) == 0:
		return &array{vals: bv[:len(bv):len(bv)]}
	case len(bv) == 0:
		return &array{vals: av[:len(av):len(av)]}
	}
	ev.work(len(av) + len(bv))
	out := make([]any, 0, len(av)+len(bv))
	out = append(out, av...)
	out = append(out, bv...)
	return &array{vals: out}
}

// lookupValue is fn.lookup.
func lookupValue(input any, key string) any {
	switch in := input.(type) {
	case *array:
		result := newSeq()
		for _, v := range in.vals {
			res := lookupValue(v, key)
			if res == nil {
				continue
			}
			if a, ok := res.(*array); ok {
				result.push(a.vals...)
			} else {
				result.push(res)
			}
		}
		return result
	case *object:
		return in.vals[key]
	case map[string]any:
		v, ok := in[key]
		if !ok {
			return nil
		}
		return norm(v)
	}
	return nil
}

func evaluateWildcard(input any) any {
	var results any = newSeq()
	if a, ok := input.(*array); ok && a.outerWrapper && len(a.vals) > 0 {
		input = a.vals[0]
	}
	var vals []any
	if a, ok := input.(*array); ok {
		// an array is an object whose keys are its indexes
		vals = a.vals
	} else if isObject(input) {
		for _, k := range objKeys(input) {
			v, _ := objGet(input, k)
			vals = append(vals, v)
		}
	}
	for _, v := range vals {
		if a, ok := v.(*array); ok {
			results = appendValues(nil, results, flatten(a, nil))
		} else {
			results.(*array).push(v)
		}
	}
	return results
}

func flatten(v any, out *array) *array {
	if out == nil {
		out = &array{}
	}
	if a, ok := v.(*array); ok {
		for _, e := range a.vals {
			flatten(e, out)
		}
	} else {
		out.push(v)
	}
	return out
}

func evaluateDescendants(input any) any {
	if input == nil {
		return nil
	}
	rs := newSeq()
	recurseDescendants(input, rs)
	if len(rs.vals) == 1 {
		return rs.vals[0]
	}
	return rs
}

func recurseDescendants(input any, results *array) {
	if a, ok := input.(*array); ok {
		for _, m := range a.vals {
			recurseDescendants(m, results)
		}
		return
	}
	results.push(input)
	if isObject(input) {
		for _, k := range objKeys(input) {
			v, _ := objGet(input, k)
			recurseDescendants(v, results)
		}
	}
}

type groupEntry struct {
	items     []any
	exprIndex int
}

// data is what fn.append would have accumulated: the single item, or the
// items concatenated (an array item contributing its elements).
func (g *groupEntry) data() any {
	items := g.items[:0:0]
	for _, it := range g.items {
		if it != nil {
			items = append(items, it)
		}
	}
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	out := make([]any, 0, len(items))
	for _, it := range items {
		if a, ok := it.(*array); ok {
			out = append(out, a.vals...)
		} else {
			out = append(out, it)
		}
	}
	return &array{vals: out}
}

func (ev *evaluator) evaluateGroupExpression(group *groupBy, input any, env *frame) any {
	result := newObject(len(group.pairs))
	groups := map[string]*groupEntry{}
	var order []string
	in, isArr := input.(*array)
	reduce := isArr && in.tupleStream
	var list []any
	if isArr {
		list = in.vals
	} else {
		list = []any{input}
	}
	if len(list) == 0 && !reduce {
		list = []any{nil}
	}
	for _, item := range list {
		e := env
		ctx := item
		if reduce {
			t, _ := item.(tuple)
			e = frameFromTuple(env, t)
			ctx = t["@"]
		}
		for pairIndex, pair := range group.pairs {
			key := ev.evaluate(pair[0], ctx, e)
			if key == nil {
				continue
			}
			ks, ok := key.(string)
			if !ok {
				throw(&Error{Code: "T1003", Position: group.position, hasPos: true, Value: key})
			}
			if entry, ok := groups[ks]; ok {
				if entry.exprIndex != pairIndex {
					throw(&Error{Code: "D1009", Position: group.position, hasPos: true, Value: ks})
				}
				if item != nil {
					entry.items = append(entry.items, item)
				}
			} else {
				groups[ks] = &groupEntry{items: []any{item}, exprIndex: pairIndex}
				order = append(order, ks)
			}
		}
	}
	for _, key := range jsKeyOrder(order, false) {
		entry := groups[key]
		ctx := entry.data()
		e := env
		if reduce {
			t := reduceTupleStream(ctx)
			ctx = t["@"]
			delete(t, "@")
			e = frameFromTuple(env, t)
		}
		v := ev.evaluate(group.pairs[entry.exprIndex][1], ctx, e)
		if v != nil {
			result.set(key, v)
		}
	}
	return result
}

func reduceTupleStream(ts any) tuple {
	a, ok := ts.(*array)
	if !ok {
		t, _ := ts.(tuple)
		out := make(tuple, len(t))
		for k, v := range t {
			out[k] = v
		}
		return out
	}
	out := tuple{}
	if len(a.vals) == 0 {
		return out
	}
	// out[k] = fn.append(out[k], t[k]) for each tuple, accumulated linearly
	acc := map[string][]any{}
	for _, x := range a.vals {
		t, _ := x.(tuple)
		for k, v := range t {
			if v != nil {
				acc[k] = append(acc[k], v)
			} else if _, ok := acc[k]; !ok {
				acc[k] = nil
			}
		}
	}
	for k, vs := range acc {
		g := groupEntry{items: vs}
		out[k] = g.data()
	}
	return out
}

func (ev *evaluator) evaluateSortExpression(expr *node, input any, env *frame) any {
	in, _ := input.(*array)
	isTupleSort := in != nil && in.tupleStream
	comparator := func(a, b any) bool {
		comp := 0
		for index := 0; comp == 0 && index < len(expr.terms); index++ {
			term := expr.terms[index]
			ctx, e := a, env
			if isTupleSort {
				t, _ := a.(tuple)
				ctx, e = t["@"], frameFromTuple(env, t)
			}
			aa := ev.evaluate(term.expression, ctx, e)
			ctx, e = b, env
			if isTupleSort {
				t, _ := b.(tuple)
				ctx, e = t["@"], frameFromTuple(env, t)
			}
			bb := ev.evaluate(term.expression, ctx, e)
			if aa == nil {
				if bb == nil {
					comp = 0
				} else {
					comp = 1
				}
				continue
			}
			if bb == nil {
				comp = -1
				continue
			}
			okType := func(v any) bool {
				switch v.(type) {
				case string, float64:
					return true
				}
				return false
			}
			if !okType(aa) || !okType(bb) {
				v := bb
				if !okType(aa) {
					v = aa
				}
				throw(&Error{Code: "T2008", Position: expr.position, hasPos: true, Value: v})
			}
			switch x := aa.(type) {
			case string:
				y, ok := bb.(string)
				if !ok {
					throw(&Error{Code: "T2007", Position: expr.position, hasPos: true, Value: aa, Value2: bb})
				}
				comp = aslexpr.CompareUTF16(x, y)
			case float64:
				y, ok := bb.(float64)
				if !ok {
					throw(&Error{Code: "T2007", Position: expr.position, hasPos: true, Value: aa, Value2: bb})
				}
				switch {
				case x == y:
					comp = 0
				case x < y:
					comp = -1
				default:
					comp = 1
				}
			}
			if comp == 0 {
				continue
			}
			if term.descending {
				comp = -comp
			}
		}
		return comp == 1
	}
	if input == nil {
		return nil
	}
	if in == nil {
		return input
	}
	if len(in.vals) <= 1 {
		return in
	}
	return &array{vals: mergeSort(in.vals, comparator)}
}

// mergeSort is the stable merge sort of functions.js: swap(a, b) reports
// whether b must come before a.
func mergeSort(vals []any, swap func(a, b any) bool) []any {
	if len(vals) <= 1 {
		return append([]any(nil), vals...)
	}
	mid := len(vals) / 2
	left := mergeSort(vals[:mid], swap)
	right := mergeSort(vals[mid:], swap)
	out := make([]any, 0, len(vals))
	i, j := 0, 0
	for i < len(left) && j < len(right) {
		if swap(left[i], right[j]) {
			out = append(out, right[j])
			j++
		} else {
			out = append(out, left[i])
			i++
		}
	}
	out = append(out, left[i:]...)
	return append(out, right[j:]...)
}

func (ev *evaluator) evaluateTransformExpression(expr *node, input any, env *frame) any {
	transformer := func(c *call, args []any) any {
		obj := args[0]
		if obj == nil {
			return nil
		}
		clone := env.lookup("clone")
		if !isFunction(clone) {
			throw(&Error{Code: "T2013", Position: expr.position, hasPos: true})
		}
		result := ev.apply(clone, []any{obj}, nil, env, "", -1)
		matches := ev.evaluate(expr.pattern, result, env)
		if matches == nil {
			return result
		}
		ms, ok := matches.(*array)
		if !ok {
			ms = &array{vals: []any{matches}}
		}
		for _, match := range ms.vals {
			update := ev.evaluate(expr.update, match, env)
			if update != nil {
				if !isObject(update) {
					throw(&Error{Code: "T2011", Position: expr.update.position, hasPos: true, Value: update})
				}
				if m, ok := match.(*object); ok {
					for _, k := range objKeys(update) {
						v, _ := objGet(update, k)
						m.set(k, v)
					}
				}
			}
			if expr.del != nil {
				deletions := ev.evaluate(expr.del, match, env)
				if deletions != nil {
					val := deletions
					if _, ok := deletions.(*array); !ok {
						deletions = &array{vals: []any{deletions}}
					}
					if !isArrayOfStrings(deletions) {
						throw(&Error{Code: "T2012", Position: expr.del.position, hasPos: true, Value: val})
					}
					if m, ok := match.(*object); ok {
						for _, d := range deletions.(*array).vals {
							m.del(d.(string))
						}
					}
				}
			}
		}
		return result
	}
	return &builtin{name: "", sig: mustSignature("<(oa):o>"), arity: 1, nparams: 1, fn: transformer}
}

// chainAST is the function that ~> builds from two functions, parsed on
// first use.
var chainAST = sync.OnceValue(func() *node {
	ast, err := parse("function($f, $g) { function($x){ $g($f($x)) } }")
	if err != nil {
		panic("jsonata: chain expression: " + err.Error())
	}
	return ast
})

func (ev *evaluator) evaluateApplyExpression(expr *node, input any, env *frame) any {
	lhs := ev.evaluate(expr.lhs, input, env)
	if expr.rhs.typ == "function" {
		return ev.evaluateFunction(expr.rhs, input, env, lhs, true)
	}
	fn := ev.evaluate(expr.rhs, input, env)
	if !isFunction(fn) {
		throw(&Error{Code: "T2006", Position: expr.position, hasPos: true, Value: fn})
	}
	if isFunction(lhs) {
		chain := ev.evaluate(chainAST(), nil, env)
		return ev.apply(chain, []any{lhs, fn}, nil, env, "", -1)
	}
	return ev.apply(fn, []any{lhs}, nil, env, "", -1)
}

func procName(expr *node) string {
	if expr.procedure.typ == "path" {
		return expr.procedure.steps[0].str()
	}
	return expr.procedure.str()
}

func (ev *evaluator) evaluateFunction(expr *node, input any, env *frame, applyto any, hasApplyto bool) any {
	proc := ev.evaluate(expr.procedure, input, env)
	if proc == nil && expr.procedure.typ == "path" && env.lookup(expr.procedure.steps[0].str()) != nil {
		throw(&Error{Code: "T1005", Position: expr.position, hasPos: true, Token: expr.procedure.steps[0].str(), hasToken: true})
	}
	args := make([]any, 0, len(expr.arguments)+1)
	if hasApplyto {
		args = append(args, applyto)
	}
	for _, a := range expr.arguments {
		args = append(args, ev.evaluate(a, input, env))
	}
	mark := ev.enter(siteCall, expr.position, procName(expr))
	result := ev.apply(proc, args, input, env, procName(expr), expr.position)
	ev.leave(mark)
	return result
}

// apply invokes a function, running the trampoline for tail calls.
func (ev *evaluator) apply(proc any, args []any, input any, env *frame, token string, pos int) any {
	result := ev.applyInner(proc, args, input, env, token, pos)
	for {
		l, ok := result.(*lambda)
		if !ok || !l.thunk {
			return result
		}
		body := l.body
		next := ev.evaluate(body.procedure, l.input, l.env)
		tok := ""
		if body.procedure.typ == tokVariable {
			tok = body.procedure.str()
		}
		evaluated := make([]any, len(body.arguments))
		for i, a := range body.arguments {
			evaluated[i] = ev.evaluate(a, l.input, l.env)
		}
		result = ev.applyInner(next, evaluated, input, env, tok, body.procedure.position)
	}
}

func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame, token string, pos int) any {
	if proc == nil {
		throw(&Error{Code: "T1006"})
	}
	mark := ev.enter(siteApply, pos, token)
	result := ev.invoke(proc, args, input, env)
	ev.leave(mark)
	return result
}

func (ev *evaluator) invoke(proc any, args []any, input any, env *frame) any {
	switch p := proc.(type) {
	case *lambda:
		if p.signature != nil {
			args = p.signature.validate(args, input)
		}
		return ev.applyProcedure(p, args)
	case *builtin:
		if p.sig != nil {
			args = p.sig.validate(args, input)
		}
		return p.fn(&call{ev: ev, env: env, input: input}, args)
	case *regexValue:
		str, _ := argAt(args, 0).(string)
		from := 0
		if f, ok := argAt(args, 1).(float64); ok {
			from = utf16ToByteOffset(str, int(f))
		}
		return regexMatchObject(p, str, from)
	}
	throw(&Error{Code: "T1006"})
	return nil
}

func (ev *evaluator) applyProcedure(proc *lambda, args []any) any {
	env := newFrame(proc.env)
	for i, p := range proc.params {
		env.bind(p, argAt(args, i))
	}
	if proc.native != nil {
		nargs := make([]any, len(proc.nativeParams))
		for i, n := range proc.nativeParams {
			nargs[i] = env.lookup(n)
		}
		if proc.native.sig != nil {
			nargs = proc.native.sig.validate(nargs, nil)
		}
		return proc.native.fn(&call{ev: ev, env: env}, nargs)
	}
	return ev.evaluate(proc.body, proc.input, env)
}

func (ev *evaluator) evaluatePartialApplication(expr *node, input any, env *frame) any {
	args := make([]any, len(expr.arguments))
	for i, a := range expr.arguments {
		if a.typ == tokOperator && a.value == "?" {
			args[i] = placeholder{}
		} else {
			args[i] = ev.evaluate(a, input, env)
		}
	}
	proc := ev.evaluate(expr.procedure, input, env)
	if proc == nil && expr.procedure.typ == "path" && env.lookup(expr.procedure.steps[0].str()) != nil {
		throw(&Error{Code: "T1007", Position: expr.position, hasPos: true, Token: expr.procedure.steps[0].str(), hasToken: true})
	}
	switch p := proc.(type) {
	case *lambda:
		return partialApplyProcedure(p, args, env)
	case *builtin:
		names := make([]string, p.nparams)
		for i := range names {
			names[i] = "\x00arg" + itoa(i)
		}
		l := &lambda{params: names, native: p, nativeParams: names}
		return partialApplyProcedure(l, args, env)
	}
	throw(&Error{Code: "T1008", Position: expr.position, hasPos: true, Token: procName(expr), hasToken: true})
	return nil
}

func partialApplyProcedure(proc *lambda, args []any, env *frame) *lambda {
	parent := proc.env
	if parent == nil {
		parent = env
	}
	f := newFrame(parent)
	var unbound []string
	for i, p := range proc.params {
		a := argAt(args, i)
		if _, ok := a.(placeholder); ok {
			unbound = append(unbound, p)
		} else {
			f.bind(p, a)
		}
	}
	return &lambda{input: proc.input, env: f, params: unbound, body: proc.body, native: proc.native, nativeParams: proc.nativeParams}
}

// arity is getFunctionArity.
func arity(f any) int {
	switch p := f.(type) {
	case *lambda:
		return len(p.params)
	case *builtin:
		return p.arity
	case *regexValue:
		return 2
	}
	return 0
}
