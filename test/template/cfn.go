// Package template holds the synthesized CloudFormation templates to what
// the local stack proves without AWS: the IAM policies against every AWS
// call a local run records (iam.go), and the template against the local
// stack's deployment (parity.go). The templates' intrinsic functions
// (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, ...) are resolved to
// the local stack's names and ARNs through Bindings: which local resource
// each template resource is.
package template

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Stack names, as the CDK app names its stacks in the default stage.
const (
	StackLoanProcessor    = "LoanProcessor"
	StackValuationService = "ValuationService"
)

// Template is a CloudFormation template, as JSON decodes it.
type Template struct {
	Resources map[string]*Resource `json:"Resources"`
	Outputs   map[string]*Output   `json:"Outputs,omitempty"`
}

// Resource is one resource of a template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties,omitempty"`
}

// Output is one output of a template.
type Output struct {
	Value       any    `json:"Value"`
	Description string `json:"Description,omitempty"`
	Export      *struct {
		Name any `json:"Name"`
	} `json:"Export,omitempty"`
}

// Templates are the app's templates by stack name.
type Templates map[string]*Template

// Clone is a deep copy, for a test to change without touching the original.
func (t Templates) Clone() Templates {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	var out Templates
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// ResourceID names a resource: its stack and logical id.
type ResourceID struct {
	Stack, LogicalID string
}

func (r ResourceID) String() string { return r.Stack + "/" + r.LogicalID }

// Binding is what a template resource is on the local stack: the value of
// its Ref and of its attributes (Fn::GetAtt).
type Binding struct {
	Ref   string
	Attrs map[string]string
}

// World resolves the templates' intrinsic functions to the local stack.
type World struct {
	Templates Templates
	Bindings  map[ResourceID]Binding
	Region    string
	Account   string
}

// unbound marks a value with no local counterpart (a log group, a KMS
// key, a dashboard): it can match no ARN.
const unbound = "«unbound "

// IsUnbound reports whether a resolved string depends on a resource the
// local stack does not have.
func IsUnbound(s string) bool { return strings.Contains(s, unbound) }

// Resolve evaluates the intrinsic functions in v, a value of stack's
// template. Strings come back as they are; a reference to a resource
// without a binding resolves to a string IsUnbound recognises.
func (w *World) Resolve(stack string, v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := w.Resolve(stack, e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return w.intrinsic(stack, k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := w.Resolve(stack, e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// ResolveString resolves v to a string.
func (w *World) ResolveString(stack string, v any) (string, error) {
	r, err := w.Resolve(stack, v)
	if err != nil {
		return "", err
	}
	switch s := r.(type) {
	case string:
		return s, nil
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), nil
	case bool:
		return fmt.Sprint(s), nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", stack, jsonText(r))
}

// ResolveStrings resolves v to a list of strings (one string is a list of one).
func (w *World) ResolveStrings(stack string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	r, err := w.Resolve(stack, v)
	if err != nil {
		return nil, err
	}
	switch s := r.(type) {
	case string:
		return []string{s}, nil
	case []any:
		out := make([]string, 0, len(s))
		for _, e := range s {
			str, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: want strings, got %s", stack, jsonText(r))
			}
			out = append(out, str)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want strings, got %s", stack, jsonText(r))
}

func (w *World) pseudo(stack, name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return w.Region, true
	case "AWS::AccountId":
		return w.Account, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	case "AWS::StackName":
		return stack, true
	case "AWS::NoValue":
		return "", true
	}
	return "", false
}

func (w *World) ref(stack, name string) (string, error) {
	if v, ok := w.pseudo(stack, name); ok {
		return v, nil
	}
	tpl := w.Templates[stack]
	if tpl == nil || tpl.Resources[name] == nil {
		return "", fmt.Errorf("%s: Ref %s: no such resource", stack, name)
	}
	if b, ok := w.Bindings[ResourceID{stack, name}]; ok && b.Ref != "" {
		return b.Ref, nil
	}
	return unbound + stack + "/" + name + "»", nil
}

func (w *World) getAtt(stack, name, attr string) (string, error) {
	tpl := w.Templates[stack]
	if tpl == nil || tpl.Resources[name] == nil {
		return "", fmt.Errorf("%s: Fn::GetAtt %s.%s: no such resource", stack, name, attr)
	}
	if b, ok := w.Bindings[ResourceID{stack, name}]; ok {
		if v, ok := b.Attrs[attr]; ok {
			return v, nil
		}
	}
	return unbound + stack + "/" + name + "." + attr + "»", nil
}

func (w *World) intrinsic(stack, fn string, arg any) (any, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s: %s %s: %s", stack, fn, jsonText(arg), fmt.Sprintf(format, a...))
	}
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fail("want a logical id")
		}
		return w.ref(stack, name)
	case "Fn::GetAtt":
		var name, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, fail("want [logicalId, attribute]")
			}
			name, _ = a[0].(string)
			attr, _ = a[1].(string)
		case string:
			name, attr, _ = strings.Cut(a, ".")
		}
		if name == "" || attr == "" {
			return nil, fail("want [logicalId, attribute]")
		}
		return w.getAtt(stack, name, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("want [separator, list]")
		}
		sep, _ := a[0].(string)
		parts, err := w.ResolveStrings(stack, a[1])
		if err != nil {
			return nil, err
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("want [index, list]")
		}
		idx, err := w.ResolveString(stack, a[0])
		if err != nil {
			return nil, err
		}
		list, err := w.ResolveStrings(stack, a[1])
		if err != nil {
			return nil, err
		}
		var i int
		if _, err := fmt.Sscan(idx, &i); err != nil || i < 0 || i >= len(list) {
			return nil, fail("index %s out of range", idx)
		}
		return list[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fail("want [separator, string]")
		}
		sep, _ := a[0].(string)
		s, err := w.ResolveString(stack, a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Sub":
		var text string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			if len(a) != 2 {
				return nil, fail("want [string, variables]")
			}
			text, _ = a[0].(string)
			if m, ok := a[1].(map[string]any); ok {
				vars = m
			}
		}
		return w.sub(stack, text, vars)
	case "Fn::ImportValue":
		name, err := w.ResolveString(stack, arg)
		if err != nil {
			return nil, err
		}
		for _, other := range w.stackNames() {
			for _, o := range w.Templates[other].Outputs {
				if o.Export == nil {
					continue
				}
				if n, err := w.ResolveString(other, o.Export.Name); err == nil && n == name {
					return w.Resolve(other, o.Value)
				}
			}
		}
		return nil, fail("no stack exports %q", name)
	}
	return nil, fail("not supported")
}

// sub fills ${Name}, ${Resource.Attr} and ${Var} in text; ${!x} is a
// literal ${x}.
func (w *World) sub(stack, text string, vars map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%s: Fn::Sub: unterminated ${ in %q", stack, text)
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v string
		var err error
		switch {
		case vars[name] != nil:
			v, err = w.ResolveString(stack, vars[name])
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			res, attr, _ := strings.Cut(name, ".")
			v, err = w.getAtt(stack, res, attr)
		default:
			v, err = w.ref(stack, name)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
}

func (w *World) stackNames() []string {
	names := make([]string, 0, len(w.Templates))
	for n := range w.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resourcesOf lists the resources of a type in every template, sorted.
func (w *World) resourcesOf(typ string) []ResourceID {
	var out []ResourceID
	for _, stack := range w.stackNames() {
		for id, r := range w.Templates[stack].Resources {
			if r.Type == typ {
				out = append(out, ResourceID{stack, id})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (w *World) resource(id ResourceID) *Resource {
	if t := w.Templates[id.Stack]; t != nil {
		return t.Resources[id.LogicalID]
	}
	return nil
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
