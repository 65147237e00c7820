package expr

import (
	"fmt"
	"sort"
	"strings"
)

// Template is a compiled payload template: the value of Parameters,
// ResultSelector, ItemSelector or a JSONPath-mode Assign. In an object, a
// key ending in ".$" takes its value from a path or an intrinsic function
// and loses the suffix; nested objects and arrays are templates too; every
// other value is copied as is.
type Template struct {
	root tnode
}

type tnode struct {
	kind   int // tLiteral, tObject, tArray, tPath, tCall
	lit    any
	fields []tfield // tObject, in sorted key order
	items  []tnode  // tArray
	path   *Path
	call   *IntrinsicCall
	field  string // the key as written, e.g. "value.$"
}

type tfield struct {
	key  string // output key (without ".$")
	node tnode
}

const (
	tLiteral = iota
	tObject
	tArray
	tPath
	tCall
)

// maxTemplateDepth bounds template nesting.
const maxTemplateDepth = 1000

// CompileTemplate validates and compiles a payload template given as a
// decoded JSON value. Every "key.$" value must be a string holding a path
// or an intrinsic call; two keys may not produce the same output key
// ("a" and "a.$").
func CompileTemplate(v any) (*Template, error) {
	n, err := compileNode(v, "", 0)
	if err != nil {
		return nil, fmt.Errorf("invalid payload template: %w", err)
	}
	return &Template{root: n}, nil
}

func compileNode(v any, where string, depth int) (tnode, error) {
	if depth > maxTemplateDepth {
		return tnode{}, fmt.Errorf("nested more than %d levels", maxTemplateDepth)
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := tnode{kind: tObject}
		seen := make(map[string]string, len(keys))
		for _, k := range keys {
			out := k
			var child tnode
			if strings.HasSuffix(k, ".$") {
				out = strings.TrimSuffix(k, ".$")
				s, ok := v[k].(string)
				if !ok {
					return tnode{}, fmt.Errorf("field %q: the value of a key ending in '.$' must be a string holding a path or an intrinsic function, got %s", where+k, TypeName(v[k]))
				}
				c, err := compileDynamic(s, k)
				if err != nil {
					return tnode{}, fmt.Errorf("field %q: %w", where+k, err)
				}
				child = c
			} else {
				c, err := compileNode(v[k], where+k+".", depth+1)
				if err != nil {
					return tnode{}, err
				}
				child = c
			}
			if prev, dup := seen[out]; dup {
				return tnode{}, fmt.Errorf("fields %q and %q both set %q", where+prev, where+k, where+out)
			}
			seen[out] = k
			n.fields = append(n.fields, tfield{key: out, node: child})
		}
		return n, nil
	case []any:
		n := tnode{kind: tArray, items: make([]tnode, len(v))}
		for i, e := range v {
			c, err := compileNode(e, fmt.Sprintf("%s[%d].", strings.TrimSuffix(where, "."), i), depth+1)
			if err != nil {
				return tnode{}, err
			}
			n.items[i] = c
		}
		return n, nil
	}
	return tnode{kind: tLiteral, lit: v}, nil
}

// compileDynamic compiles the string value of a "key.$" field.
func compileDynamic(s, field string) (tnode, error) {
	if IsIntrinsic(s) {
		c, err := CompileIntrinsic(s)
		if err != nil {
			return tnode{}, err
		}
		return tnode{kind: tCall, call: c, field: field}, nil
	}
	p, err := CompilePath(s)
	if err != nil {
		return tnode{}, err
	}
	return tnode{kind: tPath, path: p, field: field}, nil
}

// Eval builds the payload. A path that matches nothing fails with
// States.Runtime and AWS's cause "The JSONPath '$.x' specified for the
// field 'x.$' could not be found in the input '{...}'"; a failing intrinsic
// with States.IntrinsicFailure. The result shares no maps or slices with
// the scope.
func (t *Template) Eval(s Scope) (any, error) {
	v, err := t.root.eval(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Check evaluates the template as Eval does, in the same order and failing
// with the same error, without building the payload: for a caller that only
// needs to know whether Eval would fail (a Map checks every item's
// ItemSelector before its first iteration starts).
func (t *Template) Check(s Scope) error {
	return t.root.check(s)
}

func (n *tnode) check(s Scope) error {
	switch n.kind {
	case tObject:
		for i := range n.fields {
			if err := n.fields[i].node.check(s); err != nil {
				return err
			}
		}
	case tArray:
		for i := range n.items {
			if err := n.items[i].check(s); err != nil {
				return err
			}
		}
	case tPath:
		_, err := n.path.GetField(s, n.field)
		return err
	case tCall:
		_, err := n.call.Eval(s)
		return err
	}
	return nil
}

func (n *tnode) eval(s Scope) (any, error) {
	switch n.kind {
	case tObject:
		out := make(map[string]any, len(n.fields))
		for i := range n.fields {
			v, err := n.fields[i].node.eval(s)
			if err != nil {
				return nil, err
			}
			out[n.fields[i].key] = v
		}
		return out, nil
	case tArray:
		out := make([]any, len(n.items))
		for i := range n.items {
			v, err := n.items[i].eval(s)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case tPath:
		v, err := n.path.GetField(s, n.field)
		if err != nil {
			return nil, err
		}
		return deepCopy(v), nil
	case tCall:
		return n.call.Eval(s)
	}
	return deepCopy(n.lit), nil
}
