package expr

import (
	"fmt"
	"sync"

	"github.com/theory/jsonpath/spec"
)

// ApplyPath evaluates an InputPath or OutputPath against a state's input or
// output. The interpreter handles the null forms itself: "InputPath": null
// means the state sees {} and "OutputPath": null means the output is {}; a
// missing field means "$". ApplyPath with "$" returns the value unchanged.
// When the path matches nothing the error is States.Runtime with AWS's cause
// "Invalid path '$.x' : No results for path: $['x']"; a non-root path applied
// to a null value fails with "Unable to apply Path transformation to null or
// empty input."
func ApplyPath(value any, path string, s Scope) (any, error) {
	if path == "$" {
		return value, nil
	}
	p, err := CompilePath(path)
	if err != nil {
		return nil, runtimeErr(err.Error())
	}
	if p.root == RootInput && value == nil {
		return nil, runtimeErr("Unable to apply Path transformation to null or empty input.")
	}
	s.Input = value
	return p.Get(s)
}

// resultPaths caches compiled ResultPaths; a definition has few.
var resultPaths sync.Map // string -> *Path

// SetResultPath places result into input at resultPath, a reference path
// (names and indexes only) rooted at "$", and returns the combined value:
// "$" returns result itself; "$.a.b" copies input and sets a.b, creating
// missing intermediate objects (and an object in place of a null input or
// null intermediate). Indexes must address existing array elements. The
// input is not modified. "ResultPath": null (discard the result) is the
// interpreter's job: it keeps the input.
//
// The error is a States.Runtime *Error when the path cannot be applied, for
// example through a string or past the end of an array.
func SetResultPath(input any, resultPath string, result any) (any, error) {
	var p *Path
	if c, ok := resultPaths.Load(resultPath); ok {
		p = c.(*Path)
	} else {
		var err error
		if p, err = CompileReferencePath(resultPath); err != nil {
			return nil, err
		}
		resultPaths.Store(resultPath, p)
	}
	if p.root != RootInput {
		return nil, fmt.Errorf("invalid ResultPath %q: it must start with '$.' or be '$'", resultPath)
	}
	if len(p.sel) == 0 {
		return result, nil
	}
	out, e := setAt(input, p.sel, result, p)
	if e != nil {
		return nil, e
	}
	return out, nil
}

// setAt returns a shallow-copied cur with sel applied.
func setAt(cur any, sel []spec.Selector, result any, p *Path) (any, *Error) {
	if len(sel) == 0 {
		return result, nil
	}
	switch s := sel[0].(type) {
	case spec.Name:
		var m map[string]any
		switch c := cur.(type) {
		case nil:
			m = map[string]any{}
		case map[string]any:
			m = make(map[string]any, len(c)+1)
			for k, v := range c {
				m[k] = v
			}
		default:
			return nil, resultPathErr(p, cur)
		}
		v, err := setAt(m[string(s)], sel[1:], result, p)
		if err != nil {
			return nil, err
		}
		m[string(s)] = v
		return m, nil
	case spec.Index:
		a, ok := cur.([]any)
		if !ok {
			return nil, resultPathErr(p, cur)
		}
		i := int(s)
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, runtimeErr(fmt.Sprintf("Unable to apply ResultPath '%s': index %d is out of bounds for an array of %d items", p.src, int(s), len(a)))
		}
		c := make([]any, len(a))
		copy(c, a)
		v, err := setAt(c[i], sel[1:], result, p)
		if err != nil {
			return nil, err
		}
		c[i] = v
		return c, nil
	}
	return nil, runtimeErr(fmt.Sprintf("Unable to apply ResultPath '%s'", p.src))
}

func resultPathErr(p *Path, cur any) *Error {
	return runtimeErr(fmt.Sprintf("Unable to apply ResultPath '%s' to input '%s': cannot set a field inside a %s", p.src, mustEncode(cur), TypeName(cur)))
}
