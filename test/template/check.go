package template

import (
	"fmt"

	"loanflow/infra/local/audit"
)

// Principals says who a recorded principal is in the templates: the role
// it acts with (and the service that assumes that role), or the service
// principal itself. ok is false for principals the templates do not
// describe (a test's own client, the stack deploying itself).
type Principals func(p audit.Principal) (who Who, ok bool)

// Finding is one recorded call and how the policies decide it.
type Finding struct {
	Call     audit.Entry
	Request  Request
	Decision Decision
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s on %s", f.Call.Principal, f.Call.Action, f.Call.Resource)
	if f.Call.SourceARN != "" {
		s += " (for " + f.Call.SourceARN + ")"
	}
	if f.Decision.Allowed {
		return s + ": allowed by " + fmt.Sprint(f.Decision.By)
	}
	return s + ": DENIED: " + f.Decision.Why
}

// Report is the outcome of checking a run's calls against the policies.
type Report struct {
	Allowed []Finding
	Denied  []Finding
	// Untrusted are roles a recorded principal acts with whose trust
	// policy does not let their service assume them.
	Untrusted []string
	// Ignored are calls of callers outside the system (a test's client,
	// the stack deploying itself), which no template describes.
	Ignored []audit.Entry
	// Unmapped are calls of the system's principals (functions, state
	// machines, integrations, rule targets) that no template role is for.
	Unmapped []audit.Entry
	// Unused are grants no allowed call used.
	Unused []Grant
}

// Check decides every recorded call against the policies.
func Check(p *Policies, calls []audit.Entry, principals Principals, account string) Report {
	var r Report
	trusted := map[string]bool{}
	for _, c := range calls {
		who, ok := principals(c.Principal)
		switch {
		case !ok && c.Principal.Kind == audit.KindCaller:
			r.Ignored = append(r.Ignored, c)
			continue
		case !ok:
			r.Unmapped = append(r.Unmapped, c)
			continue
		}
		ctx := map[string]string{"aws:SecureTransport": "true", "aws:PrincipalAccount": account}
		if c.SourceARN != "" {
			ctx["aws:SourceArn"] = c.SourceARN
			ctx["aws:SourceAccount"] = account
		}
		if who.RoleARN != "" {
			ctx["aws:PrincipalArn"] = who.RoleARN
		}
		req := Request{Who: who, Action: c.Action, Resource: c.Resource, Context: ctx}
		f := Finding{Call: c, Request: req, Decision: p.Evaluate(req)}
		if f.Decision.Allowed {
			r.Allowed = append(r.Allowed, f)
		} else {
			r.Denied = append(r.Denied, f)
		}
		if who.AssumedBy != "" {
			source := who.AssumedFor
			if source == "" {
				source = c.SourceARN
			}
			key := who.Role.String() + " by " + who.AssumedBy + " for " + source
			if _, seen := trusted[key]; !seen {
				tctx := map[string]string{"aws:SourceAccount": account}
				if source != "" {
					tctx["aws:SourceArn"] = source
				}
				d := p.CanAssume(who.Role, who.AssumedBy, tctx)
				trusted[key] = d.Allowed
				if !d.Allowed {
					r.Untrusted = append(r.Untrusted, d.Why)
				}
			}
		}
	}
	for _, g := range p.Grants() {
		used := false
		for _, f := range r.Allowed {
			if contains(f.Decision.By, g.Origin) && wildcard(g.Action, f.Request.Action, true) && wildcard(g.Resource, f.Request.Resource, false) {
				used = true
				break
			}
		}
		if !used {
			r.Unused = append(r.Unused, g)
		}
	}
	return r
}
