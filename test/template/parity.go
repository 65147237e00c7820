package template

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Deployment is the local stack's deployment as the parity check reads it.
type Deployment struct {
	// Queues are each queue's attributes, by queue ARN.
	Queues map[string]map[string]string
	// Mappings are the SQS event source mappings.
	Mappings []Mapping
	// Rules are the event bus rules, by rule ARN.
	Rules map[string]Rule
	// Functions are the functions, by ARN.
	Functions map[string]Function
	// StateMachines are the state machines, by ARN.
	StateMachines map[string]StateMachine
	// Outputs are the local CloudFormation's stack outputs: stack -> key -> value.
	Outputs map[string]map[string]string
}

// Mapping is an SQS event source mapping.
type Mapping struct {
	FunctionARN, QueueARN   string
	BatchSize               int
	WindowSeconds           int
	MaxConcurrency          int
	ReportBatchItemFailures bool
}

// Rule is an event bus rule.
type Rule struct {
	Bus, Name, Pattern, State string
	Targets                   []Target
}

// Target is a rule's target.
type Target struct {
	ARN, RoleARN, DeadLetterARN string
	Input, InputPath            string
	// InputTransformer is the transformer as JSON ("" when none).
	InputTransformer   string
	MaxRetryAttempts   int
	MaxEventAgeSeconds int
}

// Function is a function's configuration.
type Function struct {
	Name           string
	TimeoutSeconds int
	// Env are the names of the environment variables set (non-empty).
	Env []string
}

// StateMachine is a state machine's definition and type.
type StateMachine struct {
	Definition string
	Type       string
}

// OutputPolicy says how to compare one template output: skip it (a reason
// when it is cloud-only), or compare only its presence and not its value
// (a URL of an API the local stack serves elsewhere).
type OutputPolicy func(stack, key string) (skip string, presenceOnly bool)

// Parity lists every difference between the templates and the local
// deployment in what can drift: queue attributes and redrive policies,
// event source mappings, rule patterns, states and targets (retry policy,
// DLQ, role, input), functions' environment variable names and timeouts,
// state machine definitions after substitution and types, and the stack
// outputs a tool reads. Template resources of these kinds without a local
// counterpart, and local ones without a template counterpart, are
// differences too.
func Parity(w *World, d Deployment, outputs OutputPolicy) []string {
	var diffs []string
	add := func(format string, a ...any) { diffs = append(diffs, fmt.Sprintf(format, a...)) }
	w.queueParity(d, add)
	w.mappingParity(d, add)
	w.ruleParity(d, add)
	w.functionParity(d, add)
	w.stateMachineParity(d, add)
	w.outputParity(d, outputs, add)
	sort.Strings(diffs)
	return diffs
}

type adder func(format string, a ...any)

// bound resolves a resource's attribute (or Ref, attr "") and reports a
// resource with no local counterpart.
func (w *World) bound(id ResourceID, attr string, add adder) (string, bool) {
	b, ok := w.Bindings[id]
	v := b.Ref
	if attr != "" {
		v = b.Attrs[attr]
	}
	if !ok || v == "" {
		add("%s (%s): no local counterpart", id, w.resource(id).Type)
		return "", false
	}
	return v, true
}

// sqsDefaults are SQS's values for attributes a template leaves out.
var sqsDefaults = map[string]string{
	"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
	"ReceiveMessageWaitTimeSeconds": "0", "FifoQueue": "false",
}

func (w *World) queueParity(d Deployment, add adder) {
	seen := map[string]bool{}
	for _, id := range w.resourcesOf("AWS::SQS::Queue") {
		arn, ok := w.bound(id, "Arn", add)
		if !ok {
			continue
		}
		seen[arn] = true
		local, ok := d.Queues[arn]
		if !ok {
			add("%s: queue %s is not deployed locally", id, arn)
			continue
		}
		props := w.resource(id).Properties
		names := []string{"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "FifoQueue"}
		if props["MaximumMessageSize"] != nil {
			names = append(names, "MaximumMessageSize")
		}
		for _, name := range names {
			want := sqsDefaults[name]
			if v, ok := props[name]; ok {
				s, err := w.ResolveString(id.Stack, v)
				if err != nil {
					add("%s: %s: %v", id, name, err)
					continue
				}
				want = s
			}
			got := local[name]
			if got == "" {
				got = sqsDefaults[name]
			}
			if got != want {
				add("%s: queue %s: %s is %s locally, %s in the template", id, arn, name, got, want)
			}
		}
		want, err := w.redrive(id.Stack, props["RedrivePolicy"])
		if err != nil {
			add("%s: RedrivePolicy: %v", id, err)
			continue
		}
		got, err := parseRedrive(local["RedrivePolicy"])
		if err != nil {
			add("%s: local RedrivePolicy: %v", id, err)
			continue
		}
		if got != want {
			add("%s: queue %s: redrive policy is %s locally, %s in the template", id, arn, got, want)
		}
	}
	for arn := range d.Queues {
		if !seen[arn] {
			add("local queue %s: no queue of the template is it", arn)
		}
	}
}

type redrivePolicy struct {
	target   string
	receives int
}

func (r redrivePolicy) String() string {
	if r.target == "" {
		return "none"
	}
	return fmt.Sprintf("%d receives, then %s", r.receives, r.target)
}

func (w *World) redrive(stack string, v any) (redrivePolicy, error) {
	if v == nil {
		return redrivePolicy{}, nil
	}
	r, err := w.Resolve(stack, v)
	if err != nil {
		return redrivePolicy{}, err
	}
	if s, ok := r.(string); ok {
		return parseRedrive(s)
	}
	b, _ := json.Marshal(r)
	return parseRedrive(string(b))
}

func parseRedrive(s string) (redrivePolicy, error) {
	if s == "" {
		return redrivePolicy{}, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return redrivePolicy{}, err
	}
	target, _ := m["deadLetterTargetArn"].(string)
	n, err := strconv.Atoi(fmt.Sprint(m["maxReceiveCount"]))
	if err != nil {
		return redrivePolicy{}, fmt.Errorf("maxReceiveCount %v", m["maxReceiveCount"])
	}
	return redrivePolicy{target: target, receives: n}, nil
}

func (w *World) functionARN(stack string, v any) (string, error) {
	fn, err := w.ResolveString(stack, v)
	if err != nil || strings.HasPrefix(fn, "arn:") || IsUnbound(fn) {
		return fn, err
	}
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", w.Region, w.Account, fn), nil
}

func (w *World) intProp(stack string, props map[string]any, path string, def int) (int, error) {
	var v any = props
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	if v == nil {
		return def, nil
	}
	s, err := w.ResolveString(stack, v)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

func (w *World) mappingParity(d Deployment, add adder) {
	matched := map[int]bool{}
	for _, id := range w.resourcesOf("AWS::Lambda::EventSourceMapping") {
		props := w.resource(id).Properties
		fn, err := w.functionARN(id.Stack, props["FunctionName"])
		if err != nil {
			add("%s: FunctionName: %v", id, err)
			continue
		}
		queue, err := w.ResolveString(id.Stack, props["EventSourceArn"])
		if err != nil {
			add("%s: EventSourceArn: %v", id, err)
			continue
		}
		i := -1
		for j, m := range d.Mappings {
			if m.FunctionARN == fn && m.QueueARN == queue {
				i = j
			}
		}
		if i < 0 {
			add("%s: no local event source mapping from %s to %s", id, queue, fn)
			continue
		}
		matched[i] = true
		m := d.Mappings[i]
		for _, c := range []struct {
			path string
			def  int
			got  int
		}{
			{"BatchSize", 10, m.BatchSize},
			{"MaximumBatchingWindowInSeconds", 0, m.WindowSeconds},
			{"ScalingConfig.MaximumConcurrency", 0, m.MaxConcurrency},
		} {
			want, err := w.intProp(id.Stack, props, c.path, c.def)
			if err != nil {
				add("%s: %s: %v", id, c.path, err)
				continue
			}
			if want != c.got {
				add("%s: event source mapping %s -> %s: %s is %d locally, %d in the template", id, queue, fn, c.path, c.got, want)
			}
		}
		types, _ := w.ResolveStrings(id.Stack, props["FunctionResponseTypes"])
		if want := contains(types, "ReportBatchItemFailures"); want != m.ReportBatchItemFailures {
			add("%s: event source mapping %s -> %s: ReportBatchItemFailures is %v locally, %v in the template", id, queue, fn, m.ReportBatchItemFailures, want)
		}
	}
	for i, m := range d.Mappings {
		if !matched[i] {
			add("local event source mapping %s -> %s: not in the template", m.QueueARN, m.FunctionARN)
		}
	}
}

// canonicalJSON re-encodes a JSON value with sorted keys.
func canonicalJSON(v any) string {
	if s, ok := v.(string); ok {
		var x any
		if json.Unmarshal([]byte(s), &x) == nil {
			v = x
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (w *World) ruleParity(d Deployment, add adder) {
	seen := map[string]bool{}
	for _, id := range w.resourcesOf("AWS::Events::Rule") {
		arn, ok := w.bound(id, "Arn", add)
		if !ok {
			continue
		}
		seen[arn] = true
		local, ok := d.Rules[arn]
		if !ok {
			add("%s: rule %s is not deployed locally", id, arn)
			continue
		}
		props := w.resource(id).Properties
		pattern, err := w.Resolve(id.Stack, props["EventPattern"])
		if err != nil {
			add("%s: EventPattern: %v", id, err)
		} else if got, want := canonicalJSON(local.Pattern), canonicalJSON(pattern); got != want {
			add("%s: rule %s: pattern is %s locally, %s in the template", id, arn, got, want)
		}
		state := "ENABLED"
		if props["State"] != nil {
			state, _ = w.ResolveString(id.Stack, props["State"])
		}
		if local.State != state {
			add("%s: rule %s: state is %s locally, %s in the template", id, arn, local.State, state)
		}
		bus := "default"
		if props["EventBusName"] != nil {
			bus, _ = w.ResolveString(id.Stack, props["EventBusName"])
		}
		if local.Bus != bus {
			add("%s: rule %s: on bus %s locally, %s in the template", id, arn, local.Bus, bus)
		}
		w.targetParity(id, arn, props, local, add)
	}
	for arn := range d.Rules {
		if !seen[arn] {
			add("local rule %s: not in the template", arn)
		}
	}
}

func (w *World) targetParity(id ResourceID, rule string, props map[string]any, local Rule, add adder) {
	targets, _ := props["Targets"].([]any)
	if len(targets) != len(local.Targets) {
		add("%s: rule %s: %d targets locally, %d in the template", id, rule, len(local.Targets), len(targets))
	}
	byARN := map[string]Target{}
	for _, t := range local.Targets {
		byARN[t.ARN] = t
	}
	for _, raw := range targets {
		r, err := w.Resolve(id.Stack, raw)
		if err != nil {
			add("%s: target: %v", id, err)
			continue
		}
		t, _ := r.(map[string]any)
		arn, _ := t["Arn"].(string)
		got, ok := byARN[arn]
		if !ok {
			add("%s: rule %s: target %s is not a local target", id, rule, arn)
			continue
		}
		str := func(v any) string { s, _ := v.(string); return s }
		retry, _ := t["RetryPolicy"].(map[string]any)
		dlq, _ := t["DeadLetterConfig"].(map[string]any)
		num := func(m map[string]any, k string, def int) int {
			if m == nil || m[k] == nil {
				return def
			}
			n, _ := strconv.Atoi(fmt.Sprint(m[k]))
			return n
		}
		transformer := ""
		if t["InputTransformer"] != nil {
			transformer = canonicalJSON(t["InputTransformer"])
		}
		want := Target{ARN: arn, RoleARN: str(t["RoleArn"]), DeadLetterARN: str(dlq["Arn"]), Input: str(t["Input"]),
			InputPath: str(t["InputPath"]), InputTransformer: transformer,
			MaxRetryAttempts: num(retry, "MaximumRetryAttempts", 185), MaxEventAgeSeconds: num(retry, "MaximumEventAgeInSeconds", 86400)}
		if got.InputTransformer != "" {
			got.InputTransformer = canonicalJSON(got.InputTransformer)
		}
		if got != want {
			add("%s: rule %s: target %s is %+v locally, %+v in the template", id, rule, arn, got, want)
		}
	}
}

func (w *World) functionParity(d Deployment, add adder) {
	seen := map[string]bool{}
	for _, id := range w.resourcesOf("AWS::Lambda::Function") {
		arn, ok := w.bound(id, "Arn", add)
		if !ok {
			continue
		}
		seen[arn] = true
		local, ok := d.Functions[arn]
		if !ok {
			add("%s: function %s is not deployed locally", id, arn)
			continue
		}
		props := w.resource(id).Properties
		timeout, err := w.intProp(id.Stack, props, "Timeout", 3)
		if err != nil {
			add("%s: Timeout: %v", id, err)
		} else if timeout != local.TimeoutSeconds {
			add("%s: function %s: timeout is %ds locally, %ds in the template", id, local.Name, local.TimeoutSeconds, timeout)
		}
		var want []string
		if env, ok := props["Environment"].(map[string]any); ok {
			vars, _ := env["Variables"].(map[string]any)
			for k := range vars {
				want = append(want, k)
			}
		}
		sort.Strings(want)
		got := append([]string(nil), local.Env...)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			add("%s: function %s: environment variables %v locally, %v in the template", id, local.Name, got, want)
		}
	}
	for arn := range d.Functions {
		if !seen[arn] {
			add("local function %s: not in the template", arn)
		}
	}
}

// definition is a state machine's definition as CloudFormation would
// create it: DefinitionString (or DefinitionBody) with every
// DefinitionSubstitutions placeholder filled.
func (w *World) definition(id ResourceID) (string, error) {
	props := w.resource(id).Properties
	var def string
	switch {
	case props["DefinitionString"] != nil:
		s, err := w.ResolveString(id.Stack, props["DefinitionString"])
		if err != nil {
			return "", err
		}
		def = s
	case props["DefinitionBody"] != nil:
		r, err := w.Resolve(id.Stack, props["DefinitionBody"])
		if err != nil {
			return "", err
		}
		b, _ := json.Marshal(r)
		def = string(b)
	default:
		return "", fmt.Errorf("no DefinitionString or DefinitionBody")
	}
	subs, _ := props["DefinitionSubstitutions"].(map[string]any)
	for k, v := range subs {
		s, err := w.ResolveString(id.Stack, v)
		if err != nil {
			return "", fmt.Errorf("substitution %s: %w", k, err)
		}
		def = strings.ReplaceAll(def, "${"+k+"}", s)
	}
	return def, nil
}

func (w *World) stateMachineParity(d Deployment, add adder) {
	seen := map[string]bool{}
	for _, id := range w.resourcesOf("AWS::StepFunctions::StateMachine") {
		arn, ok := w.bound(id, "", add)
		if !ok {
			continue
		}
		seen[arn] = true
		local, ok := d.StateMachines[arn]
		if !ok {
			add("%s: state machine %s is not deployed locally", id, arn)
			continue
		}
		props := w.resource(id).Properties
		typ := "STANDARD"
		if props["StateMachineType"] != nil {
			typ, _ = w.ResolveString(id.Stack, props["StateMachineType"])
		}
		if local.Type != typ {
			add("%s: state machine %s: type %s locally, %s in the template", id, arn, local.Type, typ)
		}
		def, err := w.definition(id)
		if err != nil {
			add("%s: definition: %v", id, err)
			continue
		}
		var want, got any
		if err := json.Unmarshal([]byte(def), &want); err != nil {
			add("%s: the template's definition, substituted, is not JSON: %v", id, err)
			continue
		}
		if err := json.Unmarshal([]byte(local.Definition), &got); err != nil {
			add("%s: the local definition is not JSON: %v", id, err)
			continue
		}
		if where := firstDifference("$", got, want); where != "" {
			add("%s: state machine %s: definitions differ at %s", id, arn, where)
		}
	}
	for arn := range d.StateMachines {
		if !seen[arn] {
			add("local state machine %s: not in the template", arn)
		}
	}
}

// firstDifference is the path of the first place two JSON values differ,
// with both values, or "" when they are equal.
func firstDifference(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if d := firstDifference(path+"."+k, g[k], w[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			if d := firstDifference(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return fmt.Sprintf("%s (%s locally, %s in the template)", path, jsonText(got), jsonText(want))
}

func (w *World) outputParity(d Deployment, policy OutputPolicy, add adder) {
	for _, stack := range w.stackNames() {
		local, ok := d.Outputs[stack]
		if !ok {
			add("stack %s: the local CloudFormation does not describe it", stack)
			continue
		}
		keys := make([]string, 0, len(w.Templates[stack].Outputs))
		for k := range w.Templates[stack].Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			o := w.Templates[stack].Outputs[key]
			if o.Export != nil {
				continue // cross-stack plumbing, not an output a tool reads
			}
			skip, presenceOnly := policy(stack, key)
			if skip != "" {
				continue
			}
			got, ok := local[key]
			if !ok {
				add("stack %s: output %s is not served locally", stack, key)
				continue
			}
			if presenceOnly {
				continue
			}
			want, err := w.ResolveString(stack, o.Value)
			if err != nil {
				add("stack %s: output %s: %v", stack, key, err)
				continue
			}
			if IsUnbound(want) {
				add("stack %s: output %s: %s cannot be compared (mark it presence-only or cloud-only)", stack, key, want)
				continue
			}
			if got != want {
				add("stack %s: output %s is %s locally, %s in the template", stack, key, got, want)
			}
		}
		for key := range local {
			if _, ok := w.Templates[stack].Outputs[key]; !ok {
				add("stack %s: the local output %s is not in the template", stack, key)
			}
		}
	}
	for stack := range d.Outputs {
		if w.Templates[stack] == nil {
			add("the local CloudFormation describes a stack %s the app does not have", stack)
		}
	}
}
