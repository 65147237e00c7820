package dynamo

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// getPath returns the value at p in it.
func getPath(it Item, p docPath) (Value, bool) {
	v := Value{Type: TypeM, M: it}
	for _, e := range p {
		switch {
		case e.isIndex && v.Type == TypeL && e.index < len(v.L):
			v = v.L[e.index]
		case !e.isIndex && v.Type == TypeM:
			c, ok := v.M[e.name]
			if !ok {
				return Value{}, false
			}
			v = c
		default:
			return Value{}, false
		}
	}
	return v, true
}

func operandTypeError(op string, v Value) error {
	return validation("Invalid expression: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, v.Type)
}

// evalOperand evaluates an operand against it; found is false for a path
// that is not in the item.
func evalOperand(o operand, it Item) (Value, bool, error) {
	switch o := o.(type) {
	case valueOp:
		return o.v, true, nil
	case pathOp:
		v, ok := getPath(it, o.path)
		return v, ok, nil
	case sizeOp:
		v, ok := getPath(it, o.path)
		if !ok {
			return Value{}, false, nil
		}
		var n int
		switch v.Type {
		case TypeS:
			n = len(v.S)
		case TypeB:
			n = len(v.B)
		case TypeSS, TypeNS:
			n = len(v.Set)
		case TypeBS:
			n = len(v.BS)
		case TypeL:
			n = len(v.L)
		case TypeM:
			n = len(v.M)
		default:
			return Value{}, false, operandTypeError("size", v)
		}
		return N(strconv.Itoa(n)), true, nil
	case ifNotExistsOp:
		if v, ok := getPath(it, o.path); ok {
			return v, true, nil
		}
		return evalOperand(o.def, it)
	case listAppendOp:
		a, err := mustOperand(o.a, it)
		if err != nil {
			return Value{}, false, err
		}
		b, err := mustOperand(o.b, it)
		if err != nil {
			return Value{}, false, err
		}
		for _, v := range []Value{a, b} {
			if v.Type != TypeL {
				return Value{}, false, operandTypeError("list_append", v)
			}
		}
		return Value{Type: TypeL, L: append(slices.Clone(a.L), b.L...)}, true, nil
	case arithOp:
		a, err := mustOperand(o.a, it)
		if err != nil {
			return Value{}, false, err
		}
		b, err := mustOperand(o.b, it)
		if err != nil {
			return Value{}, false, err
		}
		op := "+"
		if o.minus {
			op = "-"
		}
		for _, v := range []Value{a, b} {
			if v.Type != TypeN {
				return Value{}, false, operandTypeError(op, v)
			}
		}
		v, err := addNumbers(a.S, b.S, o.minus)
		return v, err == nil, err
	}
	return Value{}, false, validation("Invalid expression: unsupported operand")
}

// mustOperand evaluates an update operand, which must exist.
func mustOperand(o operand, it Item) (Value, error) {
	v, ok, err := evalOperand(o, it)
	if err != nil {
		return Value{}, err
	}
	if !ok {
		return Value{}, validation("The provided expression refers to an attribute that does not exist in the item")
	}
	return v, nil
}

// evalCond evaluates a condition against it (nil when there is no item).
func evalCond(c cond, it Item) (bool, error) {
	switch c := c.(type) {
	case andCond:
		a, err := evalCond(c.a, it)
		if err != nil || !a {
			return false, err
		}
		return evalCond(c.b, it)
	case orCond:
		a, err := evalCond(c.a, it)
		if err != nil || a {
			return a, err
		}
		return evalCond(c.b, it)
	case notCond:
		a, err := evalCond(c.c, it)
		return !a, err
	case cmpCond:
		a, aok, err := evalOperand(c.a, it)
		if err != nil {
			return false, err
		}
		b, bok, err := evalOperand(c.b, it)
		if err != nil {
			return false, err
		}
		switch c.op {
		case "=":
			return aok && bok && a.Equal(b), nil
		case "<>":
			return !aok || !bok || !a.Equal(b), nil
		}
		if !aok || !bok {
			return false, nil
		}
		n, ok := compare(a, b)
		if !ok {
			return false, nil
		}
		switch c.op {
		case "<":
			return n < 0, nil
		case "<=":
			return n <= 0, nil
		case ">":
			return n > 0, nil
		default:
			return n >= 0, nil
		}
	case betweenCond:
		x, xok, err := evalOperand(c.x, it)
		if err != nil || !xok {
			return false, err
		}
		lo, lok, err := evalOperand(c.lo, it)
		if err != nil || !lok {
			return false, err
		}
		hi, hok, err := evalOperand(c.hi, it)
		if err != nil || !hok {
			return false, err
		}
		if n, ok := compare(lo, hi); ok && n > 0 {
			return false, validation("Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound")
		}
		a, aok := compare(x, lo)
		b, bok := compare(x, hi)
		return aok && bok && a >= 0 && b <= 0, nil
	case inCond:
		x, xok, err := evalOperand(c.x, it)
		if err != nil || !xok {
			return false, err
		}
		for _, o := range c.list {
			v, ok, err := evalOperand(o, it)
			if err != nil {
				return false, err
			}
			if ok && x.Equal(v) {
				return true, nil
			}
		}
		return false, nil
	case fnCond:
		return evalFunc(c, it)
	}
	return false, validation("Invalid expression: unsupported condition")
}

func evalFunc(c fnCond, it Item) (bool, error) {
	v, found := getPath(it, c.path)
	switch c.fn {
	case "attribute_exists":
		return found, nil
	case "attribute_not_exists":
		return !found, nil
	}
	arg, argOK, err := evalOperand(c.arg, it)
	if err != nil || !found || !argOK {
		return false, err
	}
	switch c.fn {
	case "attribute_type":
		if arg.Type != TypeS || !slices.Contains([]string{TypeS, TypeN, TypeB, TypeBOOL, TypeNULL, TypeM, TypeL, TypeSS, TypeNS, TypeBS}, arg.S) {
			return false, validation("Invalid ConditionExpression: Invalid attribute type name found; type: %s, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }", arg.S)
		}
		return v.Type == arg.S, nil
	case "begins_with":
		switch {
		case arg.Type != TypeS && arg.Type != TypeB:
			return false, operandTypeError("begins_with", arg)
		case v.Type == TypeS && arg.Type == TypeS:
			return strings.HasPrefix(v.S, arg.S), nil
		case v.Type == TypeB && arg.Type == TypeB:
			return bytes.HasPrefix(v.B, arg.B), nil
		}
		return false, nil
	case "contains":
		switch v.Type {
		case TypeS:
			return arg.Type == TypeS && strings.Contains(v.S, arg.S), nil
		case TypeB:
			return arg.Type == TypeB && bytes.Contains(v.B, arg.B), nil
		case TypeSS:
			return arg.Type == TypeS && slices.Contains(v.Set, arg.S), nil
		case TypeNS:
			return arg.Type == TypeN && slices.Contains(v.Set, arg.S), nil
		case TypeBS:
			return arg.Type == TypeB && slices.ContainsFunc(v.BS, func(b []byte) bool { return bytes.Equal(b, arg.B) }), nil
		case TypeL:
			return slices.ContainsFunc(v.L, arg.Equal), nil
		}
		return false, nil
	}
	return false, validation("Invalid ConditionExpression: Invalid function name; function: %s", c.fn)
}

var errInvalidUpdatePath = validation("The document path provided in the update expression is invalid for update")

// setIn returns v with nv stored at p.
func setIn(v Value, p docPath, nv Value) (Value, error) {
	if len(p) == 0 {
		return nv, nil
	}
	e := p[0]
	if e.isIndex {
		if v.Type != TypeL {
			return v, errInvalidUpdatePath
		}
		if e.index >= len(v.L) {
			if len(p) > 1 {
				return v, errInvalidUpdatePath
			}
			v.L = append(v.L, nv)
			return v, nil
		}
		c, err := setIn(v.L[e.index], p[1:], nv)
		v.L[e.index] = c
		return v, err
	}
	if v.Type != TypeM {
		return v, errInvalidUpdatePath
	}
	child, ok := v.M[e.name]
	if !ok && len(p) > 1 {
		return v, errInvalidUpdatePath
	}
	c, err := setIn(child, p[1:], nv)
	if err == nil {
		v.M[e.name] = c
	}
	return v, err
}

// removeIn returns v without the value at p (no change if it is absent).
func removeIn(v Value, p docPath) Value {
	e := p[0]
	if e.isIndex {
		if v.Type != TypeL || e.index >= len(v.L) {
			return v
		}
		if len(p) == 1 {
			v.L = slices.Delete(v.L, e.index, e.index+1)
		} else {
			v.L[e.index] = removeIn(v.L[e.index], p[1:])
		}
		return v
	}
	if v.Type != TypeM {
		return v
	}
	if len(p) == 1 {
		delete(v.M, e.name)
	} else if c, ok := v.M[e.name]; ok {
		v.M[e.name] = removeIn(c, p[1:])
	}
	return v
}

// apply returns the item that results from u applied to old (nil if none);
// right-hand sides are evaluated against old.
func (u *updateExpr) apply(old Item) (Item, error) {
	base := old
	if base == nil {
		base = Item{}
	}
	root := Value{Type: TypeM, M: base.clone()}
	var err error
	for _, a := range u.sets {
		v, err := mustOperand(a.val, old)
		if err != nil {
			return nil, err
		}
		if root, err = setIn(root, a.path, v.clone()); err != nil {
			return nil, err
		}
	}
	for _, p := range u.removes {
		root = removeIn(root, p)
	}
	for _, a := range u.adds {
		add := a.val.(valueOp).v
		cur, ok := getPath(root.M, a.path)
		var nv Value
		switch {
		case add.Type != TypeN && add.Type != TypeSS && add.Type != TypeNS && add.Type != TypeBS:
			return nil, operandTypeError("ADD", add)
		case !ok:
			nv = add
		case cur.Type != add.Type:
			return nil, validation("An operand in the update expression has an incorrect data type")
		case add.Type == TypeN:
			if nv, err = addNumbers(cur.S, add.S, false); err != nil {
				return nil, err
			}
		case add.Type == TypeBS:
			nv = cur.clone()
			for _, b := range add.BS {
				if !slices.ContainsFunc(nv.BS, func(c []byte) bool { return bytes.Equal(b, c) }) {
					nv.BS = append(nv.BS, b)
				}
			}
		default:
			nv = cur.clone()
			for _, s := range add.Set {
				if !slices.Contains(nv.Set, s) {
					nv.Set = append(nv.Set, s)
				}
			}
		}
		if root, err = setIn(root, a.path, nv); err != nil {
			return nil, err
		}
	}
	for _, a := range u.deletes {
		del := a.val.(valueOp).v
		cur, ok := getPath(root.M, a.path)
		if del.Type != TypeSS && del.Type != TypeNS && del.Type != TypeBS {
			return nil, operandTypeError("DELETE", del)
		}
		if !ok {
			continue
		}
		if cur.Type != del.Type {
			return nil, validation("An operand in the update expression has an incorrect data type")
		}
		nv := cur.clone()
		nv.Set = slices.DeleteFunc(nv.Set, func(s string) bool { return slices.Contains(del.Set, s) })
		nv.BS = slices.DeleteFunc(nv.BS, func(b []byte) bool {
			return slices.ContainsFunc(del.BS, func(c []byte) bool { return bytes.Equal(b, c) })
		})
		if len(nv.Set)+len(nv.BS) == 0 {
			root = removeIn(root, a.path)
		} else if root, err = setIn(root, a.path, nv); err != nil {
			return nil, err
		}
	}
	return root.M, nil
}

// project returns the parts of it named by paths.
func project(it Item, paths []docPath) Item {
	if len(paths) == 0 {
		return it
	}
	out := Value{Type: TypeM, M: Item{}}
	for _, p := range paths {
		v, ok := getPath(it, p)
		if !ok {
			continue
		}
		out = projectInto(out, p, v)
	}
	return out.M
}

func projectInto(dst Value, p docPath, v Value) Value {
	if len(p) == 0 {
		return v.clone()
	}
	e := p[0]
	if e.isIndex {
		if dst.Type != TypeL {
			dst = Value{Type: TypeL}
		}
		dst.L = append(dst.L, projectInto(Value{}, p[1:], v))
		return dst
	}
	if dst.Type != TypeM {
		dst = Value{Type: TypeM, M: Item{}}
	}
	dst.M[e.name] = projectInto(dst.M[e.name], p[1:], v)
	return dst
}
