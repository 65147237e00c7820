package cloud

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/functionenv"
	"loanflow/infra/statemachines"
)

// ValuationServiceStackProps configures the mock valuation service.
type ValuationServiceStackProps struct {
	awscdk.StackProps
	Settings Settings
	// ModuleRoot is the Go module the functions are built from.
	ModuleRoot string
}

// ValuationServiceStack is the mock external valuation service: an HTTP API
// (POST /valuations) whose function accepts a request and starts the
// service's own state machine, which waits as a surveyor would and then
// invokes the callback sender to sign and POST the valuation to the webhook.
//
// It reads the signing secret by name, so it depends on nothing in the
// LoanProcessor stack, which in turn takes this stack's URL.
type ValuationServiceStack struct {
	awscdk.Stack
	props *ValuationServiceStackProps

	API            awsapigatewayv2.HttpApi
	AccessLogs     awslogs.LogGroup
	RequestHandler *GoFunction
	CallbackSender *GoFunction
	Workflow       *Workflow
}

// NewValuationServiceStack builds the stack.
func NewValuationServiceStack(scope constructs.Construct, id string, props *ValuationServiceStackProps) *ValuationServiceStack {
	if props == nil || props.ModuleRoot == "" {
		panic(fmt.Sprintf("ValuationServiceStack %s: ModuleRoot is required", id))
	}
	if err := props.Settings.Validate(); err != nil {
		panic(fmt.Sprintf("ValuationServiceStack %s: %v", id, err))
	}
	s := &ValuationServiceStack{Stack: awscdk.NewStack(scope, &id, &props.StackProps), props: props}
	s.callbackSender()
	s.workflow()
	s.requestHandler()
	s.api()
	awscdk.NewCfnOutput(s.Stack, jsii.String("ValuationServiceUrl"), &awscdk.CfnOutputProps{
		Value: s.URL(), Description: jsii.String("POST a ValuationRequest here"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{
		Value: s.Workflow.StateMachine.StateMachineArn(), Description: jsii.String("The mock's surveys, one execution per request"),
	})
	return s
}

// URL is the endpoint the loan processor's request consumer POSTs to.
func (s *ValuationServiceStack) URL() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{s.API.ApiEndpoint(), jsii.String("/valuations")})
}

func (s *ValuationServiceStack) callbackSender() {
	cfg := s.props.Settings.Config
	s.CallbackSender = NewGoFunction(s.Stack, "CallbackSender", &GoFunctionProps{
		ModuleRoot:       s.props.ModuleRoot,
		Main:             "consumers/functions/valuation-service-callback",
		Description:      "Signs a valuation and POSTs it to the loan processor's webhook.",
		MemoryMB:         cfg.Functions.MemoryMB,
		Timeout:          cfg.Queue.ConsumerTimeout,
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		LogLevel:         cfg.Functions.LogLevel,
		// The sender needs only the secret and the log level; the state machine ARN is not known yet.
		Environment: functionenv.ValuationService(cfg, "", cfg.Signature.SecretName, "").Pointers(),
	})
	// By name: the secret belongs to the LoanProcessor stack, which depends on this one.
	secret := awssecretsmanager.Secret_FromSecretNameV2(s.Stack, jsii.String("SigningSecret"), jsii.String(cfg.Signature.SecretName))
	secret.GrantRead(s.CallbackSender.Role, nil)
}

func (s *ValuationServiceStack) workflow() {
	cfg := s.props.Settings.Config
	sender := s.CallbackSender.Function.FunctionArn()
	s.Workflow = NewWorkflow(s.Stack, "Surveys", &WorkflowProps{
		Definition:    statemachines.ValuationService,
		Substitutions: cfg.ValuationServiceSubstitutions(*sender),
		Permissions: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &[]*string{sender},
		})},
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		Purpose:          "Mock valuation service",
	})
}

func (s *ValuationServiceStack) requestHandler() {
	cfg := s.props.Settings.Config
	s.RequestHandler = NewGoFunction(s.Stack, "RequestHandler", &GoFunctionProps{
		ModuleRoot:       s.props.ModuleRoot,
		Main:             "consumers/functions/valuation-service-api",
		Description:      "Accepts a valuation request and starts a survey.",
		MemoryMB:         cfg.Functions.MemoryMB,
		Timeout:          cfg.Queue.ConsumerTimeout,
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		LogLevel:         cfg.Functions.LogLevel,
		// A late valuation arrives after the processor has stopped waiting (functionenv.LateDelay).
		Environment: functionenv.ValuationService(cfg, *s.Workflow.StateMachine.StateMachineArn(), cfg.Signature.SecretName, "").Pointers(),
	})
	s.RequestHandler.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: &[]*string{s.Workflow.StateMachine.StateMachineArn()},
	}))
}

func (s *ValuationServiceStack) api() {
	cfg := s.props.Settings.Config
	s.AccessLogs = awslogs.NewLogGroup(s.Stack, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[cfg.Functions.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.API = awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("API"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("Mock valuation service: POST /valuations."),
		CreateDefaultStage: jsii.Bool(false),
	})
	stage := s.API.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(20), BurstLimit: jsii.Number(40)},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: s.AccessLogs.LogGroupArn(),
		Format:         awsapigateway.AccessLogFormat_JsonWithStandardFields(nil).ToString(),
	})
	routes := s.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/valuations"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("RequestHandler"), s.RequestHandler.Function, nil),
	})
	for _, r := range *routes {
		suppress(r, "AwsSolutions-APIG4",
			"This is the mock of an external valuation service for demos and tests; the real service authenticates its clients itself. Requests are validated, idempotent and throttled.")
	}
}

// lateDelay is how long a mock:late valuation takes: past the processor's
// callback timeout by a margin that outlasts clock skew and retries.
func lateDelay(callbackTimeout time.Duration) time.Duration {
	return functionenv.LateDelay(callbackTimeout)
}
