package template

import (
	"context"
	"strings"
	"sync"
	"testing"

	"loanflow/infra/local"
)

// parityRun is a local stack deployed with the very config the templates
// were synthesized from, and its deployment.
type parityRun struct {
	stack      *local.Stack
	deployment Deployment
}

var (
	parityOnce sync.Once
	parity     *parityRun
	parityErr  error
)

func parityStack(t *testing.T) *parityRun {
	t.Helper()
	syn := synth(t)
	parityOnce.Do(func() {
		s, _, err := startStack("parity", syn.Settings.Config, nil)
		if err != nil {
			parityErr = err
			return
		}
		d, err := deployment(context.Background(), s)
		parity, parityErr = &parityRun{stack: s, deployment: d}, err
	})
	if parityErr != nil {
		t.Fatalf("parity stack: %v", parityErr)
	}
	return parity
}

// outputPolicy: the outputs the local stack has no counterpart of, and the
// URLs it serves at its own endpoint.
func outputPolicy(stack, key string) (skip string, presenceOnly bool) {
	switch {
	case stack == StackLoanProcessor && key == "AlarmTopicArn":
		return "the local stack has no CloudWatch alarms", false
	case stack == StackLoanProcessor && key == "ProviderApiKeyId":
		return "only with a real valuation service", false
	case stack == StackLoanProcessor && strings.HasPrefix(key, "WebhookAPIEndpoint"):
		return "the REST API's own endpoint output, which nothing reads", false
	case key == "WebhookUrl" || key == "DashboardUrl":
		return "", true
	}
	return "", false
}

// TestLocalDeploymentMatchesTemplate fails when the local stack, deployed
// from the same typed config as the templates, differs from them in
// anything that can drift (see Parity).
func TestLocalDeploymentMatchesTemplate(t *testing.T) {
	syn := synth(t)
	p := parityStack(t)
	w := world(syn.Templates, syn.Named, p.stack)
	for _, d := range Parity(w, p.deployment, outputPolicy) {
		t.Errorf("%s", d)
	}
}

// TestParityReportsADrift changes one thing at a time in the templates and
// checks that the parity check reports it.
func TestParityReportsADrift(t *testing.T) {
	syn := synth(t)
	p := parityStack(t)
	for _, m := range []struct {
		name  string
		apply func(t *testing.T, tpls Templates)
		want  string
	}{
		{"visibility timeout", func(t *testing.T, tpls Templates) {
			namedResource(t, syn, tpls, kindQueue, local.QueueName).Properties["VisibilityTimeout"] = 31.0
		}, "VisibilityTimeout"},
		{"retention of a dead-letter queue", func(t *testing.T, tpls Templates) {
			namedResource(t, syn, tpls, kindQueue, local.CallbackDLQName).Properties["MessageRetentionPeriod"] = 60.0
		}, "MessageRetentionPeriod"},
		{"maxReceiveCount", func(t *testing.T, tpls Templates) {
			rp := namedResource(t, syn, tpls, kindQueue, local.QueueName).Properties["RedrivePolicy"].(map[string]any)
			rp["maxReceiveCount"] = 9.0
		}, "redrive policy"},
		{"batch size", func(t *testing.T, tpls Templates) {
			resourceByPrefix(t, tpls, StackLoanProcessor, "ValuationRequestConsumerFunctionSqsEventSource").Properties["BatchSize"] = 1.0
		}, "BatchSize"},
		{"batching window", func(t *testing.T, tpls Templates) {
			resourceByPrefix(t, tpls, StackLoanProcessor, "ValuationRequestConsumerFunctionSqsEventSource").Properties["MaximumBatchingWindowInSeconds"] = 5.0
		}, "MaximumBatchingWindowInSeconds"},
		{"max concurrency", func(t *testing.T, tpls Templates) {
			resourceByPrefix(t, tpls, StackLoanProcessor, "ValuationRequestConsumerFunctionSqsEventSource").Properties["ScalingConfig"] =
				map[string]any{"MaximumConcurrency": 2.0}
		}, "MaximumConcurrency"},
		{"rule pattern", func(t *testing.T, tpls Templates) {
			r := namedResource(t, syn, tpls, kindRule, "valuation-completed").Properties
			r["EventPattern"].(map[string]any)["source"] = []any{"someone.else"}
		}, "pattern"},
		{"target retry policy", func(t *testing.T, tpls Templates) {
			r := namedResource(t, syn, tpls, kindRule, "valuation-failed").Properties
			r["Targets"].([]any)[0].(map[string]any)["RetryPolicy"].(map[string]any)["MaximumRetryAttempts"] = 1.0
		}, "target"},
		{"target dead-letter queue", func(t *testing.T, tpls Templates) {
			r := namedResource(t, syn, tpls, kindRule, "loan-referred").Properties
			delete(r["Targets"].([]any)[0].(map[string]any), "DeadLetterConfig")
		}, "target"},
		{"function timeout", func(t *testing.T, tpls Templates) {
			namedResource(t, syn, tpls, kindFunction, local.FnValuationCallback).Properties["Timeout"] = 900.0
		}, "timeout"},
		{"function environment", func(t *testing.T, tpls Templates) {
			env := namedResource(t, syn, tpls, kindFunction, local.FnServiceAPI).Properties["Environment"].(map[string]any)
			env["Variables"].(map[string]any)["NEW_SETTING"] = "x"
		}, "environment variables"},
		{"state machine definition", func(t *testing.T, tpls Templates) {
			sm := namedResource(t, syn, tpls, kindStateMachine, local.LoanProcessorName).Properties
			walk(sm, func(s string) string {
				return strings.Replace(s, `"Next": "AssessLoan"`, `"Next": "ValuationFailed"`, 1)
			})
		}, "definitions differ"},
		{"callback timeout substitution", func(t *testing.T, tpls Templates) {
			subs := namedResource(t, syn, tpls, kindStateMachine, local.LoanProcessorName).Properties["DefinitionSubstitutions"].(map[string]any)
			subs["CallbackTimeoutSeconds"] = "60"
		}, "TimeoutSeconds"},
		{"a new output", func(t *testing.T, tpls Templates) {
			tpls[StackLoanProcessor].Outputs["ArchiveName"] = &Output{Value: "x", Description: "a tool will read it"}
		}, "output ArchiveName is not served locally"},
		{"a new queue", func(t *testing.T, tpls Templates) {
			tpls[StackLoanProcessor].Resources["ExtraQueue12345678"] = &Resource{Type: "AWS::SQS::Queue"}
		}, "no local counterpart"},
	} {
		t.Run(m.name, func(t *testing.T) {
			tpls := syn.Templates.Clone()
			m.apply(t, tpls)
			diffs := Parity(world(tpls, syn.Named, p.stack), p.deployment, outputPolicy)
			found := false
			for _, d := range diffs {
				if strings.Contains(d, m.want) {
					found = true
					t.Logf("reported: %s", d)
				}
			}
			if !found {
				t.Errorf("changed %s, but no difference mentions %q: %v", m.name, m.want, diffs)
			}
		})
	}
}

// namedResource is the template resource (in tpls) that is the named local
// resource.
func namedResource(t *testing.T, syn *synthesized, tpls Templates, kind, localName string) *Resource {
	t.Helper()
	for _, n := range syn.Named {
		if n.kind == kind && n.local == localName {
			return tpls[n.id.Stack].Resources[n.id.LogicalID]
		}
	}
	t.Fatalf("no template resource is the local %s %s", kind, localName)
	return nil
}
