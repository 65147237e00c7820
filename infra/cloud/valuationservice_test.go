package cloud

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/valuationrequest"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/statemachines"
)

func TestValuationServiceStack(t *testing.T) {
	d := defaults(t)
	vs := d.stacks.ValuationService
	cfg := d.settings.Config
	for typ, n := range map[string]int{
		"AWS::ApiGatewayV2::Api":           1,
		"AWS::ApiGatewayV2::Route":         1,
		"AWS::ApiGatewayV2::Stage":         1,
		"AWS::Lambda::Function":            2,
		"AWS::StepFunctions::StateMachine": 1,
		"AWS::SecretsManager::Secret":      0, // read by name, owned by LoanProcessor
	} {
		check(t, typ, count(d.vs, typ, n))
	}
	check(t, "route", has(d.vs, "AWS::ApiGatewayV2::Route", map[string]any{"RouteKey": "POST /valuations"}))
	check(t, "stage", has(d.vs, "AWS::ApiGatewayV2::Stage", map[string]any{
		"StageName": "$default", "AutoDeploy": true,
		"AccessLogSettings": map[string]any{
			"DestinationArn": getAtt(vs.AccessLogs, "Arn"),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`.*\$context.requestId.*`)),
		},
		"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 40},
	}))

	src, _ := statemachines.ValuationService.Source()
	sm := props(t, d.vs, "AWS::StepFunctions::StateMachine", logicalID(vs.Workflow.StateMachine))
	if sm["DefinitionString"] != src {
		t.Errorf("DefinitionString differs from %s", statemachines.ValuationService.File())
	}
	want := map[string]any{}
	for k := range cfg.ValuationServiceSubstitutions("ARN") {
		want[k] = getAtt(vs.CallbackSender.Function, "Arn")
	}
	equalJSON(t, "DefinitionSubstitutions", sm["DefinitionSubstitutions"], want)
	check(t, "mock state machine", has(d.vs, "AWS::StepFunctions::StateMachine", map[string]any{
		"StateMachineType": "STANDARD", "TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ERROR", "IncludeExecutionData": false}),
	}))
	byResource := actionsOn(t, statements(t, d.vs, vs.Workflow.StateMachine.Role()))
	equalJSON(t, "mock state machine on the sender", byResource[toJSON(t, getAtt(vs.CallbackSender.Function, "Arn"))], []string{"lambda:InvokeFunction"})
	for res, actions := range byResource {
		if res != `"*"` && res != toJSON(t, getAtt(vs.CallbackSender.Function, "Arn")) {
			t.Errorf("mock state machine may %v on %s", actions, res)
		}
	}

	api := props(t, d.vs, "AWS::Lambda::Function", logicalID(vs.RequestHandler.Function))
	env := api["Environment"].(map[string]any)["Variables"].(map[string]any)
	equalJSON(t, "api state machine", env[valuationservice.EnvStateMachineARN], ref(vs.Workflow.StateMachine))
	equalJSON(t, "api callback delay", env[valuationservice.EnvCallbackDelay], cfg.Mock.CallbackDelay.String())
	if late, _ := env[valuationservice.EnvLateDelay].(string); late == "" || lateDelay(cfg.CallbackTimeout) <= cfg.CallbackTimeout {
		t.Errorf("late delay %q must exceed the callback timeout %s", late, cfg.CallbackTimeout)
	}
	equalJSON(t, "api on the state machine", actionsOn(t, statements(t, d.vs, vs.RequestHandler.Role))[toJSON(t, ref(vs.Workflow.StateMachine))],
		[]string{"states:StartExecution"})

	sender := props(t, d.vs, "AWS::Lambda::Function", logicalID(vs.CallbackSender.Function))
	equalJSON(t, "sender secret", sender["Environment"].(map[string]any)["Variables"].(map[string]any)[valuationservice.EnvSigningSecretARN], cfg.Signature.SecretName)
	var secretActions []string
	for res, actions := range actionsOn(t, statements(t, d.vs, vs.CallbackSender.Role)) {
		if strings.Contains(res, ":secret:"+cfg.Signature.SecretName+"-??????") {
			secretActions = sorted(actions)
		}
	}
	equalJSON(t, "sender on the secret", secretActions, []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"})
	check(t, "url output", func() {
		d.vs.HasOutput(jsii.String("ValuationServiceUrl"), map[string]any{"Value": assertions.Match_AnyValue()})
	})

	// The processor depends on the mock, never the reverse.
	if deps := *vs.Dependencies(); len(deps) != 0 {
		t.Errorf("ValuationService depends on %d stacks", len(deps))
	}
	lpDeps := *d.stacks.LoanProcessor.Dependencies()
	if len(lpDeps) != 1 || *lpDeps[0].StackName() != *vs.StackName() {
		t.Errorf("LoanProcessor should depend on ValuationService only")
	}
}

// With a real service configured there is no mock, and the consumer calls the service.
func TestRealValuationService(t *testing.T) {
	const url = "https://valuations.example.com/v2/valuations"
	d := synthApp(t, map[string]any{ContextValuationServiceURL: url}, false)
	if d.stacks.ValuationService != nil {
		t.Fatal("the mock stack is deployed alongside a real service")
	}
	fn := props(t, d.lp, "AWS::Lambda::Function", logicalID(d.stacks.LoanProcessor.RequestConsumer.Function))
	equalJSON(t, "VALUATION_SERVICE_URL", fn["Environment"].(map[string]any)["Variables"].(map[string]any)[valuationrequest.EnvValuationServiceURL], url)
}

// A non-production stage is disposable and reads its knobs from context.
func TestDevStage(t *testing.T) {
	d := synthApp(t, map[string]any{
		ContextStage: "dev", ContextCallbackTimeout: "90m", ContextSigningSecretName: "dev/signing",
		ContextWebhookRateLimit: "5", ContextWebhookBurstLimit: 10, ContextAlarmEmail: "oncall@example.com",
	}, false)

	check(t, "alarm email", has(d.lp, "AWS::SNS::Subscription", map[string]any{
		"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": ref(d.stacks.LoanProcessor.Alarms.Topic),
	}))
	lp := d.stacks.LoanProcessor
	check(t, "table", func() {
		d.lp.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"DeletionPolicy": "Delete", "Properties": assertions.Match_ObjectLike(&map[string]any{"DeletionProtectionEnabled": false}),
		})
	})
	check(t, "secret", has(d.lp, "AWS::SecretsManager::Secret", map[string]any{"Name": "dev/signing"}))
	sm := props(t, d.lp, "AWS::StepFunctions::StateMachine", logicalID(lp.Workflow.StateMachine))
	equalJSON(t, "timeout", sm["DefinitionSubstitutions"].(map[string]any)["CallbackTimeoutSeconds"], "5400")
	check(t, "stage", has(d.lp, "AWS::ApiGateway::Stage", map[string]any{
		"StageName":      "dev",
		"MethodSettings": []any{assertions.Match_ObjectLike(&map[string]any{"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 10})},
	}))
	check(t, "mock secret by name", func() {
		if !strings.Contains(toJSON(t, d.vs.ToJSON()), "secret:dev/signing-??????") {
			panic("the mock does not read dev/signing")
		}
	})
}
