package template

import (
	"strings"
	"testing"

	"loanflow/infra/local"
)

// TestTemplateGrantsEveryRecordedCall runs the scenarios on a local stack
// that records every AWS call of every principal, and decides each call
// against the synthesized templates' policies: the role's identity policies
// and the resource's own policy (queue, topic, bus, function permissions),
// as IAM would. It fails on any call the templates would deny and logs the
// grants no call used.
func TestTemplateGrantsEveryRecordedCall(t *testing.T) {
	startRecordedRun() // the scenarios run while the app synthesizes
	syn := synth(t)
	run := recordedRun(t)
	w := world(syn.Templates, syn.Named, run.stack)
	pol, err := w.Policies()
	if err != nil {
		t.Fatal(err)
	}
	rep := Check(pol, run.calls, principals(syn.Named, run.stack), local.AccountID)
	for _, f := range rep.Denied {
		t.Errorf("the template denies a call the system makes: %s", f)
	}
	for _, why := range rep.Untrusted {
		t.Errorf("untrusted: %s", why)
	}
	for _, c := range rep.Unmapped {
		t.Errorf("no role of the templates is for %s (it called %s on %s)", c.Principal, c.Action, c.Resource)
	}
	// Every kind of principal, and the calls the design depends on, must
	// have been recorded: a run that records nothing proves nothing.
	for _, want := range []struct{ who, action string }{
		{"function valuation-request", "dynamodb:PutItem"},
		{"function valuation-request", "execute-api:Invoke"},
		{"function valuation-request", "states:SendTaskFailure"},
		{"function valuation-request", "sqs:ReceiveMessage"},
		{"function valuation-request", "sqs:DeleteMessage"},
		{"function valuation-callback", "states:SendTaskSuccess"},
		{"function valuation-callback", "states:SendTaskFailure"},
		{"function valuation-callback", "secretsmanager:GetSecretValue"},
		{"function valuation-callback", "dynamodb:UpdateItem"},
		{"function valuation-service-api", "states:StartExecution"},
		{"function valuation-service-api", "ssm:GetParameter"},
		{"function valuation-service-callback", "secretsmanager:GetSecretValue"},
		{"stateMachine LoanProcessor", "sqs:SendMessage"},
		{"stateMachine LoanProcessor", "events:PutEvents"},
		{"stateMachine ValuationService", "lambda:InvokeFunction"},
		{"integration webhook", "events:PutEvents"},
		{"service events.amazonaws.com", "lambda:InvokeFunction"},
		{"service apigateway.amazonaws.com", "lambda:InvokeFunction"},
		{"targetRole " + local.NotificationsPublisherRoleARN, "sns:Publish"},
	} {
		found := false
		for _, c := range run.calls {
			if c.Principal.String() == want.who && c.Action == want.action {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s by %s was recorded: the scenarios or the recording miss it", want.action, want.who)
		}
	}
	t.Logf("%d distinct calls checked, %d allowed; calls of principals outside the templates (clients, the stack itself): %d",
		len(rep.Allowed)+len(rep.Denied), len(rep.Allowed), len(rep.Ignored))
	for _, f := range rep.Allowed {
		t.Logf("  %s", f)
	}
	t.Logf("granted, and used by no recorded call (%d):", len(rep.Unused))
	for _, g := range rep.Unused {
		t.Logf("  %s", g)
	}
}

// mutation removes one grant from the templates and names the recorded
// call that must then be denied.
type mutation struct {
	name string
	// apply changes the templates (a clone).
	apply func(t *testing.T, tpls Templates)
	// who and action pick the call that must be denied; untrusted, when
	// set, is the role whose trust must fail instead.
	who       string
	action    string
	untrusted string
}

// TestRemovedGrantIsDenied removes, one at a time, a grant the system needs
// from the synthesized templates (as deleting it from the CDK code would)
// and checks that the checker then denies the call that used it.
func TestRemovedGrantIsDenied(t *testing.T) {
	syn := synth(t)
	run := recordedRun(t)
	for _, m := range []mutation{
		{name: "resolver loses states:SendTaskSuccess", who: "function valuation-callback", action: "states:SendTaskSuccess",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "CallbackResolverRoleDefaultPolicy", "states:SendTaskSuccess")
			}},
		{name: "request consumer loses its table", who: "function valuation-request", action: "dynamodb:PutItem",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "ValuationRequestConsumerRoleDefaultPolicy", "dynamodb:PutItem")
			}},
		{name: "request consumer loses the mock's route", who: "function valuation-request", action: "execute-api:Invoke",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "ValuationRequestConsumerRoleDefaultPolicy", "execute-api:Invoke")
			}},
		{name: "event source mapping loses sqs:ReceiveMessage", who: "function valuation-request", action: "sqs:ReceiveMessage",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "ValuationRequestConsumerRoleDefaultPolicy", "sqs:ReceiveMessage")
			}},
		{name: "loan processor loses sqs:SendMessage", who: "stateMachine LoanProcessor", action: "sqs:SendMessage",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "LoanProcessorStateMachineRoleDefaultPolicy", "sqs:SendMessage")
			}},
		{name: "loan processor loses events:PutEvents", who: "stateMachine LoanProcessor", action: "events:PutEvents",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "LoanProcessorStateMachineRoleDefaultPolicy", "events:PutEvents")
			}},
		{name: "webhook integration loses events:PutEvents", who: "integration webhook", action: "events:PutEvents",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "WebhookPutEventsRoleDefaultPolicy", "events:PutEvents")
			}},
		{name: "callback sender loses its secrets", who: "function valuation-service-callback", action: "secretsmanager:GetSecretValue",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackValuationService, "CallbackSenderRoleDefaultPolicy", "secretsmanager:GetSecretValue")
			}},
		{name: "mock API loses ssm:GetParameter", who: "function valuation-service-api", action: "ssm:GetParameter",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackValuationService, "RequestHandlerRoleDefaultPolicy", "ssm:GetParameter")
			}},
		{name: "surveys lose lambda:InvokeFunction", who: "stateMachine ValuationService", action: "lambda:InvokeFunction",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackValuationService, "SurveysStateMachineRoleDefaultPolicy", "lambda:InvokeFunction")
			}},
		{name: "the rule's permission on the resolver is removed", who: "service events.amazonaws.com", action: "lambda:InvokeFunction",
			apply: func(t *testing.T, tpls Templates) {
				removeResource(t, tpls, StackLoanProcessor, "ValuationCompletedRuleAllowEventRule")
			}},
		{name: "the publisher role loses sns:Publish", who: "targetRole " + local.NotificationsPublisherRoleARN, action: "sns:Publish",
			apply: func(t *testing.T, tpls Templates) {
				removeAction(t, tpls, StackLoanProcessor, "LoanNotificationsPublisherDefaultPolicy", "sns:Publish")
			}},
		{name: "the loan processor's role trusts another service", untrusted: "LoanProcessorStateMachineRole",
			apply: func(t *testing.T, tpls Templates) {
				role := namedRole(t, syn, tpls, "stateMachine LoanProcessor")
				walk(role.Properties["AssumeRolePolicyDocument"], func(s string) string {
					return strings.Replace(s, "states.amazonaws.com", "lambda.amazonaws.com", 1)
				})
			}},
		{name: "the secret grant is narrowed to the bare name", who: "function valuation-service-callback", action: "secretsmanager:GetSecretValue",
			apply: func(t *testing.T, tpls Templates) {
				p := resourceByPrefix(t, tpls, StackValuationService, "CallbackSenderRoleDefaultPolicy")
				walk(p.Properties, func(s string) string { return strings.TrimSuffix(s, "-??????") })
			}},
	} {
		t.Run(m.name, func(t *testing.T) {
			tpls := syn.Templates.Clone()
			m.apply(t, tpls)
			pol, err := world(tpls, syn.Named, run.stack).Policies()
			if err != nil {
				t.Fatal(err)
			}
			rep := Check(pol, run.calls, principals(syn.Named, run.stack), local.AccountID)
			if m.untrusted != "" {
				for _, u := range rep.Untrusted {
					if strings.Contains(u, m.untrusted) {
						t.Logf("reported: %s", u)
						return
					}
				}
				t.Fatalf("the trust of %s was changed, but no role is reported untrusted: %v", m.untrusted, rep.Untrusted)
			}
			found := false
			for _, f := range rep.Denied {
				if f.Call.Principal.String() == m.who && f.Call.Action == m.action {
					found = true
					t.Logf("reported: %s", f)
				}
			}
			if !found {
				t.Errorf("with the grant removed, no %s by %s is denied; denied: %v", m.action, m.who, rep.Denied)
			}
		})
	}
}

// resourceByPrefix finds the one resource whose logical id starts with
// prefix (a construct path; the hash that follows may change).
func resourceByPrefix(t *testing.T, tpls Templates, stack, prefix string) *Resource {
	t.Helper()
	var found *Resource
	for id, r := range tpls[stack].Resources {
		if strings.HasPrefix(id, prefix) {
			if found != nil {
				t.Fatalf("%s: more than one resource starts with %s", stack, prefix)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("%s: no resource starts with %s", stack, prefix)
	}
	return found
}

// removeAction deletes an action from every statement of a policy (and a
// statement left with none).
func removeAction(t *testing.T, tpls Templates, stack, prefix, action string) {
	t.Helper()
	p := resourceByPrefix(t, tpls, stack, prefix)
	doc, _ := p.Properties["PolicyDocument"].(map[string]any)
	sts, _ := doc["Statement"].([]any)
	var kept []any
	removed := false
	for _, s := range sts {
		st, _ := s.(map[string]any)
		var actions []any
		switch a := st["Action"].(type) {
		case string:
			actions = []any{a}
		case []any:
			actions = a
		}
		var left []any
		for _, a := range actions {
			if a == action {
				removed = true
				continue
			}
			left = append(left, a)
		}
		if len(left) == 0 {
			continue
		}
		st["Action"] = left
		kept = append(kept, st)
	}
	if !removed {
		t.Fatalf("%s/%s grants no %s", stack, prefix, action)
	}
	doc["Statement"] = kept
}

func removeResource(t *testing.T, tpls Templates, stack, prefix string) {
	t.Helper()
	for id := range tpls[stack].Resources {
		if strings.HasPrefix(id, prefix) {
			delete(tpls[stack].Resources, id)
			return
		}
	}
	t.Fatalf("%s: no resource starts with %s", stack, prefix)
}

// walk replaces every string in v.
func walk(v any, f func(string) string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok {
				x[k] = f(s)
			} else {
				walk(e, f)
			}
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				x[i] = f(s)
			} else {
				walk(e, f)
			}
		}
	}
}

// namedRole is the role (in tpls) a recorded principal acts with.
func namedRole(t *testing.T, syn *synthesized, tpls Templates, principal string) *Resource {
	t.Helper()
	for _, n := range syn.Named {
		if n.kind == kindRole && n.principal.String() == principal {
			return tpls[n.id.Stack].Resources[n.id.LogicalID]
		}
	}
	t.Fatalf("no role for %s", principal)
	return nil
}
