package template

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/events"
	"loanflow/infra/cloud"
	"loanflow/infra/config"
	"loanflow/infra/local"
	"loanflow/infra/local/audit"
)

// scratch holds what outlives one test: the synthesized app and the local
// stacks' state directories.
var scratch string

func TestMain(m *testing.M) {
	var err error
	if scratch, err = os.MkdirTemp("", "loanflow-template-test"); err != nil {
		panic(err)
	}
	code := m.Run()
	closeShared()
	jsii.Close()
	os.RemoveAll(scratch)
	os.Exit(code)
}

// synthesized is the app as cdk.json configures it (the default stage) with
// the mock valuation service on, as CloudFormation would receive it.
type synthesized struct {
	Settings  cloud.Settings
	Templates Templates
	// Named are the template resources the local stack has, and what
	// each is called there.
	Named []named
}

// named is a template resource and its local counterpart: a kind of
// resource and its local name, or, for a role, the principal acting with it.
type named struct {
	id        ResourceID
	kind      string
	local     string
	principal audit.Principal
	assumedBy string
}

// Kinds of named resources.
const (
	kindQueue        = "queue"
	kindTable        = "table"
	kindBus          = "bus"
	kindRule         = "rule"
	kindStateMachine = "stateMachine"
	kindFunction     = "function"
	kindRole         = "role"
	kindSecret       = "secret"
	kindTopic        = "topic"
	kindParameter    = "parameter"
	kindRestAPI      = "restApi"
	kindHTTPAPI      = "httpApi"
)

var (
	synthOnce sync.Once
	synthApp  *synthesized
	synthErr  error
)

// synth synthesizes the app once for every test of the package.
func synth(t *testing.T) *synthesized {
	t.Helper()
	synthOnce.Do(func() { synthApp, synthErr = synthesize(filepath.Join(scratch, "synth")) })
	if synthErr != nil {
		t.Fatalf("synthesize the CDK app: %v", synthErr)
	}
	return synthApp
}

// synthesize builds the app from cdk.json's context plus the mock service,
// with bundling skipped (the functions' code stays stub sources: only the
// templates matter here), and reads each stack's template.
func synthesize(dir string) (out *synthesized, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{r}
		}
	}()
	root, err := cloud.ModuleRoot(".")
	if err != nil {
		return nil, err
	}
	ctx, err := cdkContext(root)
	if err != nil {
		return nil, err
	}
	ctx[cloud.ContextMockValuationService] = true
	ctx["aws:cdk:bundling-stacks"] = []any{}
	outdir := filepath.Join(dir, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &outdir})
	settings, err := cloud.SettingsFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	module, err := stubModule(filepath.Join(dir, "module"))
	if err != nil {
		return nil, err
	}
	stacks := cloud.NewStacks(app, settings, module)
	names := nameResources(stacks, settings)
	app.Synth(nil)
	tpls := Templates{}
	for base, st := range map[string]awscdk.Stack{StackLoanProcessor: stacks.LoanProcessor.Stack, StackValuationService: stacks.ValuationService.Stack} {
		b, err := os.ReadFile(filepath.Join(outdir, *st.ArtifactId()+".template.json"))
		if err != nil {
			return nil, err
		}
		var tpl Template
		if err := json.Unmarshal(b, &tpl); err != nil {
			return nil, err
		}
		tpls[base] = &tpl
	}
	return &synthesized{Settings: settings, Templates: tpls, Named: names}, nil
}

// nameResources pairs the stacks' constructs with their local
// counterparts, by the constructs themselves: a renamed construct fails to
// compile here rather than silently losing its binding.
func nameResources(st cloud.Stacks, settings cloud.Settings) []named {
	lp, vs := st.LoanProcessor, st.ValuationService
	in := func(stack string, c constructs.IConstruct, kind, localName string) named {
		return named{id: ResourceID{stack, logicalID(c)}, kind: kind, local: localName}
	}
	role := func(stack string, c constructs.IConstruct, p audit.Principal, service string) named {
		return named{id: ResourceID{stack, logicalID(c)}, kind: kindRole, principal: p, assumedBy: service}
	}
	const (
		lambdaSvc = "lambda.amazonaws.com"
		statesSvc = "states.amazonaws.com"
	)
	out := []named{
		in(StackLoanProcessor, lp.Requests.Queue, kindQueue, local.QueueName),
		in(StackLoanProcessor, lp.Requests.DeadLetter.Queue, kindQueue, local.DLQName),
		in(StackLoanProcessor, lp.CallbackDLQ.Queue, kindQueue, local.CallbackDLQName),
		in(StackLoanProcessor, lp.TokenTable, kindTable, local.TableName),
		in(StackLoanProcessor, lp.Bus, kindBus, settings.EventBusName()),
		in(StackLoanProcessor, lp.Workflow.StateMachine, kindStateMachine, local.LoanProcessorName),
		in(StackLoanProcessor, lp.RequestConsumer.Function, kindFunction, local.FnValuationRequest),
		in(StackLoanProcessor, lp.Resolver.Function, kindFunction, local.FnValuationCallback),
		in(StackLoanProcessor, lp.SigningSecret, kindSecret, settings.SigningSecretName()),
		in(StackLoanProcessor, lp.Notifications.Topic, kindTopic, local.NotificationsTopic),
		in(StackLoanProcessor, lp.AllowedCallbackPrefix, kindParameter, config.AllowedCallbackParameter),
		in(StackLoanProcessor, lp.Webhook.API, kindRestAPI, "webhook"),
		role(StackLoanProcessor, lp.Workflow.StateMachine.Role(), audit.StateMachine(local.LoanProcessorName), statesSvc),
		role(StackLoanProcessor, lp.RequestConsumer.Role, audit.Function(local.FnValuationRequest), lambdaSvc),
		role(StackLoanProcessor, lp.Resolver.Role, audit.Function(local.FnValuationCallback), lambdaSvc),
		role(StackLoanProcessor, lp.Webhook.Role, local.WebhookIntegration, "apigateway.amazonaws.com"),
		role(StackLoanProcessor, lp.Notifications.Publisher,
			audit.Principal{Kind: audit.KindTargetRole, Name: local.NotificationsPublisherRoleARN}, "events.amazonaws.com"),
		in(StackValuationService, vs.API, kindHTTPAPI, local.MockServiceAPIID),
		in(StackValuationService, vs.Workflow.StateMachine, kindStateMachine, local.ValuationServiceName),
		in(StackValuationService, vs.RequestHandler.Function, kindFunction, local.FnServiceAPI),
		in(StackValuationService, vs.CallbackSender.Function, kindFunction, local.FnServiceCallback),
		in(StackValuationService, vs.WebhookAPIKey, kindSecret, local.WebhookAPIKeySecretName),
		role(StackValuationService, vs.Workflow.StateMachine.Role(), audit.StateMachine(local.ValuationServiceName), statesSvc),
		role(StackValuationService, vs.RequestHandler.Role, audit.Function(local.FnServiceAPI), lambdaSvc),
		role(StackValuationService, vs.CallbackSender.Role, audit.Function(local.FnServiceCallback), lambdaSvc),
	}
	rules, err := events.Rules()
	if err != nil || len(rules) != len(lp.Rules) {
		panic(fmt.Sprintf("events.Rules() and the stack's rules disagree: %v", err))
	}
	for i, r := range rules {
		out = append(out, in(StackLoanProcessor, lp.Rules[i], kindRule, r.Name))
	}
	return out
}

// logicalID is the construct's CloudFormation logical id.
func logicalID(c constructs.IConstruct) string {
	child := c.Node().DefaultChild()
	if child == nil {
		child = c
	}
	el, ok := child.(awscdk.CfnElement)
	if !ok {
		panic(fmt.Sprintf("%s is not a CloudFormation element", *c.Node().Path()))
	}
	return *awscdk.Stack_Of(c).GetLogicalId(el)
}

type panicError struct{ v any }

func (p panicError) Error() string { return "panic: " + jsonText(p.v) }

// cdkContext is the "context" of the repository's cdk.json.
func cdkContext(root string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return doc.Context, nil
}

// stubModule is a tiny module with an empty main per function: synth then
// needs no compiler run for the handlers.
func stubModule(dir string) (string, error) {
	write := func(rel, text string) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(text), 0o644)
	}
	if err := write("go.mod", "module loanflow\n\ngo 1.26.0\n"); err != nil {
		return "", err
	}
	for _, f := range []string{"valuation-request", "valuation-callback", "valuation-service-api", "valuation-service-callback"} {
		if err := write("consumers/functions/"+f+"/main.go", "package main\n\nfunc main() {}\n"); err != nil {
			return "", err
		}
	}
	return dir, nil
}
