package cloud

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Draft4 converts a JSON Schema draft 2020-12 document into the draft 4 dialect
// that API Gateway REST API models speak, keeping its meaning:
//
//   - $schema, $id and annotation-only keywords of later drafts ($comment,
//     examples, deprecated, readOnly, writeOnly) are dropped;
//   - $defs becomes definitions and local $refs into it are rewritten;
//   - numeric exclusiveMinimum/exclusiveMaximum become minimum/maximum with the
//     boolean exclusiveMinimum/exclusiveMaximum of draft 4;
//   - const becomes a one-value enum;
//   - dependentRequired and dependentSchemas become dependencies.
//
// A keyword draft 4 cannot express (prefixItems, if/then/else,
// unevaluatedProperties, a reference to another document, ...) is an error:
// dropping it would make the model accept what the contract rejects.
func Draft4(doc []byte) ([]byte, error) {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("draft4: parse schema: %w", err)
	}
	c := &draft4Converter{}
	out := c.schema(root, "#")
	if len(c.errs) > 0 {
		sort.Strings(c.errs)
		return nil, fmt.Errorf("draft4: %s", strings.Join(c.errs, "; "))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("draft4: encode schema: %w", err)
	}
	return b, nil
}

type draft4Converter struct{ errs []string }

func (c *draft4Converter) fail(at, format string, args ...any) {
	c.errs = append(c.errs, at+": "+fmt.Sprintf(format, args...))
}

// Keywords whose value is a map of name to subschema.
var schemaMapKeywords = map[string]bool{"properties": true, "patternProperties": true, "definitions": true}

// Keywords whose value is one subschema.
var schemaKeywords = map[string]bool{"additionalProperties": true, "not": true, "additionalItems": true}

// Keywords whose value is a list of subschemas.
var schemaListKeywords = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true}

// Annotations added after draft 4; they never affect validation.
var droppedKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true,
	"contentEncoding": true, "contentMediaType": true, "contentSchema": true,
}

// Validation keywords of later drafts with no draft 4 equivalent.
var unsupportedKeywords = map[string]bool{
	"prefixItems": true, "contains": true, "minContains": true, "maxContains": true,
	"if": true, "then": true, "else": true, "propertyNames": true,
	"unevaluatedProperties": true, "unevaluatedItems": true,
	"$anchor": true, "$dynamicRef": true, "$dynamicAnchor": true, "$recursiveRef": true,
	"$recursiveAnchor": true, "$vocabulary": true,
}

func (c *draft4Converter) schema(v any, at string) any {
	switch s := v.(type) {
	case bool:
		// Draft 4 has no boolean schemas.
		if s {
			return map[string]any{}
		}
		return map[string]any{"not": map[string]any{}}
	case map[string]any:
		return c.object(s, at)
	default:
		c.fail(at, "a schema must be an object or a boolean")
		return v
	}
}

func (c *draft4Converter) object(s map[string]any, at string) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		here := at + "/" + k
		switch {
		case droppedKeywords[k]:
		case unsupportedKeywords[k]:
			c.fail(here, "keyword %s has no draft 4 equivalent", k)
		case k == "$defs" || schemaMapKeywords[k]:
			m, ok := v.(map[string]any)
			if !ok {
				c.fail(here, "must be an object")
				continue
			}
			key := k
			if k == "$defs" {
				key = "definitions"
			}
			dst, _ := out[key].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
			}
			for name, sub := range m {
				if _, dup := dst[name]; dup {
					c.fail(here+"/"+name, "defined in both $defs and definitions")
				}
				dst[name] = c.schema(sub, here+"/"+name)
			}
			out[key] = dst
		case schemaKeywords[k]:
			if b, ok := v.(bool); ok && k != "not" {
				out[k] = b // draft 4 allows booleans here
				continue
			}
			out[k] = c.schema(v, here)
		case schemaListKeywords[k]:
			list, ok := v.([]any)
			if !ok {
				c.fail(here, "must be an array")
				continue
			}
			conv := make([]any, len(list))
			for i, sub := range list {
				conv[i] = c.schema(sub, fmt.Sprintf("%s/%d", here, i))
			}
			out[k] = conv
		case k == "items":
			if _, isList := v.([]any); isList {
				c.fail(here, "array form of items is prefixItems in draft 2020-12 and is not valid there")
				continue
			}
			out[k] = c.schema(v, here)
		case k == "$ref":
			ref, _ := v.(string)
			switch {
			case ref == "#":
				out[k] = ref
			case strings.HasPrefix(ref, "#/$defs/"):
				out[k] = "#/definitions/" + strings.TrimPrefix(ref, "#/$defs/")
			case strings.HasPrefix(ref, "#/"):
				out[k] = ref
			default:
				c.fail(here, "reference %q leaves the document; inline it first", ref)
			}
		case k == "const":
			c.addEnum(out, []any{v}, here)
		case k == "enum":
			list, ok := v.([]any)
			if !ok {
				c.fail(here, "must be an array")
				continue
			}
			c.addEnum(out, list, here)
		case k == "exclusiveMinimum" || k == "exclusiveMaximum":
			if _, ok := v.(float64); !ok {
				c.fail(here, "must be a number")
			}
		case k == "minimum" || k == "maximum":
			if _, ok := v.(float64); !ok {
				c.fail(here, "must be a number")
				continue
			}
			out[k] = v
		case k == "dependentRequired" || k == "dependentSchemas":
			m, ok := v.(map[string]any)
			if !ok {
				c.fail(here, "must be an object")
				continue
			}
			deps, _ := out["dependencies"].(map[string]any)
			if deps == nil {
				deps = map[string]any{}
			}
			for name, d := range m {
				if _, dup := deps[name]; dup {
					c.fail(here+"/"+name, "dependency declared twice")
				}
				if k == "dependentRequired" {
					deps[name] = d
				} else {
					deps[name] = c.schema(d, here+"/"+name)
				}
			}
			out["dependencies"] = deps
		case k == "dependencies":
			c.fail(here, "dependencies is not a draft 2020-12 keyword; use dependentRequired or dependentSchemas")
		default:
			// type, required, pattern, format, lengths, counts, multipleOf,
			// uniqueItems, title, description, default: the same in draft 4.
			out[k] = v
		}
	}
	c.bound(s, out, "minimum", "exclusiveMinimum", at, func(a, b float64) bool { return a >= b })
	c.bound(s, out, "maximum", "exclusiveMaximum", at, func(a, b float64) bool { return a <= b })
	return out
}

// bound folds draft 2020-12's independent inclusive and exclusive bounds into
// draft 4's single bound with a boolean flag, keeping the stricter one.
// tighter(a, b) reports whether exclusive bound a is at least as strict as inclusive b.
func (c *draft4Converter) bound(in, out map[string]any, incKey, excKey, at string, tighter func(a, b float64) bool) {
	exc, hasExc := in[excKey].(float64)
	if !hasExc {
		return
	}
	inc, hasInc := in[incKey].(float64)
	if hasInc && !tighter(exc, inc) {
		// The inclusive bound is strictly stronger: the exclusive one adds nothing.
		return
	}
	out[incKey] = exc
	out[excKey] = true
}

// addEnum merges allowed values: const and enum together allow their intersection.
func (c *draft4Converter) addEnum(out map[string]any, values []any, at string) {
	prev, ok := out["enum"].([]any)
	if !ok {
		out["enum"] = values
		return
	}
	var both []any
	for _, p := range prev {
		for _, v := range values {
			if jsonEqual(p, v) {
				both = append(both, p)
				break
			}
		}
	}
	if len(both) == 0 {
		c.fail(at, "const and enum allow no common value")
		return
	}
	out["enum"] = both
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
