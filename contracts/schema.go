package contracts

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schemas/*.schema.json
var schemaFS embed.FS

// Schema names one contract's JSON Schema.
type Schema string

// The contracts' schemas.
const (
	SchemaLoanApplication          Schema = "loan-application"
	SchemaValuationRequestMessage  Schema = "valuation-request-message"
	SchemaValuationRequest         Schema = "valuation-request"
	SchemaValuationRequestResponse Schema = "valuation-request-response"
	SchemaValuationResponse        Schema = "valuation-response"
	SchemaValuationCallbackDetail  Schema = "valuation-callback-detail"
	SchemaValuationResult          Schema = "valuation-result"
	SchemaLoanDecision             Schema = "loan-decision"
)

// Schemas lists every contract schema.
var Schemas = []Schema{
	SchemaLoanApplication, SchemaValuationRequestMessage, SchemaValuationRequest,
	SchemaValuationRequestResponse, SchemaValuationResponse, SchemaValuationCallbackDetail,
	SchemaValuationResult, SchemaLoanDecision,
}

const schemaBase = "https://loanflow.dev/schemas/"

// URL returns the schema's $id.
func (s Schema) URL() string { return schemaBase + string(s) + ".schema.json" }

// Source returns the schema document as embedded.
func (s Schema) Source() ([]byte, error) {
	b, err := schemaFS.ReadFile("schemas/" + string(s) + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", s, err)
	}
	return b, nil
}

var (
	compileOnce sync.Once
	compiled    map[Schema]*jsonschema.Schema
	compileErr  error
	// byLocation is every compiled (sub)schema by its location, the
	// SchemaURL of the errors it gives.
	byLocation map[string]*jsonschema.Schema
)

func compiledSchemas() (map[Schema]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		entries, err := schemaFS.ReadDir("schemas")
		if err != nil {
			compileErr = err
			return
		}
		for _, e := range entries {
			b, err := schemaFS.ReadFile(path.Join("schemas", e.Name()))
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				compileErr = fmt.Errorf("parse %s: %w", e.Name(), err)
				return
			}
			if err := c.AddResource(schemaBase+e.Name(), doc); err != nil {
				compileErr = fmt.Errorf("add %s: %w", e.Name(), err)
				return
			}
		}
		compiled = map[Schema]*jsonschema.Schema{}
		for _, s := range Schemas {
			sch, err := c.Compile(s.URL())
			if err != nil {
				compileErr = fmt.Errorf("compile %s: %w", s, err)
				return
			}
			compiled[s] = sch
		}
		byLocation = map[string]*jsonschema.Schema{}
		for _, sch := range compiled {
			index(sch, byLocation)
		}
	})
	return compiled, compileErr
}

// index adds sch and the subschemas it validates with to byLoc.
func index(sch *jsonschema.Schema, byLoc map[string]*jsonschema.Schema) {
	if sch == nil || byLoc[sch.Location] != nil {
		return
	}
	byLoc[sch.Location] = sch
	subs := []*jsonschema.Schema{sch.Ref, sch.If, sch.Then, sch.Else, sch.Items2020}
	if it, ok := sch.Items.(*jsonschema.Schema); ok {
		subs = append(subs, it)
	}
	if ap, ok := sch.AdditionalProperties.(*jsonschema.Schema); ok {
		subs = append(subs, ap)
	}
	subs = append(subs, sch.AllOf...)
	subs = append(subs, sch.AnyOf...)
	subs = append(subs, sch.OneOf...)
	for _, p := range sch.Properties {
		subs = append(subs, p)
	}
	for _, sub := range subs {
		index(sub, byLoc)
	}
}

// Validate checks raw JSON against the schema. A violation is a
// *ValidationError naming each field and rule.
func Validate(s Schema, raw []byte) error {
	all, err := compiledSchemas()
	if err != nil {
		return fmt.Errorf("contracts: %w", err)
	}
	sch := all[s]
	if sch == nil {
		return fmt.Errorf("contracts: unknown schema %q", s)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ValidationError{Schema: s, Problems: []Problem{{Field: "(body)", Rule: "must be valid JSON: " + err.Error()}}}
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return &ValidationError{Schema: s, Problems: problems(ve)}
		}
		return fmt.Errorf("validate %s: %w", s, err)
	}
	return nil
}

// Decode validates raw against the schema, then unmarshals it into v.
func Decode(s Schema, raw []byte, v any) error {
	if err := Validate(s, raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// The schema takes 100.0 as an integer (JSON Schema counts
		// numbers by value); the Go type, like API Gateway's draft-04
		// validator in the cloud, does not. Name the field.
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return &ValidationError{Schema: s, Problems: []Problem{{Field: ute.Field, Rule: "must be " + kindRule(ute.Type.Kind())}}}
		}
		return fmt.Errorf("decode %s: %w", s, err)
	}
	return nil
}

// kindRule words what a JSON value must be to decode into a Go kind.
func kindRule(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer written without a fraction or exponent"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// ValidationError lists the ways a message breaks its contract.
type ValidationError struct {
	Schema   Schema
	Problems []Problem
}

// Problem is one broken rule: the field (a dotted path, "items[2].name") and the rule.
type Problem struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

func (p Problem) String() string { return p.Field + ": " + p.Rule }

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid " + string(e.Schema) + ": " + strings.Join(parts, "; ")
}

// problems flattens the validator's error tree into field/rule pairs. In a
// oneOf/anyOf, the branch with the fewest broken rules is the one the
// sender meant.
func problems(ve *jsonschema.ValidationError) []Problem {
	out, _ := leaves(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	seen := map[string]bool{}
	uniq := out[:0]
	for _, p := range out {
		if !seen[p.String()] {
			seen[p.String()] = true
			uniq = append(uniq, p)
		}
	}
	return uniq
}

// leaves returns the problems of ve and how many rules it breaks (a
// missing-properties rule is one rule, whatever it names).
func leaves(ve *jsonschema.ValidationError) ([]Problem, int) {
	if isChoice(ve) {
		if len(ve.Causes) == 0 {
			return []Problem{{Field: field(ve.InstanceLocation), Rule: "must match exactly one allowed shape"}}, 1
		}
		var best []Problem
		fewest := -1
		for _, c := range ve.Causes {
			ps, n := leaves(c)
			if fewest < 0 || n < fewest {
				best, fewest = ps, n
			}
		}
		return best, fewest
	}
	if len(ve.Causes) == 0 {
		return rules(ve), 1
	}
	var out, shapes []Problem
	broken := 0
	for _, c := range ve.Causes {
		if !isChoice(c) {
			ps, n := leaves(c)
			out, broken = append(out, ps...), broken+n
		}
	}
	for _, c := range ve.Causes {
		if !isChoice(c) {
			continue
		}
		// A choice (oneOf/anyOf) says nothing more when a field its shapes
		// tell apart by is already missing or wrong on its own: with
		// "status" absent or "DONE", no shape was meant, and
		// "propertyValue: is required" would mislead.
		ps, n := leaves(c)
		if !sharesField(ps, out) && !sharesField(choiceFields(c), out) {
			shapes, broken = append(shapes, ps...), broken+n
		}
	}
	return append(out, shapes...), broken
}

func isChoice(ve *jsonschema.ValidationError) bool {
	switch ve.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		return true
	}
	return false
}

// choiceFields are the fields the shapes of a choice constrain, as
// problems with no rule: those a shape is told apart by.
func choiceFields(ve *jsonschema.ValidationError) []Problem {
	sch := byLocation[ve.SchemaURL]
	if sch == nil {
		return nil
	}
	shapes := sch.OneOf
	if _, ok := ve.ErrorKind.(*kind.AnyOf); ok {
		shapes = sch.AnyOf
	}
	var out []Problem
	for _, shape := range shapes {
		for name := range shape.Properties {
			out = append(out, Problem{Field: join(ve.InstanceLocation, name)})
		}
	}
	return out
}

// sharesField tells whether a problem of ps is on a field of one of others.
func sharesField(ps, others []Problem) bool {
	for _, p := range ps {
		for _, o := range others {
			if p.Field == o.Field {
				return true
			}
		}
	}
	return false
}

// rules is ve's broken rule, one problem a field: every missing property,
// every property not allowed.
func rules(ve *jsonschema.ValidationError) []Problem {
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		if len(k.Missing) > 1 {
			return each(ve.InstanceLocation, k.Missing, "is required")
		}
	case *kind.AdditionalProperties:
		if len(k.Properties) > 1 {
			return each(ve.InstanceLocation, k.Properties, "is not allowed")
		}
	}
	return []Problem{rule(ve)}
}

// each is the problem rule for each of the properties names of the object
// at loc.
func each(loc, names []string, rule string) []Problem {
	out := make([]Problem, len(names))
	for i, n := range names {
		out[i] = Problem{Field: join(loc, n), Rule: rule}
	}
	return out
}

func field(loc []string) string {
	if len(loc) == 0 {
		return "(root)"
	}
	var b strings.Builder
	for i, s := range loc {
		if _, err := strconv.Atoi(s); err == nil && i > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func join(loc []string, name string) string {
	return field(append(append([]string{}, loc...), name))
}

func rule(ve *jsonschema.ValidationError) Problem {
	f := field(ve.InstanceLocation)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		if len(k.Missing) > 0 {
			return Problem{Field: join(ve.InstanceLocation, k.Missing[0]), Rule: "is required"}
		}
	case *kind.AdditionalProperties:
		if len(k.Properties) > 0 {
			return Problem{Field: join(ve.InstanceLocation, k.Properties[0]), Rule: "is not allowed"}
		}
	case *kind.Type:
		return Problem{Field: f, Rule: "must be " + article(strings.Join(k.Want, " or ")) + ", got " + k.Got}
	case *kind.ExclusiveMinimum:
		return Problem{Field: f, Rule: "must be > " + k.Want.RatString()}
	case *kind.Minimum:
		return Problem{Field: f, Rule: "must be >= " + k.Want.RatString()}
	case *kind.Maximum:
		return Problem{Field: f, Rule: "must be <= " + k.Want.RatString()}
	case *kind.ExclusiveMaximum:
		return Problem{Field: f, Rule: "must be < " + k.Want.RatString()}
	case *kind.MinLength:
		if k.Want == 1 {
			return Problem{Field: f, Rule: "must not be empty"}
		}
		return Problem{Field: f, Rule: fmt.Sprintf("must be at least %d characters", k.Want)}
	case *kind.MaxLength:
		return Problem{Field: f, Rule: fmt.Sprintf("must be at most %d characters", k.Want)}
	case *kind.Pattern:
		return Problem{Field: f, Rule: "must match " + k.Want}
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, w := range k.Want {
			b, _ := json.Marshal(w)
			vals[i] = string(b)
		}
		return Problem{Field: f, Rule: "must be one of " + strings.Join(vals, ", ")}
	case *kind.Const:
		b, _ := json.Marshal(k.Want)
		return Problem{Field: f, Rule: "must be " + string(b)}
	case *kind.Format:
		return Problem{Field: f, Rule: "must be a valid " + k.Want}
	}
	return Problem{Field: f, Rule: ve.ErrorKind.LocalizedString(printer)}
}

var printer = message.NewPrinter(language.English)

func article(t string) string {
	switch t {
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}
