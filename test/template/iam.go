package template

import (
	"fmt"
	"sort"
	"strings"
)

// Statement is one IAM policy statement, its intrinsics resolved.
type Statement struct {
	// Origin names the policy and the statement's index, for reports.
	Origin                  string
	Effect                  string
	Actions, NotActions     []string
	Resources, NotResources []string
	// Principal is a resource or trust policy's principal: "*" under
	// "*", and the values under "AWS", "Service" or "Federated".
	Principal map[string][]string
	// Conditions are operator -> key -> values.
	Conditions map[string]map[string][]string
}

// ResourcePolicy is a policy attached to resources: a queue, topic or bus
// policy, or a function's permissions.
type ResourcePolicy struct {
	Origin string
	// Attached are the ARNs of the resources it is attached to.
	Attached   []string
	Statements []Statement
}

// Policies are every policy of the templates.
type Policies struct {
	// Identity are the statements attached to each role.
	Identity map[ResourceID][]Statement
	// Trust are each role's trust (assume-role) statements.
	Trust map[ResourceID][]Statement
	// Resource are the resource policies.
	Resource []ResourcePolicy
	// Managed are the managed policies attached to each role, which
	// nothing here can read: a denial for such a role says so.
	Managed map[ResourceID][]string
}

// Policies gathers the templates' policies: AWS::IAM::Policy and
// AWS::IAM::Role (inline policies, trust), AWS::SQS::QueuePolicy,
// AWS::SNS::TopicPolicy, AWS::Events::EventBusPolicy and
// AWS::Lambda::Permission. Managed policies are only listed (Managed):
// nothing here can read them.
func (w *World) Policies() (*Policies, error) {
	p := &Policies{Identity: map[ResourceID][]Statement{}, Trust: map[ResourceID][]Statement{}, Managed: map[ResourceID][]string{}}
	for _, id := range w.resourcesOf("AWS::IAM::Role") {
		props := w.resource(id).Properties
		managed, err := w.ResolveStrings(id.Stack, props["ManagedPolicyArns"])
		if err != nil {
			return nil, err
		}
		if len(managed) > 0 {
			p.Managed[id] = managed
		}
		trust, err := w.statements(id.Stack, id.String()+" trust", props["AssumeRolePolicyDocument"])
		if err != nil {
			return nil, err
		}
		p.Trust[id] = trust
		inline, _ := props["Policies"].([]any)
		for i, pol := range inline {
			m, _ := pol.(map[string]any)
			sts, err := w.statements(id.Stack, fmt.Sprintf("%s inline policy %d", id, i), m["PolicyDocument"])
			if err != nil {
				return nil, err
			}
			p.Identity[id] = append(p.Identity[id], sts...)
		}
	}
	for _, id := range w.resourcesOf("AWS::IAM::Policy") {
		props := w.resource(id).Properties
		sts, err := w.statements(id.Stack, id.String(), props["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		roles, _ := props["Roles"].([]any)
		for _, r := range roles {
			m, _ := r.(map[string]any)
			name, _ := m["Ref"].(string)
			if name == "" {
				return nil, fmt.Errorf("%s: a role that is not a Ref to this stack's role: %s", id, jsonText(r))
			}
			role := ResourceID{id.Stack, name}
			p.Identity[role] = append(p.Identity[role], sts...)
		}
		if u, ok := props["Users"]; ok && u != nil {
			return nil, fmt.Errorf("%s: policies attached to users cannot be checked here", id)
		}
	}
	for _, kind := range []struct{ typ, list string }{
		{"AWS::SQS::QueuePolicy", "Queues"}, {"AWS::SNS::TopicPolicy", "Topics"},
	} {
		for _, id := range w.resourcesOf(kind.typ) {
			props := w.resource(id).Properties
			sts, err := w.statements(id.Stack, id.String(), props["PolicyDocument"])
			if err != nil {
				return nil, err
			}
			var attached []string
			items, _ := props[kind.list].([]any)
			for _, item := range items {
				arn, err := w.arnOf(id.Stack, item)
				if err != nil {
					return nil, err
				}
				attached = append(attached, arn)
			}
			p.Resource = append(p.Resource, ResourcePolicy{Origin: id.String(), Attached: attached, Statements: sts})
		}
	}
	for _, id := range w.resourcesOf("AWS::Events::EventBusPolicy") {
		props := w.resource(id).Properties
		sts, err := w.statements(id.Stack, id.String(), props["Statement"])
		if err != nil {
			return nil, err
		}
		bus, err := w.ResolveString(id.Stack, props["EventBusName"])
		if err != nil {
			return nil, err
		}
		p.Resource = append(p.Resource, ResourcePolicy{Origin: id.String(), Statements: sts,
			Attached: []string{fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", w.Region, w.Account, bus)}})
	}
	for _, id := range w.resourcesOf("AWS::Lambda::Permission") {
		st, attached, err := w.permission(id)
		if err != nil {
			return nil, err
		}
		p.Resource = append(p.Resource, ResourcePolicy{Origin: id.String(), Attached: attached, Statements: []Statement{st}})
	}
	return p, nil
}

// arnOf is the ARN of a resource a policy is attached to: a Ref of a queue
// is its URL, so a bound resource's Arn attribute is used.
func (w *World) arnOf(stack string, item any) (string, error) {
	if m, ok := item.(map[string]any); ok {
		if name, ok := m["Ref"].(string); ok {
			if b, ok := w.Bindings[ResourceID{stack, name}]; ok {
				if arn := b.Attrs["Arn"]; arn != "" {
					return arn, nil
				}
			}
		}
	}
	return w.ResolveString(stack, item)
}

// permission turns an AWS::Lambda::Permission into the statement of the
// function's resource policy it adds.
func (w *World) permission(id ResourceID) (Statement, []string, error) {
	props := w.resource(id).Properties
	str := func(k string) (string, error) {
		if props[k] == nil {
			return "", nil
		}
		return w.ResolveString(id.Stack, props[k])
	}
	fn, err := str("FunctionName")
	if err != nil {
		return Statement{}, nil, err
	}
	if !strings.HasPrefix(fn, "arn:") && !IsUnbound(fn) {
		fn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", w.Region, w.Account, fn)
	}
	action, _ := str("Action")
	principal, _ := str("Principal")
	st := Statement{Origin: id.String(), Effect: "Allow", Actions: []string{action}, Resources: []string{fn},
		Principal: map[string][]string{}, Conditions: map[string]map[string][]string{}}
	switch {
	case principal == "*":
		st.Principal["*"] = []string{"*"}
	case strings.HasSuffix(principal, ".amazonaws.com"):
		st.Principal["Service"] = []string{principal}
	default:
		st.Principal["AWS"] = []string{principal}
	}
	if src, _ := str("SourceArn"); src != "" {
		st.Conditions["ArnLike"] = map[string][]string{"aws:SourceArn": {src}}
	}
	if acct, _ := str("SourceAccount"); acct != "" {
		st.Conditions["StringEquals"] = map[string][]string{"aws:SourceAccount": {acct}}
	}
	return st, []string{fn}, nil
}

// statements resolves a policy document (or a bare statement list).
func (w *World) statements(stack, origin string, doc any) ([]Statement, error) {
	if doc == nil {
		return nil, nil
	}
	resolved, err := w.Resolve(stack, doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	var raw []any
	switch d := resolved.(type) {
	case map[string]any:
		switch s := d["Statement"].(type) {
		case []any:
			raw = s
		case map[string]any:
			raw = []any{s}
		}
	case []any:
		raw = d
	}
	out := make([]Statement, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: statement %d is not an object", origin, i)
		}
		st := Statement{Origin: fmt.Sprintf("%s#%d", origin, i), Conditions: map[string]map[string][]string{}}
		if sid, _ := m["Sid"].(string); sid != "" {
			st.Origin += " (" + sid + ")"
		}
		st.Effect, _ = m["Effect"].(string)
		st.Actions, st.NotActions = strs(m["Action"]), strs(m["NotAction"])
		st.Resources, st.NotResources = strs(m["Resource"]), strs(m["NotResource"])
		switch p := m["Principal"].(type) {
		case nil:
		case string:
			st.Principal = map[string][]string{"*": {p}}
		case map[string]any:
			st.Principal = map[string][]string{}
			for k, v := range p {
				st.Principal[k] = strs(v)
			}
		}
		if c, ok := m["Condition"].(map[string]any); ok {
			for op, kv := range c {
				keys, _ := kv.(map[string]any)
				st.Conditions[op] = map[string][]string{}
				for k, v := range keys {
					st.Conditions[op][k] = strs(v)
				}
			}
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("%s: Effect %q", st.Origin, st.Effect)
		}
		out = append(out, st)
	}
	return out, nil
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case bool, float64:
		return []string{fmt.Sprint(x)}
	}
	return nil
}

// Who is the principal of a request, as the policies see it.
type Who struct {
	// Role is the role acting (an identity policy's owner), zero for a
	// service principal.
	Role ResourceID
	// RoleARN is the role's ARN, for the principal of resource policies.
	RoleARN string
	// Service is the service principal acting, "" for a role.
	Service string
	// AssumedBy is the service that assumes Role ("lambda.amazonaws.com"),
	// and AssumedFor what it assumes it for (aws:SourceArn: the state
	// machine, the rule), which trust policies may require.
	AssumedBy, AssumedFor string
}

// Request is one call to authorize.
type Request struct {
	Who      Who
	Action   string
	Resource string
	// Context holds the condition keys of the request (aws:SourceArn, ...).
	Context map[string]string
}

// Decision is the outcome of evaluating a request.
type Decision struct {
	Allowed bool
	// By are the statements that allowed it, or the one that denied it.
	By []string
	// Why explains a denial.
	Why string
}

// Evaluate decides a request as IAM does within one account: an explicit
// Deny in an identity or applicable resource policy wins; otherwise an
// Allow in either grants. A service principal has no identity policy.
func (p *Policies) Evaluate(req Request) Decision {
	var allows []string
	var identity []Statement
	if req.Who.Service == "" {
		identity = p.Identity[req.Who.Role]
	}
	for _, st := range identity {
		if !st.matches(req) {
			continue
		}
		if st.Effect == "Deny" {
			return Decision{By: []string{st.Origin}, Why: "explicitly denied by " + st.Origin}
		}
		allows = append(allows, st.Origin)
	}
	for _, rp := range p.Resource {
		if !contains(rp.Attached, req.Resource) {
			continue
		}
		for _, st := range rp.Statements {
			if !st.principalMatches(req.Who) || !st.matches(req) {
				continue
			}
			if st.Effect == "Deny" {
				return Decision{By: []string{st.Origin}, Why: "explicitly denied by " + st.Origin}
			}
			allows = append(allows, st.Origin)
		}
	}
	if len(allows) == 0 {
		why := "no statement allows it"
		if req.Who.Service != "" {
			why += " (a service principal needs the resource's own policy)"
		} else if len(identity) == 0 {
			why += fmt.Sprintf(" (no policy is attached to %s)", req.Who.Role)
		}
		if m := p.Managed[req.Who.Role]; req.Who.Service == "" && len(m) > 0 {
			why += fmt.Sprintf("; the role's managed policies %v were not read", m)
		}
		return Decision{Why: why}
	}
	return Decision{Allowed: true, By: allows}
}

// CanAssume checks a role's trust policy lets service assume it.
func (p *Policies) CanAssume(role ResourceID, service string, ctx map[string]string) Decision {
	req := Request{Who: Who{Service: service}, Action: "sts:AssumeRole", Resource: "*", Context: ctx}
	for _, st := range p.Trust[role] {
		if st.Effect == "Allow" && st.principalMatches(req.Who) && st.actionMatches(req.Action) && st.conditionsHold(req.Context) {
			return Decision{Allowed: true, By: []string{st.Origin}}
		}
	}
	return Decision{Why: fmt.Sprintf("the trust policy of %s does not let %s assume it", role, service)}
}

func (st Statement) actionMatches(action string) bool {
	if len(st.NotActions) > 0 {
		return !anyMatch(st.NotActions, action, true)
	}
	return anyMatch(st.Actions, action, true)
}

func (st Statement) resourceMatches(resource string) bool {
	if len(st.NotResources) > 0 {
		return !anyMatch(st.NotResources, resource, false)
	}
	return anyMatch(st.Resources, resource, false)
}

func (st Statement) matches(req Request) bool {
	return st.actionMatches(req.Action) && st.resourceMatches(req.Resource) && st.conditionsHold(req.Context)
}

func (st Statement) principalMatches(who Who) bool {
	if st.Principal == nil {
		return false
	}
	if _, ok := st.Principal["*"]; ok {
		return true
	}
	if who.Service != "" {
		return contains(st.Principal["Service"], who.Service)
	}
	for _, p := range st.Principal["AWS"] {
		if p == "*" || p == who.RoleARN || p == accountOf(who.RoleARN) || p == "arn:aws:iam::"+accountOf(who.RoleARN)+":root" {
			return true
		}
	}
	return false
}

func accountOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) > 4 {
		return parts[4]
	}
	return ""
}

// conditionsHold evaluates the conditions against the request's context:
// every operator, every key, and for each key any of its values must
// match. A key the context lacks fails a condition (holds with
// ...IfExists), as in IAM.
func (st Statement) conditionsHold(ctx map[string]string) bool {
	for op, keys := range st.Conditions {
		base, ifExists := strings.CutSuffix(op, "IfExists")
		for key, values := range keys {
			v, ok := ctx[key]
			if !ok {
				if ifExists || strings.Contains(base, "Not") {
					continue
				}
				return false
			}
			if !conditionMatches(base, v, values) {
				return false
			}
		}
	}
	return true
}

func conditionMatches(op, v string, values []string) bool {
	any := func(f func(string) bool) bool {
		for _, want := range values {
			if f(want) {
				return true
			}
		}
		return false
	}
	switch op {
	case "StringEquals", "ArnEquals":
		return any(func(w string) bool { return v == w })
	case "StringNotEquals", "ArnNotEquals":
		return !any(func(w string) bool { return v == w })
	case "StringEqualsIgnoreCase":
		return any(func(w string) bool { return strings.EqualFold(v, w) })
	case "StringLike", "ArnLike":
		return any(func(w string) bool { return wildcard(w, v, false) })
	case "StringNotLike", "ArnNotLike":
		return !any(func(w string) bool { return wildcard(w, v, false) })
	case "Bool":
		return any(func(w string) bool { return strings.EqualFold(v, w) })
	}
	return false // an operator this checker does not know never holds
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if wildcard(p, s, fold) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// wildcard matches s against an IAM pattern: * any run of characters, ?
// any one character; actions match case-insensitively (fold).
func wildcard(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	// Iterative glob with backtracking on the last *.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Grant is one action on one resource that a statement allows, to report
// grants no recorded call used.
type Grant struct {
	Origin   string
	Owner    string
	Action   string
	Resource string
}

func (g Grant) String() string {
	return fmt.Sprintf("%s: %s on %s (%s)", g.Owner, g.Action, g.Resource, g.Origin)
}

// Grants lists every Allow of the roles' identity policies and of the
// resource policies, one per action and resource.
func (p *Policies) Grants() []Grant {
	var out []Grant
	add := func(owner string, st Statement) {
		if st.Effect != "Allow" {
			return
		}
		res := st.Resources
		if len(res) == 0 {
			res = []string{"(NotResource)"}
		}
		for _, a := range st.Actions {
			for _, r := range res {
				out = append(out, Grant{Origin: st.Origin, Owner: owner, Action: a, Resource: r})
			}
		}
	}
	for role, sts := range p.Identity {
		for _, st := range sts {
			add(role.String(), st)
		}
	}
	for _, rp := range p.Resource {
		for _, st := range rp.Statements {
			add("resource policy "+rp.Origin, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
