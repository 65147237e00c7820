package cloud

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"loanflow/consumers/mockvaluation"
	"loanflow/consumers/valuationcallback"
)

// physicalNameKeys are the properties that give a resource an explicit
// physical name.
var physicalNameKeys = map[string]bool{
	"QueueName": true, "TableName": true, "EventBusName": true, "Name": true, "FunctionName": true,
	"StateMachineName": true, "TopicName": true, "LogGroupName": true, "ApiKeyName": true, "UsagePlanName": true,
	"DashboardName": true, "AlarmName": true, "ArchiveName": true, "RoleName": true, "KeyAlias": true, "AliasName": true,
}

// physicalNames collects every explicit physical name of the app: each
// stack's name, each export's, and every name property whose value is a
// literal (a reference, such as a rule's EventBusName, names nothing new).
func physicalNames(t *testing.T, d *synthesized) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(where, name string) {
		if prev, ok := out[name]; ok {
			t.Errorf("%s and %s share the name %q", prev, where, name)
		}
		out[name] = where
	}
	tpls := map[string]assertions.Template{"LoanProcessor": d.lp}
	add("LoanProcessor stack", *d.stacks.LoanProcessor.StackName())
	if vs := d.stacks.ValuationService; vs != nil {
		tpls["ValuationService"] = d.vs
		add("ValuationService stack", *vs.StackName())
	}
	for stack, tpl := range tpls {
		doc := *tpl.ToJSON()
		res, _ := doc["Resources"].(map[string]any)
		for id, r := range res {
			p, _ := r.(map[string]any)["Properties"].(map[string]any)
			for k, v := range p {
				if s, ok := v.(string); ok && physicalNameKeys[k] {
					add(fmt.Sprintf("%s %s.%s", stack, id, k), s)
				}
			}
		}
		outs, _ := doc["Outputs"].(map[string]any)
		for id, o := range outs {
			if e, ok := o.(map[string]any)["Export"].(map[string]any); ok {
				add(fmt.Sprintf("%s export %s", stack, id), e["Name"].(string))
			}
		}
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Two stages share an account: `-c stage=dev` must create its own stacks,
// bus, secret, parameter, APIs and exports, never update prod's. The
// default stage keeps its plain names.
func TestStagesHaveDisjointPhysicalNames(t *testing.T) {
	prod := defaults(t)
	dev := synthApp(t, map[string]any{ContextStage: "dev", ContextMockValuationService: nil}, false)
	prodNames, devNames := physicalNames(t, prod), physicalNames(t, dev)
	for name, where := range devNames {
		if other, ok := prodNames[name]; ok {
			t.Errorf("dev's %s and prod's %s are both named %q", where, other, name)
		}
		if !strings.Contains(name, "dev") {
			t.Errorf("dev's %s, %q, does not carry the stage", where, name)
		}
	}
	for _, want := range []string{
		"LoanProcessor", "ValuationService", "loanflow-valuations", "loanflow/valuation-webhook-signing-key",
		AllowedCallbackParameterName, "loanflow-valuation-webhook", "loanflow-mock-valuation-service", ExportValuationServiceURL,
	} {
		if _, ok := prodNames[want]; !ok {
			t.Errorf("prod has no %q; its names: %v", want, keys(prodNames))
		}
	}
	for _, want := range []string{
		"dev-LoanProcessor", "dev-ValuationService", "dev-loanflow-valuations", "dev/loanflow/valuation-webhook-signing-key",
		"/dev/loanflow/valuation-service/allowed-callback-prefix", "dev-" + ExportValuationServiceURL,
	} {
		if _, ok := devNames[want]; !ok {
			t.Errorf("dev has no %q; its names: %v", want, keys(devNames))
		}
	}
	// The metrics the stacks derive from logs are the stage's too.
	check(t, "dev metric namespace", has(dev.lp, "AWS::Logs::MetricFilter", map[string]any{
		"MetricTransformations": []any{objectLike(map[string]any{"MetricNamespace": "dev/Loanflow"})},
	}))
}

// The functions find the stage's secret and parameter by the names the
// stacks gave them: environment, IAM and resource agree.
func TestStageNamesReachTheFunctions(t *testing.T) {
	d := synthApp(t, map[string]any{ContextStage: "qa", ContextMockValuationService: nil}, false)
	lp, vs := d.stacks.LoanProcessor, d.stacks.ValuationService
	const secret, param = "qa/loanflow/valuation-webhook-signing-key", "/qa/loanflow/valuation-service/allowed-callback-prefix"
	check(t, "secret", has(d.lp, "AWS::SecretsManager::Secret", map[string]any{"Name": secret}))
	check(t, "parameter", has(d.lp, "AWS::SSM::Parameter", map[string]any{"Name": param}))
	check(t, "bus", has(d.lp, "AWS::Events::EventBus", map[string]any{"Name": "qa-loanflow-valuations"}))
	env := func(tpl assertions.Template, f *GoFunction) map[string]any {
		return props(t, tpl, "AWS::Lambda::Function", logicalID(f.Function))["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	equalJSON(t, "resolver's secret", env(d.lp, lp.Resolver)[valuationcallback.EnvSigningSecretARN], ref(lp.SigningSecret))
	equalJSON(t, "sender's secret", env(d.vs, vs.CallbackSender)[mockvaluation.EnvSigningSecretARN], secret)
	equalJSON(t, "handler's secret", env(d.vs, vs.RequestHandler)[mockvaluation.EnvSigningSecretARN], secret)
	equalJSON(t, "handler's parameter", env(d.vs, vs.RequestHandler)[mockvaluation.EnvAllowedCallbackParameter], param)
	grants := toJSON(t, statements(t, d.vs, vs.CallbackSender.Role)) + toJSON(t, statements(t, d.vs, vs.RequestHandler.Role))
	for _, want := range []string{":secret:" + secret + "-??????", ":parameter" + param + `"`} {
		if !strings.Contains(grants, want) {
			t.Errorf("the mock's roles are not granted %s", want)
		}
	}
	// The webhook publishes to the stage's bus.
	if !strings.Contains(toJSON(t, props(t, d.lp, "AWS::ApiGateway::Method", logicalID(lp.Webhook.Method))), `\"EventBusName\":\"qa-loanflow-valuations\"`) {
		t.Error("the webhook's mapping template does not name the stage's bus")
	}
}

// Settings.Validate refuses a stage that cannot be part of a name.
func TestStageMustFitNames(t *testing.T) {
	for _, stage := range []string{"Dev", "dev_1", "dev/x", "-dev"} {
		if _, err := settingsFrom(t, map[string]any{ContextStage: stage}); err == nil || !strings.Contains(err.Error(), "stage") {
			t.Errorf("stage %q: %v", stage, err)
		}
	}
}

// Prod retains every stateful resource and keeps logs as configured; other
// stages are disposable and keep logs a week. Dead-letter queues keep
// messages 14 days, longer than their source queue.
func TestStageRetentionAndRemoval(t *testing.T) {
	prod := defaults(t)
	dev := synthApp(t, map[string]any{ContextStage: "dev", ContextMockValuationService: nil}, false)
	for _, c := range []struct {
		d      *synthesized
		policy string
		days   int
	}{
		{prod, "Retain", prod.settings.Config.Functions.LogRetentionDays},
		{dev, "Delete", NonProdLogRetentionDays},
	} {
		stage := c.d.settings.Config.Stage
		for _, tpl := range []assertions.Template{c.d.lp, c.d.vs} {
			for _, typ := range StatefulResourceTypes {
				for id, r := range resources(t, tpl, typ) {
					if r["DeletionPolicy"] != c.policy || r["UpdateReplacePolicy"] != c.policy {
						t.Errorf("%s: %s %s: DeletionPolicy %v, UpdateReplacePolicy %v, want %s",
							stage, typ, id, r["DeletionPolicy"], r["UpdateReplacePolicy"], c.policy)
					}
				}
			}
			for id, r := range resources(t, tpl, "AWS::Logs::LogGroup") {
				if got := r["Properties"].(map[string]any)["RetentionInDays"]; got != float64(c.days) {
					t.Errorf("%s: log group %s keeps %v days, want %d", stage, id, got, c.days)
				}
			}
		}
		lp := c.d.stacks.LoanProcessor
		source := props(t, c.d.lp, "AWS::SQS::Queue", logicalID(lp.Requests.Queue))["MessageRetentionPeriod"].(float64)
		for _, dlq := range []*DeadLetterQueue{lp.Requests.DeadLetter, lp.CallbackDLQ} {
			kept := props(t, c.d.lp, "AWS::SQS::Queue", logicalID(dlq.Queue))["MessageRetentionPeriod"].(float64)
			if kept != 14*24*3600 || kept <= source {
				t.Errorf("%s: a dead-letter queue keeps messages %vs, its source %vs", stage, kept, source)
			}
		}
		if got := source; got != RequestRetention(c.d.settings.Config).Seconds() || got > (DeadLetterRetention-deadLetterMargin).Seconds() {
			t.Errorf("%s: valuation requests are kept %vs", stage, got)
		}
	}
}

// README's Deploy to AWS says what each stage retains.
func TestREADMEListsRetention(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRootForTest(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, want := range []string{"RETAIN", "DESTROY", "14 days", fmt.Sprintf("%d days", NonProdLogRetentionDays)} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not mention %s", want)
		}
	}
}
