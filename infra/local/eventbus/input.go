package eventbus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// InputTransformer is a target's InputTransformer, as in PutTargets: values
// picked from the event by InputPathsMap fill the <name> placeholders of
// InputTemplate.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

// PutTargets' limits on target input.
const (
	maxInputLen     = 8192
	maxInputPathLen = 256
	maxTemplateLen  = 8192
	maxInputPaths   = 100
)

// The placeholders EventBridge fills without an InputPathsMap entry.
const (
	varRuleARN       = "aws.events.rule-arn"
	varRuleName      = "aws.events.rule-name"
	varIngestionTime = "aws.events.event.ingestion-time"
	varEvent         = "aws.events.event"
	varEventJSON     = "aws.events.event.json"
)

var predefinedVars = map[string]bool{varRuleARN: true, varRuleName: true, varIngestionTime: true, varEvent: true, varEventJSON: true}

var (
	// pathKeyRE is compiled on first use: its counted repetition costs
	// milliseconds at every start of the loanflow binary otherwise.
	pathKeyRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_\-]{1,256}$`) })
	placeholderRE = regexp.MustCompile(`^<([A-Za-z0-9_.\-]+)>`)
)

// InvalidTargetError is a target PutTargets refuses; Message is worded as
// EventBridge words its ValidationException.
type InvalidTargetError struct{ Message string }

// Error returns Message.
func (e *InvalidTargetError) Error() string { return e.Message }

func invalidTarget(format string, args ...any) *InvalidTargetError {
	return &InvalidTargetError{Message: fmt.Sprintf(format, args...)}
}

// supportedTarget reports whether the local stack can deliver to arn.
func supportedTarget(arn string) bool {
	for _, p := range []string{"arn:aws:lambda:", "arn:aws:sqs:", "arn:aws:sns:"} {
		if strings.HasPrefix(arn, p) {
			return true
		}
	}
	return strings.HasPrefix(arn, "arn:aws:states:") && strings.Contains(arn, ":stateMachine:")
}

// validate checks a target as PutTargets does.
func (t Target) validate() error {
	if !supportedTarget(t.ARN) {
		return invalidTarget("Target %s: %s is not a target the loanflow local stack can invoke (Lambda functions, SQS queues, SNS topics and Step Functions state machines only).", t.ID, t.ARN)
	}
	n := 0
	for _, set := range []bool{t.Input != "", t.InputPath != "", t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return onlyOneInput(t.ID)
	}
	switch {
	case t.Input != "":
		if len(t.Input) > maxInputLen {
			return invalidTarget("Input for target %s is longer than %d characters.", t.ID, maxInputLen)
		}
		var v any
		if err := json.Unmarshal([]byte(t.Input), &v); err != nil {
			return inputSyntaxError(t.ID, err)
		}
	case t.InputPath != "":
		if len(t.InputPath) > maxInputPathLen {
			return invalidTarget("InputPath for target %s is longer than %d characters.", t.ID, maxInputPathLen)
		}
		if _, err := compileEventPath(t.InputPath); err != nil {
			return invalidTarget("InputPath for target %s is not a valid JSON path: %v.", t.ID, err)
		}
	case t.InputTransformer != nil:
		return t.InputTransformer.validate(t.ID)
	}
	return nil
}

func onlyOneInput(id string) error {
	return invalidTarget("Only one of Input, InputPath, or InputTransformer must be provided for target %s.", id)
}

func inputSyntaxError(id string, err error) error {
	return invalidTarget("JSON syntax error in input for target %s: %v", id, err)
}

func (it *InputTransformer) validate(id string) error {
	if it.InputTemplate == "" || len(it.InputTemplate) > maxTemplateLen {
		return invalidTarget("InputTemplate for target %s must be 1 to %d characters long.", id, maxTemplateLen)
	}
	if len(it.InputPathsMap) > maxInputPaths {
		return invalidTarget("InputPathsMap for target %s has %d entries; at most %d are allowed.", id, len(it.InputPathsMap), maxInputPaths)
	}
	for k, p := range it.InputPathsMap {
		if !pathKeyRE().MatchString(k) {
			return invalidTarget("InputPathsMap key %q for target %s must match [A-Za-z0-9_-]+ (1 to 256 characters).", k, id)
		}
		if len(p) > maxInputPathLen {
			return invalidTarget("InputPathsMap path of %s for target %s is longer than %d characters.", k, id, maxInputPathLen)
		}
		if _, err := compileEventPath(p); err != nil {
			return invalidTarget("InputPathsMap path of %s for target %s is not a valid JSON path: %v.", k, id, err)
		}
	}
	for _, name := range placeholders(it.InputTemplate) {
		if _, ok := it.InputPathsMap[name]; !ok && !predefinedVars[name] {
			return invalidTarget("InputTemplate for target %s contains invalid placeholder %s.", id, name)
		}
	}
	return nil
}

// placeholders lists the <name> placeholders of a template.
func placeholders(tmpl string) []string {
	var out []string
	for i := strings.IndexByte(tmpl, '<'); i >= 0; {
		if m := placeholderRE.FindStringSubmatch(tmpl[i:]); m != nil {
			out = append(out, m[1])
		}
		j := strings.IndexByte(tmpl[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return out
}

// delivery context of one event, for the predefined placeholders.
type matchContext struct {
	ruleARN, ruleName string
	ingested          time.Time
}

// targetInput is what target t receives for the event env (the envelope as
// stored): the event itself, the constant Input, the part InputPath selects,
// or InputTransformer's template filled in. An error means no input can be
// built; retrying won't change that.
func targetInput(t Target, env []byte, mc matchContext) ([]byte, error) {
	switch {
	case t.Input != "":
		return []byte(t.Input), nil
	case t.InputPath != "":
		p, err := compileEventPath(t.InputPath)
		if err != nil {
			return nil, fmt.Errorf("InputPath %s: %w", t.InputPath, err)
		}
		v, ok := p.eval(env)
		if !ok {
			return nil, fmt.Errorf("InputPath %s selects nothing in the event", t.InputPath)
		}
		return v, nil
	case t.InputTransformer != nil:
		return t.InputTransformer.render(env, mc)
	}
	return env, nil
}

// render fills the template. Each placeholder is replaced according to
// where it stands, as EventBridge does:
//
//   - In a JSON template (one that starts with '{'), a bare placeholder
//     becomes a JSON value (a string is quoted, an object or array is
//     inserted as is); one inside a JSON string becomes the value's raw text
//     (a string unquoted, an object or array as its JSON, which then makes
//     the template invalid). The result must be valid JSON, and is minified.
//   - In any other template, placeholders become raw text, objects and
//     arrays with their quotes removed ({key:value}), and the result is
//     delivered as is.
//
// A path that selects nothing, or a null, is an empty string.
func (it *InputTransformer) render(env []byte, mc matchContext) ([]byte, error) {
	vars := map[string]json.RawMessage{}
	for k, src := range it.InputPathsMap {
		p, err := compileEventPath(src)
		if err != nil {
			return nil, fmt.Errorf("InputPathsMap %s: %w", k, err)
		}
		if v, ok := p.eval(env); ok {
			vars[k] = v
		}
	}
	quote := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	vars[varRuleARN] = quote(mc.ruleARN)
	vars[varRuleName] = quote(mc.ruleName)
	vars[varIngestionTime] = quote(mc.ingested.UTC().Format("2006-01-02T15:04:05Z"))
	vars[varEventJSON] = env
	vars[varEvent] = eventWithoutDetail(env)

	tmpl := it.InputTemplate
	isJSON := strings.HasPrefix(strings.TrimSpace(tmpl), "{")
	var out strings.Builder
	inString, escaped := false, false
	for i := 0; i < len(tmpl); {
		if tmpl[i] == '<' && !escaped {
			if m := placeholderRE.FindStringSubmatch(tmpl[i:]); m != nil {
				out.WriteString(substitute(vars[m[1]], isJSON, isJSON && !inString))
				i += len(m[0])
				continue
			}
		}
		c := tmpl[i]
		if isJSON {
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
		out.WriteByte(c)
		i++
	}
	if !isJSON {
		return []byte(out.String()), nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(out.String())); err != nil {
		return nil, fmt.Errorf("InputTemplate is not valid JSON once its placeholders are filled in (%v): %s", err, truncate(out.String(), 500))
	}
	return compact.Bytes(), nil
}

// substitute renders one value for a placeholder: bare means outside any
// string of a JSON template.
func substitute(v json.RawMessage, jsonTemplate, bare bool) string {
	if len(v) == 0 || string(v) == "null" {
		if bare {
			return `""`
		}
		return ""
	}
	switch v[0] {
	case '"':
		if bare {
			return string(v)
		}
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	case '{', '[':
		if jsonTemplate {
			return string(v)
		}
		return strings.ReplaceAll(string(v), `"`, "")
	}
	return string(v) // number or boolean
}

// eventWithoutDetail is <aws.events.event>: the envelope without its detail,
// with detail-type spelt detailType, in the order EventBridge gives it.
func eventWithoutDetail(env []byte) json.RawMessage {
	ms, ok := members(env)
	if !ok {
		return nil
	}
	byKey := map[string]json.RawMessage{}
	for _, m := range ms {
		byKey[m.key] = m.value
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range [][2]string{{"id", "id"}, {"account", "account"}, {"detailType", "detail-type"}, {"time", "time"},
		{"source", "source"}, {"region", "region"}, {"resources", "resources"}, {"version", "version"}} {
		v, ok := byKey[k[1]]
		if !ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", k[0], v)
	}
	b.WriteByte('}')
	return b.Bytes()
}
