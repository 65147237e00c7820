package cloud

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/infra/functionspec"
	"loanflow/infra/local"
)

// worldSpecific are the environment variables whose values each world knows
// its own way, by function: on AWS a CloudFormation reference to a resource
// of the stack (a CDK token), on the local stack that resource's local name,
// ARN or URL. Every other variable must have the same value in both worlds.
var worldSpecific = map[string]map[string]string{
	functionspec.NameValuationRequest: {
		valuationrequest.EnvTableName:           "the token table's generated name (Ref)",
		valuationrequest.EnvValuationServiceURL: "the mock stack's URL, imported from its export",
		valuationrequest.EnvWebhookBaseURL:      "the webhook REST API's URL, built from its id",
	},
	functionspec.NameValuationCallback: {
		valuationcallback.EnvTableName:        "the token table's generated name (Ref)",
		valuationcallback.EnvSigningSecretARN: "the signing secret's ARN (Ref); locally the secret's name",
	},
	functionspec.NameMockAPI: {
		mockvaluation.EnvStateMachineARN: "the mock state machine's ARN (Ref)",
	},
	functionspec.NameMockCallbackSender: {
		mockvaluation.EnvWebhookAPIKeySecretARN: "the webhook API key secret's ARN (Ref); locally the secret's name",
	},
}

// startLocal starts a local stack deployed from cfg, closed when the test ends.
func startLocal(t *testing.T, d *synthesized) *local.Stack {
	t.Helper()
	cfg := d.settings.Config
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: t.TempDir(), Config: &cfg, Logger: log})
	if err != nil {
		t.Fatalf("local stack: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestFunctionsMatchTheLocalStack fails when the two worlds configure a
// function differently: every function the app deploys has the environment,
// timeout, memory size and reserved concurrency that the local stack,
// deployed from the same typed config, registered for it, and the request
// consumer's event source mapping has the local mapping's settings.
func TestFunctionsMatchTheLocalStack(t *testing.T) {
	d := defaults(t)
	s := startLocal(t, d)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	deployed := map[string]struct {
		tpl assertions.Template
		fn  *GoFunction
	}{
		functionspec.NameValuationRequest:   {d.lp, lp.RequestConsumer},
		functionspec.NameValuationCallback:  {d.lp, lp.Resolver},
		functionspec.NameMockAPI:            {d.vs, vs.RequestHandler},
		functionspec.NameMockCallbackSender: {d.vs, vs.CallbackSender},
	}
	var registered []string
	for _, st := range s.Functions.All() {
		registered = append(registered, st.Name)
	}
	want := slices.Sorted(slices.Values(functionspec.Names))
	if got := slices.Sorted(slices.Values(registered)); !slices.Equal(got, want) {
		t.Fatalf("the local stack registered %v; the specs are %v", got, want)
	}
	if got := slices.Sorted(maps.Keys(deployed)); !slices.Equal(got, want) {
		t.Fatalf("the test compares %v; the specs are %v", got, want)
	}
	for _, tpl := range []assertions.Template{d.lp, d.vs} {
		for id := range resources(t, tpl, "AWS::Lambda::Function") {
			found := false
			for _, dep := range deployed {
				found = found || (dep.tpl == tpl && logicalID(dep.fn.Function) == id)
			}
			if !found {
				t.Errorf("function %s is deployed but not compared with the local stack's", id)
			}
		}
	}

	for name, dep := range deployed {
		fn, _ := s.Functions.Lookup(name)
		p := props(t, dep.tpl, "AWS::Lambda::Function", logicalID(dep.fn.Function))
		equalJSON(t, name+" Timeout", p["Timeout"], fn.Timeout.Seconds())
		equalJSON(t, name+" MemorySize", p["MemorySize"], fn.MemoryMB)
		reserved, ok := p["ReservedConcurrentExecutions"]
		if !ok {
			reserved = 0 // none reserved
		}
		equalJSON(t, name+" ReservedConcurrentExecutions", reserved, fn.ReservedConcurrency)

		env, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		localEnv := map[string]string{}
		for k, v := range fn.Environment {
			if v != "" {
				localEnv[k] = v
			}
		}
		equalJSON(t, name+" environment variables", slices.Sorted(maps.Keys(env)), slices.Sorted(maps.Keys(localEnv)))
		for k, v := range env {
			if why, ok := worldSpecific[name][k]; ok {
				if _, str := v.(string); str || localEnv[k] == "" {
					t.Errorf("%s %s: expected %s on AWS and a local value, got %v and %q", name, k, why, v, localEnv[k])
				}
				continue
			}
			if v != localEnv[k] {
				t.Errorf("%s %s = %v on AWS, %q locally", name, k, v, localEnv[k])
			}
		}
	}

	if len(s.EventSourceMappings) != 1 {
		t.Fatalf("the local stack has %d event source mappings", len(s.EventSourceMappings))
	}
	m := s.EventSourceMappings[0]
	check(t, "event source mapping", has(d.lp, "AWS::Lambda::EventSourceMapping", map[string]any{
		"FunctionName":                   ref(deployed[m.Function.Name].fn.Function),
		"BatchSize":                      m.BatchSize,
		"MaximumBatchingWindowInSeconds": int(m.MaxBatchingWindow / time.Second),
		"ScalingConfig":                  map[string]any{"MaximumConcurrency": m.MaxConcurrency},
		"FunctionResponseTypes":          reportBatchItemFailures(m.ReportBatchItemFailures),
	}))
}

// reportBatchItemFailures is the FunctionResponseTypes of a mapping that
// does or does not report batch item failures.
func reportBatchItemFailures(on bool) any {
	if on {
		return []any{"ReportBatchItemFailures"}
	}
	return assertions.Match_Absent()
}
