package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"loanflow/infra/local/asl/expr"
)

// maxDefinitionBytes is AWS's definition size limit (1 MiB).
const maxDefinitionBytes = 1 << 20

// Parse parses and validates an ASL document. Every problem is reported as
// an InvalidDefinition APIError listing each one with its JSON pointer, as
// AWS does.
func Parse(def []byte) (*Machine, error) {
	if len(def) > maxDefinitionBytes {
		return nil, apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: definition is larger than %d bytes'", maxDefinitionBytes)
	}
	v, err := expr.Decode(def)
	if err != nil {
		return nil, apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %v'", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: the definition must be a JSON object'")
	}
	c := &compiler{}
	lang := c.language(root, "", nil)
	m := c.machine(root, "", lang, true)
	if err := c.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// ValidateDefinition parses and validates an ASL definition; the error is an
// InvalidDefinition APIError listing every problem.
func ValidateDefinition(def []byte) error {
	_, err := Parse(def)
	return err
}

var topFields = fieldSet("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage")
var branchFields = fieldSet("Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage")

func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// language resolves the QueryLanguage of a definition or state, inheriting
// parent. A state may move a JSONPath machine to JSONata, not the reverse.
func (c *compiler) language(raw map[string]any, at string, parent queryLanguage) queryLanguage {
	v, ok := raw["QueryLanguage"]
	if !ok {
		if parent == nil {
			return jsonPathLang{}
		}
		return parent
	}
	name, _ := v.(string)
	l, ok := languageFor(name)
	if !ok {
		c.schema(at+"/QueryLanguage", "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]")
		if parent != nil {
			return parent
		}
		return jsonPathLang{}
	}
	if parent != nil && parent.name() == langJSONata && name == langJSONPath {
		c.schema(at+"/QueryLanguage", "Cannot downgrade from JSONata context to a JSONPath context")
		return parent
	}
	return l
}

func (c *compiler) machine(raw map[string]any, at string, lang queryLanguage, top bool) *Machine {
	allowed := branchFields
	if top {
		allowed = topFields
	}
	c.unknownFields(raw, at, allowed)
	m := &Machine{states: map[string]*state{}}
	startAt, ok := raw["StartAt"].(string)
	if !ok {
		c.schema(at+"/StartAt", "The field 'StartAt' is required and must be a STRING")
	}
	m.startAt = startAt
	if top {
		if v, ok := raw["Version"]; ok && v != "1.0" {
			c.schema("/Version", "The value for the field 'Version' must be '1.0'")
		}
		if v, ok := raw["TimeoutSeconds"]; ok {
			m.timeoutSeconds = c.posInt(v, "/TimeoutSeconds", "TimeoutSeconds")
		}
	}
	states, ok := raw["States"].(map[string]any)
	if !ok || len(states) == 0 {
		c.schema(at+"/States", "The field 'States' is required and must be a non-empty OBJECT")
		return m
	}
	names := make([]string, 0, len(states))
	for name := range states {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sat := at + "/States/" + escapePointer(name)
		if len(name) > 80 {
			c.schema(sat, "State names must be at most 80 characters")
		}
		sraw, ok := states[name].(map[string]any)
		if !ok {
			c.schema(sat, "A state must be an OBJECT")
			continue
		}
		m.states[name] = c.state(name, sraw, sat, lang)
	}
	if startAt != "" {
		if _, ok := m.states[startAt]; !ok {
			c.fail("MISSING_TRANSITION_TARGET", at+"/StartAt", "Missing 'Next' target: %s", startAt)
		}
	}
	c.checkTransitions(m, at)
	return m
}

// checkTransitions reports unknown targets, unreachable states and a machine
// with no terminal state.
func (c *compiler) checkTransitions(m *Machine, at string) {
	targets := func(st *state) (out []string) {
		if st.Next != "" {
			out = append(out, st.Next)
		}
		for _, ch := range st.choices {
			out = append(out, ch.Next)
		}
		if st.dflt != "" {
			out = append(out, st.dflt)
		}
		for _, ct := range st.Catch {
			out = append(out, ct.Next)
		}
		return out
	}
	names := make([]string, 0, len(m.states))
	for n := range m.states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := m.states[n]
		for _, t := range targets(st) {
			if _, ok := m.states[t]; !ok && t != "" {
				c.fail("MISSING_TRANSITION_TARGET", st.path+"/Next", "Missing 'Next' target: %s", t)
			}
		}
	}
	if _, ok := m.states[m.startAt]; !ok {
		return
	}
	seen := map[string]bool{m.startAt: true}
	queue := []string{m.startAt}
	terminal := false
	for len(queue) > 0 {
		st := m.states[queue[0]]
		queue = queue[1:]
		if st.End || st.Type == "Succeed" || st.Type == "Fail" {
			terminal = true
		}
		for _, t := range targets(st) {
			if _, ok := m.states[t]; ok && !seen[t] {
				seen[t] = true
				queue = append(queue, t)
			}
		}
	}
	for _, n := range names {
		if !seen[n] {
			c.fail("MISSING_TRANSITION_TARGET", m.states[n].path, "State \"%s\" is not reachable.", n)
		}
	}
	if !terminal {
		c.fail("MISSING_TERMINAL_STATE", at+"/States", "No End state reachable from StartAt %q", m.startAt)
	}
}

func (c *compiler) unknownFields(raw map[string]any, at string, allowed map[string]bool) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		if !allowed[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.schema(at+"/"+escapePointer(k), "Field '%s' is not supported", k)
	}
}

var common = []string{"Type", "Comment", "QueryLanguage"}

var stateFields = map[string]map[string]bool{
	"Pass":     fieldSet(append(common, "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result", "Assign")...),
	"Task":     fieldSet(append(common, "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "Retry", "Catch", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Assign", "Credentials")...),
	"Choice":   fieldSet(append(common, "InputPath", "OutputPath", "Choices", "Default", "Assign")...),
	"Wait":     fieldSet(append(common, "Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign")...),
	"Succeed":  fieldSet(append(common, "InputPath", "OutputPath")...),
	"Fail":     fieldSet(append(common, "Error", "ErrorPath", "Cause", "CausePath")...),
	"Parallel": fieldSet(append(common, "Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "Retry", "Catch", "Branches", "Assign")...),
	"Map": fieldSet(append(common, "Next", "End", "InputPath", "OutputPath", "Parameters", "ItemSelector", "ResultPath", "ResultSelector", "Retry", "Catch",
		"Iterator", "ItemProcessor", "ItemsPath", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
		"ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label", "ItemReader", "ItemBatcher", "ResultWriter", "Assign")...),
}

func (c *compiler) state(name string, raw map[string]any, at string, parent queryLanguage) *state {
	st := &state{Name: name, path: at}
	typ, _ := raw["Type"].(string)
	st.Type = typ
	allowed, ok := stateFields[typ]
	if !ok {
		c.schema(at+"/Type", "The value for the field 'Type' must be one of [Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map]")
		return st
	}
	lang := c.language(raw, at, parent)
	st.jsonata = lang.name() == langJSONata
	if st.jsonata {
		allowed = c.jsonataFields(raw, at, typ, allowed)
	}
	c.unknownFields(raw, at, allowed)
	st.io = lang.compileState(c, raw, at, typ)
	st.usesContext = typ == "Task" || typ == "Map" || typ == "Parallel" || mentions(raw, "$$") || st.jsonata && mentions(raw, "$states")
	if rm, ok := st.io.(interface{ resultMember() string }); ok {
		st.resultKey = rm.resultMember()
	}

	next, hasNext := raw["Next"]
	end, _ := raw["End"].(bool)
	st.End = end
	if hasNext {
		s, ok := next.(string)
		if !ok || s == "" {
			c.schema(at+"/Next", "The value for the field 'Next' must be a non-empty STRING")
		}
		st.Next = s
	}
	switch typ {
	case "Choice", "Succeed", "Fail":
	default:
		if hasNext && end {
			c.schema(at, "A state cannot have both 'Next' and 'End': true")
		}
		if !hasNext && !end {
			c.schema(at, "A %s state must have 'Next' or 'End': true", typ)
		}
	}

	switch typ {
	case "Pass":
		if r, ok := raw["Result"]; ok {
			st.result, st.hasResult = r, true
			b, _ := json.Marshal(r)
			st.resultSize = len(b)
		}
	case "Task":
		c.task(st, raw, at, lang)
	case "Choice":
		c.choice(st, raw, at, lang)
	case "Wait":
		c.wait(st, raw, at, lang)
	case "Fail":
		if st.jsonata {
			st.errName, st.errPath = c.jsonataString(raw, "Error", at, lang)
			st.cause, st.causePath = c.jsonataString(raw, "Cause", at, lang)
			break
		}
		st.errName, _ = raw["Error"].(string)
		st.cause, _ = raw["Cause"].(string)
		st.errPath = lang.compileRef(c, raw["ErrorPath"], at+"/ErrorPath", true)
		st.causePath = lang.compileRef(c, raw["CausePath"], at+"/CausePath", true)
		if _, ok := raw["Error"]; ok && st.errPath != nil {
			c.schema(at, "A Fail state cannot have both 'Error' and 'ErrorPath'")
		}
		if _, ok := raw["Cause"]; ok && st.causePath != nil {
			c.schema(at, "A Fail state cannot have both 'Cause' and 'CausePath'")
		}
	case "Parallel":
		brs, ok := raw["Branches"].([]any)
		if !ok || len(brs) == 0 {
			c.schema(at+"/Branches", "The field 'Branches' is required and must be a non-empty ARRAY")
		}
		for i, b := range brs {
			bm, ok := b.(map[string]any)
			if !ok {
				c.schema(fmt.Sprintf("%s/Branches/%d", at, i), "A branch must be an OBJECT")
				continue
			}
			st.branches = append(st.branches, c.machine(bm, fmt.Sprintf("%s/Branches/%d", at, i), lang, false))
		}
		st.branchesComputeOnly = true
		for _, b := range st.branches {
			st.branchesComputeOnly = st.branchesComputeOnly && b != nil && b.computeOnly()
		}
	case "Map":
		c.mapState(st, raw, at, lang)
	}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		c.retryCatch(st, raw, at, lang)
	}
	return st
}

func (c *compiler) posInt(v any, at, field string) int64 {
	n, ok := v.(json.Number)
	if !ok {
		c.schema(at, "The value for the field '%s' must be a positive INTEGER", field)
		return 0
	}
	i, err := n.Int64()
	if err != nil || i <= 0 || i > 99999999 {
		c.schema(at, "The value for the field '%s' must be a positive INTEGER", field)
		return 0
	}
	return i
}

func (c *compiler) task(st *state, raw map[string]any, at string, lang queryLanguage) {
	res, ok := raw["Resource"].(string)
	if !ok || res == "" {
		c.schema(at+"/Resource", "The field 'Resource' is required and must be a STRING")
		return
	}
	spec, problem := parseResource(res)
	if spec == nil {
		c.schema(at+"/Resource", "%s", problem)
		return
	}
	st.task = spec
	if v, ok := raw["TimeoutSeconds"]; ok {
		if r := c.jsonataExpr(st, v, at+"/TimeoutSeconds", lang); r != nil {
			st.timeoutPath = r
		} else {
			st.timeoutSeconds = c.posInt(v, at+"/TimeoutSeconds", "TimeoutSeconds")
		}
	}
	if v, ok := raw["HeartbeatSeconds"]; ok {
		if r := c.jsonataExpr(st, v, at+"/HeartbeatSeconds", lang); r != nil {
			st.heartbeatPath = r
		} else {
			st.heartbeatSeconds = c.posInt(v, at+"/HeartbeatSeconds", "HeartbeatSeconds")
		}
	}
	if !st.jsonata {
		st.timeoutPath = lang.compileRef(c, raw["TimeoutSecondsPath"], at+"/TimeoutSecondsPath", false)
		st.heartbeatPath = lang.compileRef(c, raw["HeartbeatSecondsPath"], at+"/HeartbeatSecondsPath", false)
	}
	if st.timeoutSeconds > 0 && st.heartbeatSeconds >= st.timeoutSeconds {
		c.schema(at+"/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
	}
	if spec.Pattern == patternToken && st.jsonata {
		if p, ok := raw["Arguments"]; !ok || !strings.Contains(compactValue(p), "$states.context.Task.Token") {
			c.schema(at+"/Arguments", "The 'Arguments' field must contain the field '$states.context.Task.Token' for the .waitForTaskToken integration pattern")
		}
	} else if spec.Pattern == patternToken {
		if p, ok := raw["Parameters"]; !ok || !strings.Contains(compactValue(p), "$$.Task.Token") {
			c.schema(at+"/Parameters", "The 'Parameters' field must contain the field '$$.Task.Token' for the .waitForTaskToken integration pattern")
		}
	}
}

func compactValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *compiler) choice(st *state, raw map[string]any, at string, lang queryLanguage) {
	chs, ok := raw["Choices"].([]any)
	if !ok || len(chs) == 0 {
		c.schema(at+"/Choices", "The field 'Choices' is required and must be a non-empty ARRAY")
	}
	for i, ch := range chs {
		cat := fmt.Sprintf("%s/Choices/%d", at, i)
		cm, ok := ch.(map[string]any)
		if !ok {
			c.schema(cat, "A choice rule must be an OBJECT")
			continue
		}
		next, _ := cm["Next"].(string)
		if next == "" {
			c.schema(cat+"/Next", "A top-level choice rule must have a 'Next' field")
		}
		rule := map[string]any{}
		for k, v := range cm {
			if k != "Next" && k != "Assign" && k != "Comment" {
				rule[k] = v
			}
		}
		r := lang.compileRule(c, rule, cat)
		cr := &choiceRule{rule: r, Next: next, assign: lang.compileAssign(c, cm["Assign"], cat+"/Assign")}
		if out, ok := cm["Output"]; ok && st.jsonata {
			cr.output = c.compileJValue(out, "Output", cat+"/Output")
		}
		st.choices = append(st.choices, cr)
	}
	if d, ok := raw["Default"]; ok {
		s, _ := d.(string)
		if s == "" {
			c.schema(at+"/Default", "The value for the field 'Default' must be a STRING")
		}
		st.dflt = s
	}
}

func (c *compiler) wait(st *state, raw map[string]any, at string, lang queryLanguage) {
	w := &waitSpec{}
	n := 0
	if v, ok := raw["Seconds"]; ok && c.jsonataExpr(st, v, "", lang) != nil {
		n++
		w.secondsPath = c.jsonataExpr(st, v, at+"/Seconds", lang)
	} else if ok {
		n++
		num, isNum := v.(json.Number)
		i, err := num.Int64()
		switch {
		case !isNum || err != nil || i < 0:
			c.schema(at+"/Seconds", "The value for the field 'Seconds' must be a non-negative INTEGER")
		case i > maxWaitSeconds:
			c.schema(at+"/Seconds", "The value for the field 'Seconds' must be between 0 and %d (a Standard execution waits at most one year)", maxWaitSeconds)
		}
		w.seconds, w.hasSeconds = i, true
	}
	if v, ok := raw["Timestamp"]; ok && c.jsonataExpr(st, v, "", lang) != nil {
		n++
		w.timestampPath = c.jsonataExpr(st, v, at+"/Timestamp", lang)
	} else if ok {
		n++
		s, _ := v.(string)
		t, err := parseTimestamp(s)
		if err != nil {
			c.schema(at+"/Timestamp", "The value for the field 'Timestamp' must be a valid ISO-8601 extended offset date-time format string")
		}
		w.timestamp, w.hasTimestamp = t, true
	}
	if v, ok := raw["SecondsPath"]; ok {
		n++
		w.secondsPath = lang.compileRef(c, v, at+"/SecondsPath", false)
	}
	if v, ok := raw["TimestampPath"]; ok {
		n++
		w.timestampPath = lang.compileRef(c, v, at+"/TimestampPath", false)
	}
	if n != 1 {
		c.schema(at, "A Wait state must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath'")
	}
	st.wait = w
}

// parseTimestamp parses an RFC 3339 timestamp with a mandatory offset, as AWS
// requires for Wait states.
func parseTimestamp(s string) (time.Time, error) {
	if !strings.ContainsAny(s, "Zz+") && strings.Count(s, "-") < 3 {
		return time.Time{}, fmt.Errorf("no offset in %q", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

func (c *compiler) mapState(st *state, raw map[string]any, at string, lang queryLanguage) {
	ms := &mapSpec{}
	proc, field := raw["ItemProcessor"], "ItemProcessor"
	if proc == nil {
		proc, field = raw["Iterator"], "Iterator"
	}
	pm, ok := proc.(map[string]any)
	if !ok {
		c.schema(at+"/ItemProcessor", "The field 'ItemProcessor' is required and must be an OBJECT")
	} else {
		ms.processor = c.machine(pm, at+"/"+field, lang, false)
		ms.computeOnly = ms.processor != nil && ms.processor.computeOnly()
	}
	if _, ok := raw["ItemReader"]; ok {
		c.schema(at+"/ItemReader", "ItemReader (distributed Map over S3) is not supported by the loanflow local engine")
	}
	if st.jsonata {
		ms.itemsPath = lang.compileRef(c, raw["Items"], at+"/Items", false)
		if items, ok := raw["Items"]; ok {
			if s, isStr := items.(string); isStr {
				if _, isT := isTemplate(s); !isT {
					c.schema(at+"/Items", "The value for the field 'Items' must be an ARRAY or a JSONata expression")
				}
			} else if _, isArr := items.([]any); !isArr {
				c.schema(at+"/Items", "The value for the field 'Items' must be an ARRAY or a JSONata expression")
			}
		}
	} else {
		ms.itemsPath = lang.compileRef(c, raw["ItemsPath"], at+"/ItemsPath", false)
	}
	if v, ok := raw["MaxConcurrency"]; ok && c.jsonataExpr(st, v, "", lang) != nil {
		ms.maxConcurrencyPath = c.jsonataExpr(st, v, at+"/MaxConcurrency", lang)
	} else if ok {
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil || i < 0 {
			c.schema(at+"/MaxConcurrency", "The value for the field 'MaxConcurrency' must be a non-negative INTEGER")
		}
		ms.maxConcurrency = int(i)
	}
	if !st.jsonata {
		ms.maxConcurrencyPath = lang.compileRef(c, raw["MaxConcurrencyPath"], at+"/MaxConcurrencyPath", false)
	}
	if v, ok := raw["ToleratedFailureCount"]; ok && c.jsonataExpr(st, v, "", lang) != nil {
		ms.toleratedCountPath = c.jsonataExpr(st, v, at+"/ToleratedFailureCount", lang)
	} else if ok {
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil || i < 0 {
			c.schema(at+"/ToleratedFailureCount", "The value for the field 'ToleratedFailureCount' must be a non-negative INTEGER")
		}
		ms.toleratedCount, ms.hasToleratedCount = int(i), true
	}
	if !st.jsonata {
		ms.toleratedCountPath = lang.compileRef(c, raw["ToleratedFailureCountPath"], at+"/ToleratedFailureCountPath", false)
	}
	if v, ok := raw["ToleratedFailurePercentage"]; ok && c.jsonataExpr(st, v, "", lang) != nil {
		ms.toleratedPercentPath = c.jsonataExpr(st, v, at+"/ToleratedFailurePercentage", lang)
	} else if ok {
		n, isNum := v.(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil || f < 0 || f > 100 || math.IsNaN(f) {
			c.schema(at+"/ToleratedFailurePercentage", "The value for the field 'ToleratedFailurePercentage' must be a number between 0 and 100")
		}
		ms.toleratedPercent, ms.hasToleratedPercent = f, true
	}
	if !st.jsonata {
		ms.toleratedPercentPath = lang.compileRef(c, raw["ToleratedFailurePercentagePath"], at+"/ToleratedFailurePercentagePath", false)
	}
	if _, ok := raw["ItemSelector"]; ok {
		if _, ok := raw["Parameters"]; ok {
			c.schema(at, "A Map state cannot have both 'ItemSelector' and 'Parameters'")
		}
	}
	st.mapSpec = ms
}

func (c *compiler) retryCatch(st *state, raw map[string]any, at string, lang queryLanguage) {
	if v, ok := raw["Retry"]; ok {
		arr, ok := v.([]any)
		if !ok {
			c.schema(at+"/Retry", "The value for the field 'Retry' must be an ARRAY")
		}
		for i, r := range arr {
			st.Retry = append(st.Retry, c.retrier(r, fmt.Sprintf("%s/Retry/%d", at, i), i == len(arr)-1))
		}
	}
	if v, ok := raw["Catch"]; ok {
		arr, ok := v.([]any)
		if !ok {
			c.schema(at+"/Catch", "The value for the field 'Catch' must be an ARRAY")
		}
		for i, r := range arr {
			cat := fmt.Sprintf("%s/Catch/%d", at, i)
			cm, ok := r.(map[string]any)
			if !ok {
				c.schema(cat, "A catcher must be an OBJECT")
				continue
			}
			ct := &catcher{ErrorEquals: c.errorEquals(cm, cat, i == len(arr)-1)}
			ct.Next, _ = cm["Next"].(string)
			if ct.Next == "" {
				c.schema(cat+"/Next", "The field 'Next' is required in a catcher")
			}
			ct.io = lang.compileCatch(c, cm, cat)
			st.Catch = append(st.Catch, ct)
		}
	}
}

func (c *compiler) errorEquals(m map[string]any, at string, last bool) []string {
	arr, ok := m["ErrorEquals"].([]any)
	if !ok || len(arr) == 0 {
		c.schema(at+"/ErrorEquals", "The field 'ErrorEquals' is required and must be a non-empty ARRAY")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, _ := e.(string)
		if s == ErrAll && (len(arr) > 1 || !last) {
			c.schema(at+"/ErrorEquals", "States.ALL must appear alone in the last retrier or catcher")
		}
		out = append(out, s)
	}
	return out
}

func (c *compiler) retrier(v any, at string, last bool) *retrier {
	m, ok := v.(map[string]any)
	r := &retrier{Interval: time.Second, MaxAttempts: 3, BackoffRate: 2}
	if !ok {
		c.schema(at, "A retrier must be an OBJECT")
		return r
	}
	r.ErrorEquals = c.errorEquals(m, at, last)
	num := func(field string) (json.Number, bool) {
		x, ok := m[field]
		if !ok {
			return "", false
		}
		n, isNum := x.(json.Number)
		if !isNum {
			c.schema(at+"/"+field, "The value for the field '%s' must be a NUMBER", field)
			return "", false
		}
		return n, true
	}
	if n, ok := num("IntervalSeconds"); ok {
		i, err := n.Int64()
		if err != nil || i < 1 || i > 99999999 {
			c.schema(at+"/IntervalSeconds", "The value for the field 'IntervalSeconds' must be a positive INTEGER")
		}
		r.Interval = time.Duration(i) * time.Second
	}
	if n, ok := num("MaxAttempts"); ok {
		i, err := n.Int64()
		if err != nil || i < 0 || i > 99999999 {
			c.schema(at+"/MaxAttempts", "The value for the field 'MaxAttempts' must be a non-negative INTEGER")
		}
		r.MaxAttempts = int(i)
	}
	if n, ok := num("BackoffRate"); ok {
		f, err := n.Float64()
		if err != nil || f < 1 {
			c.schema(at+"/BackoffRate", "The value for the field 'BackoffRate' must be a NUMBER >= 1.0")
		}
		r.BackoffRate = f
	}
	if n, ok := num("MaxDelaySeconds"); ok {
		i, err := n.Int64()
		if err != nil || i < 1 || i > 31622400 {
			c.schema(at+"/MaxDelaySeconds", "The value for the field 'MaxDelaySeconds' must be a positive INTEGER")
		}
		r.MaxDelay = time.Duration(i) * time.Second
	}
	if v, ok := m["JitterStrategy"]; ok {
		switch v {
		case "FULL":
			r.FullJitter = true
		case "NONE":
		default:
			c.schema(at+"/JitterStrategy", "The value for the field 'JitterStrategy' must be one of [FULL, NONE]")
		}
	}
	return r
}

// mentions reports whether any string (key or value) in the JSON value v
// contains sub.
func mentions(v any, sub string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, sub)
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, sub) || mentions(e, sub) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if mentions(e, sub) {
				return true
			}
		}
	}
	return false
}

// jsonataFields reports the JSONPath fields of a JSONata state, as AWS
// does, and returns the fields the state may have.
func (c *compiler) jsonataFields(raw map[string]any, at, typ string, allowed map[string]bool) map[string]bool {
	out := make(map[string]bool, len(allowed)+2)
	for k := range allowed {
		out[k] = true
	}
	for _, f := range jsonataFields[typ] {
		out[f] = true
	}
	for _, f := range jsonPathOnlyFields {
		if _, ok := raw[f]; ok {
			c.schema(at+"/"+f, "The field '%s' is not supported for QueryLanguage 'JSONata'", f)
		}
		delete(out, f)
	}
	return out
}

// jsonataExpr compiles v when the state is JSONata and v is a "{% %}"
// template, the form a JSONata state's numeric and timestamp fields take
// for a computed value; nil otherwise. With at "", nothing is reported.
func (c *compiler) jsonataExpr(st *state, v any, at string, lang queryLanguage) valueRef {
	if !st.jsonata {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if _, ok := isTemplate(s); !ok {
		return nil
	}
	if at == "" {
		return &jsonataRef{&jvalue{}}
	}
	return lang.compileRef(c, v, at, false)
}

// jsonataString compiles a JSONata Fail state's Error or Cause: a literal
// string or an expression.
func (c *compiler) jsonataString(raw map[string]any, field, at string, lang queryLanguage) (string, valueRef) {
	v, ok := raw[field]
	if !ok {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		c.schema(at+"/"+field, "The value for the field '%s' must be a STRING", field)
		return "", nil
	}
	if _, isT := isTemplate(s); isT {
		return "", lang.compileRef(c, s, at+"/"+field, false)
	}
	return s, nil
}
