package cloud

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/config"
	"loanflow/infra/functionspec"
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
// It signs with the real key, so it is never a signer for strangers: its
// route takes only IAM-signed requests (the LoanProcessor's request consumer
// is granted execute-api:Invoke), and it calls back only under this stack
// pair's own webhook, whose URL prefix it reads from the SSM parameter
// AllowedCallbackParameterName at run time.
//
// It reads the signing secret and that parameter by name, so it depends on
// nothing in the LoanProcessor stack, which in turn takes this stack's URL,
// API and webhook API key through CloudFormation exports: strong references,
// so that CloudFormation refuses to replace or delete what the processor
// still uses instead of leaving it a stale URL.
type ValuationServiceStack struct {
	awscdk.Stack
	props *ValuationServiceStackProps

	API            awsapigatewayv2.HttpApi
	Route          awsapigatewayv2.HttpRoute
	AccessLogs     awslogs.LogGroup
	RequestHandler *GoFunction
	CallbackSender *GoFunction
	Workflow       *Workflow
	// WebhookAPIKey is the value of the API key the mock presents to the
	// webhook; the LoanProcessor stack creates the key from it.
	WebhookAPIKey awssecretsmanager.Secret

	// Imports of this stack's exports, for other stacks.
	importedURL, importedAPIID, importedWebhookAPIKeyARN *string
}

// Export names (Settings.Name qualifies them for the stage): what the
// LoanProcessor stack imports from the mock.
const (
	ExportValuationServiceURL = "loanflow-mock-valuation-service-url"
	ExportValuationServiceAPI = "loanflow-mock-valuation-service-api-id"
	ExportMockWebhookAPIKey   = "loanflow-mock-webhook-api-key-secret"
)

// AllowedCallbackParameterName is the SSM parameter holding the only callback
// URL prefix the mock calls back under (the LoanProcessor's webhook,
// ".../valuations/") in the default stage; Settings.AllowedCallbackParameterName
// qualifies it for the others. The LoanProcessor stack writes it; the mock,
// deployed first, reads it at run time.
const AllowedCallbackParameterName = config.AllowedCallbackParameter

// mockStage is the mock HTTP API's only stage.
const mockStage = "$default"

// NewValuationServiceStack builds the stack.
func NewValuationServiceStack(scope constructs.Construct, id string, props *ValuationServiceStackProps) *ValuationServiceStack {
	if props == nil || props.ModuleRoot == "" {
		panic(fmt.Sprintf("ValuationServiceStack %s: ModuleRoot is required", id))
	}
	if err := props.Settings.Validate(); err != nil {
		panic(fmt.Sprintf("ValuationServiceStack %s: %v", id, err))
	}
	if !props.Settings.UsesMock() {
		panic(fmt.Sprintf("ValuationServiceStack %s: a valuation service URL is configured; the mock is not deployed with a real service", id))
	}
	s := &ValuationServiceStack{Stack: awscdk.NewStack(scope, &id, &props.StackProps), props: props}
	s.webhookAPIKey()
	s.callbackSender()
	s.workflow()
	s.requestHandler()
	s.api()
	s.exports()
	awscdk.NewCfnOutput(s.Stack, jsii.String("ValuationServiceUrl"), &awscdk.CfnOutputProps{
		Value: s.localURL(), Description: jsii.String("POST a ValuationRequest here"),
	})
	awscdk.NewCfnOutput(s.Stack, jsii.String("StateMachineArn"), &awscdk.CfnOutputProps{
		Value: s.Workflow.StateMachine.StateMachineArn(), Description: jsii.String("The mock's surveys, one execution per request"),
	})
	applyStageRemovalPolicy(s.Stack, props.Settings)
	return s
}

func (s *ValuationServiceStack) localURL() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{s.API.ApiEndpoint(), jsii.String("/valuations")})
}

// exports publishes what other stacks use, under stage-qualified names.
func (s *ValuationServiceStack) exports() {
	export := func(name, desc string, v *string) *string {
		return s.ExportValue(v, &awscdk.ExportValueOptions{
			Name: jsii.String(s.props.Settings.Name(name)), Description: jsii.String(desc),
		})
	}
	s.importedURL = export(ExportValuationServiceURL, "The mock valuation service's POST endpoint", s.localURL())
	s.importedAPIID = export(ExportValuationServiceAPI, "The mock valuation service's HTTP API", s.API.ApiId())
	s.importedWebhookAPIKeyARN = export(ExportMockWebhookAPIKey, "The secret holding the mock's webhook API key", s.WebhookAPIKey.SecretArn())
}

// URL is the endpoint the loan processor's request consumer POSTs to, for
// another stack: an import of this stack's export.
func (s *ValuationServiceStack) URL() *string { return s.importedURL }

// WebhookAPIKeyARN is the ARN of WebhookAPIKey, for another stack: an import
// of this stack's export.
func (s *ValuationServiceStack) WebhookAPIKeyARN() *string { return s.importedWebhookAPIKeyARN }

// RequestRouteARN is the execute-api ARN of POST /valuations on the mock's
// stage: what a caller must be allowed to invoke.
func (s *ValuationServiceStack) RequestRouteARN() *string {
	return s.API.ArnForExecuteApi(jsii.String("POST"), jsii.String("/valuations"), jsii.String(mockStage))
}

// GrantRequest lets grantee, in another stack, call POST /valuations
// (SigV4-signed requests): the route's ARN is built there from the imported
// API id.
func (s *ValuationServiceStack) GrantRequest(grantee awsiam.IRole) awsiam.Grant {
	arn := awscdk.Stack_Of(grantee).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("execute-api"),
		Resource:     s.importedAPIID,
		ResourceName: jsii.String(mockStage + "/POST/valuations"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	return awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee:      grantee,
		Actions:      jsii.Strings("execute-api:Invoke"),
		ResourceArns: &[]*string{arn},
	})
}

// allowedCallbackParameterARN is the ARN of the stage's allowed callback
// parameter in this stack's account and region, built from the name: the
// parameter belongs to the LoanProcessor stack, deployed after this one.
func (s *ValuationServiceStack) allowedCallbackParameterARN() *string {
	return s.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ssm"),
		Resource:     jsii.String("parameter"),
		ResourceName: jsii.String(strings.TrimPrefix(s.props.Settings.AllowedCallbackParameterName(), "/")),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}

func (s *ValuationServiceStack) webhookAPIKey() {
	s.WebhookAPIKey = awssecretsmanager.NewSecret(s.Stack, jsii.String("WebhookApiKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("The API key the mock valuation service presents to the loan processor's webhook (x-api-key)."),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(40),
			ExcludePunctuation: jsii.Bool(true),
		},
	})
	suppress(s.WebhookAPIKey, "AwsSolutions-SMG4",
		"The value is the mock's webhook API key, and API Gateway keeps its own copy of it, resolved when the LoanProcessor stack is deployed: a rotation Lambda would change the secret but not the key and break the mock's callbacks. The key only admits a caller to the webhook; every callback must still carry a valid HMAC signature.")
}

func (s *ValuationServiceStack) callbackSender() {
	cfg := s.props.Settings.Config
	// The sender needs the keys and the log level; the state machine ARN is not known yet.
	spec := functionspec.MockCallbackSender(cfg, functionspec.MockResources{
		Signing:       functionspec.Secret{ARN: s.props.Settings.SigningSecretName()},
		WebhookAPIKey: functionspec.Secret{ARN: *s.WebhookAPIKey.SecretArn()},
	})
	s.CallbackSender = NewGoFunction(s.Stack, "CallbackSender", specProps(s.props.ModuleRoot, spec, s.props.Settings.LogRetentionDays()))
	// By name: the secret belongs to the LoanProcessor stack, which depends
	// on this one. GetSecretValue on the secret covers every version stage.
	secret := awssecretsmanager.Secret_FromSecretNameV2(s.Stack, jsii.String("SigningSecret"), jsii.String(s.props.Settings.SigningSecretName()))
	secret.GrantRead(s.CallbackSender.Role, nil)
	s.WebhookAPIKey.GrantRead(s.CallbackSender.Role, nil)
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
		LogRetentionDays: s.props.Settings.LogRetentionDays(),
		Purpose:          "Mock valuation service",
	})
}

func (s *ValuationServiceStack) requestHandler() {
	cfg := s.props.Settings.Config
	// A late valuation arrives after the processor has stopped waiting (functionspec.LateDelay).
	spec := functionspec.MockAPI(cfg, functionspec.MockResources{
		StateMachineARN:          *s.Workflow.StateMachine.StateMachineArn(),
		Signing:                  functionspec.Secret{ARN: s.props.Settings.SigningSecretName()},
		AllowedCallbackParameter: s.props.Settings.AllowedCallbackParameterName(),
	})
	s.RequestHandler = NewGoFunction(s.Stack, "RequestHandler", specProps(s.props.ModuleRoot, spec, s.props.Settings.LogRetentionDays()))
	s.RequestHandler.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: &[]*string{s.Workflow.StateMachine.StateMachineArn()},
	}))
	s.RequestHandler.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: &[]*string{s.allowedCallbackParameterARN()},
	}))
}

// MockAccessLogFormat is the mock HTTP API's access log line: HTTP API
// context variables only ($context.resourcePath and friends are REST API
// variables, which an HTTP API leaves empty). The caller's IAM identity is
// logged: only the request consumer's role may call.
var MockAccessLogFormat = mustJSON(map[string]string{
	"requestId":          "$context.requestId",
	"ip":                 "$context.identity.sourceIp",
	"caller":             "$context.identity.caller",
	"userArn":            "$context.identity.userArn",
	"requestTime":        "$context.requestTime",
	"httpMethod":         "$context.httpMethod",
	"routeKey":           "$context.routeKey",
	"path":               "$context.path",
	"status":             "$context.status",
	"protocol":           "$context.protocol",
	"responseLength":     "$context.responseLength",
	"responseLatency":    "$context.responseLatency",
	"integrationStatus":  "$context.integrationStatus",
	"integrationLatency": "$context.integrationLatency",
	"error":              "$context.error.message",
	"authorizerError":    "$context.authorizer.error",
})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err.Error())
	}
	return string(b)
}

func (s *ValuationServiceStack) api() {
	s.AccessLogs = awslogs.NewLogGroup(s.Stack, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention: retentionDays[s.props.Settings.LogRetentionDays()],
	})
	s.API = awsapigatewayv2.NewHttpApi(s.Stack, jsii.String("API"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(s.props.Settings.Name("loanflow-mock-valuation-service")),
		Description:        jsii.String("Mock valuation service: POST /valuations."),
		CreateDefaultStage: jsii.Bool(false),
	})
	stage := s.API.AddStage(jsii.String("DefaultStage"), &awsapigatewayv2.HttpStageOptions{
		StageName:  jsii.String(mockStage),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(20), BurstLimit: jsii.Number(40)},
	})
	stage.Node().DefaultChild().(awsapigatewayv2.CfnStage).SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: s.AccessLogs.LogGroupArn(),
		Format:         jsii.String(MockAccessLogFormat),
	})
	// Only SigV4-signed requests from principals allowed execute-api:Invoke
	// (GrantRequest) reach the function.
	routes := s.API.AddRoutes(&awsapigatewayv2.AddRoutesOptions{
		Path:        jsii.String("/valuations"),
		Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod_POST},
		Integration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("RequestHandler"), s.RequestHandler.Function, nil),
		Authorizer:  awsapigatewayv2authorizers.NewHttpIamAuthorizer(),
	})
	s.Route = (*routes)[0]
}

// lateDelay is how long a mock:late valuation takes: past the processor's
// callback timeout by a margin that outlasts clock skew and retries.
func lateDelay(callbackTimeout time.Duration) time.Duration {
	return functionspec.LateDelay(callbackTimeout)
}
