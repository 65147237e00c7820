package cloud

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/contracts"
)

// WebhookAPIProps configures a WebhookAPI.
type WebhookAPIProps struct {
	// Bus receives one event per accepted callback.
	Bus awsevents.IEventBus
	// BusName is the bus's name as written into each PutEvents entry.
	BusName string
	// Stage is the API stage name, the first segment of the URL path.
	Stage string
	// RequestModel is the body's JSON Schema in draft 4 (see Draft4).
	RequestModel []byte
	// RateLimit (requests per second) and BurstLimit throttle the stage.
	RateLimit, BurstLimit float64
	// LogRetentionDays is the access log group's retention.
	LogRetentionDays int
}

// WebhookAPI is the REST API the valuation service calls back:
// POST /{stage}/valuations/{callbackId}. API Gateway validates the body
// against the contract's schema and publishes it, with the callback id and the
// signature headers, straight to EventBridge with an AWS service integration:
// no Lambda on the hop where a slow answer would lose a callback.
type WebhookAPI struct {
	constructs.Construct
	API        awsapigateway.RestApi
	Model      awsapigateway.CfnModel
	AccessLogs awslogs.LogGroup
	// Role is the integration's credentials: events:PutEvents on the bus, nothing else.
	Role awsiam.Role
}

// Status codes and bodies of the webhook.
const (
	// WebhookAccepted answers a callback published to the bus.
	WebhookAccepted = `{"accepted":true}`
	// WebhookFailed answers a callback that could not be published: the
	// caller should retry.
	WebhookFailed = `{"accepted":false,"message":"the callback could not be published; retry later"}`
	// WebhookInvalidBody answers a body the request model rejects; API
	// Gateway fills in the validator's message.
	WebhookInvalidBody = `{"accepted":false,"message":"invalid request body","problems":"$context.error.validationErrorString"}`
	// WebhookInvalidParameters answers a request without a callback id.
	WebhookInvalidParameters = `{"accepted":false,"message":"invalid request parameters","problems":"$context.error.validationErrorString"}`
)

// PutEventsRequestTemplate is the webhook's mapping template: a PutEvents
// request with one entry, whose Detail is the JSON text of
//
//	{"version":"1","callbackId":<path>,"signature":{"timestamp":<X-Valuation-Timestamp or "">,
//	 "value":<X-Valuation-Signature or "">},"body":<raw body as a JSON string>,
//	 "receivedAt":<$context.requestTime>,"response":<parsed body>}
//
// Header names match case-insensitively. Every string is escaped with
// $util.escapeJavaScript, whose \' (not JSON) is turned back into ': the
// body decodes to the raw bytes the signature covers. Strings inside Detail
// are escaped twice, once for Detail and once for the request.
func PutEventsRequestTemplate(busName string) string {
	esc := func(v string) string { return `$util.escapeJavaScript(` + v + `).replaceAll("\\'","'")` }
	lines := []string{
		`#set($context.requestOverride.header.X-Amz-Target = "AWSEvents.PutEvents")`,
		`#set($context.requestOverride.header.Content-Type = "application/x-amz-json-1.1")`,
		`#set($timestamp = "")`,
		`#set($signature = "")`,
		`#foreach($name in $input.params().header.keySet())`,
		`#if($name.equalsIgnoreCase("` + contracts.HeaderSignatureTimestamp + `"))#set($timestamp = $input.params().header.get($name))#end`,
		`#if($name.equalsIgnoreCase("` + contracts.HeaderSignature + `"))#set($signature = $input.params().header.get($name))#end`,
		`#end`,
		`#if($input.path('$.status') == "` + contracts.StatusFailed + `")#set($detailType = "` + contracts.DetailTypeFailed + `")#else#set($detailType = "` + contracts.DetailTypeCompleted + `")#end`,
		`#set($callbackId = ` + esc(`$input.params().path.get('callbackId')`) + `)`,
		`#set($timestamp = ` + esc(`$timestamp`) + `)`,
		`#set($signature = ` + esc(`$signature`) + `)`,
		`#set($body = ` + esc(`$input.body`) + `)`,
		`#set($receivedAt = ` + esc(`$context.requestTime`) + `)`,
		`{"Entries":[{"Source":"` + contracts.EventSource + `","DetailType":"$detailType","EventBusName":"` + busName + `",` +
			`"Detail":"{\"version\":\"1\",\"callbackId\":\"` + esc(`$callbackId`) + `\",` +
			`\"signature\":{\"timestamp\":\"` + esc(`$timestamp`) + `\",\"value\":\"` + esc(`$signature`) + `\"},` +
			`\"body\":\"` + esc(`$body`) + `\",\"receivedAt\":\"` + esc(`$receivedAt`) + `\",` +
			`\"response\":` + esc(`$input.json('$')`) + `}"}]}`,
	}
	return strings.Join(lines, "\n")
}

// PutEventsResponseTemplate turns PutEvents' answer into the webhook's: 202
// when the entry was published, 500 when EventBridge refused it
// (FailedEntryCount > 0 comes with HTTP 200).
const PutEventsResponseTemplate = `#set($failed = $input.path('$.FailedEntryCount'))` +
	`#if($failed > 0)#set($context.responseOverride.status = 500)` + WebhookFailed + `#else` + WebhookAccepted + `#end`

// NewWebhookAPI builds the API, its model, validator, integration and logs.
func NewWebhookAPI(scope constructs.Construct, id string, props *WebhookAPIProps) *WebhookAPI {
	if props == nil || props.Bus == nil || props.BusName == "" || props.Stage == "" || len(props.RequestModel) == 0 {
		panic(fmt.Sprintf("WebhookAPI %s: Bus, BusName, Stage and RequestModel are required", id))
	}
	var model map[string]any
	if err := json.Unmarshal(props.RequestModel, &model); err != nil {
		panic(fmt.Sprintf("WebhookAPI %s: RequestModel: %v", id, err))
	}
	retention, ok := retentionDays[props.LogRetentionDays]
	if !ok {
		panic(fmt.Sprintf("WebhookAPI %s: LogRetentionDays %d is not a CloudWatch Logs retention", id, props.LogRetentionDays))
	}
	if props.RateLimit <= 0 || props.BurstLimit < 1 {
		panic(fmt.Sprintf("WebhookAPI %s: RateLimit and BurstLimit must be positive", id))
	}

	c := constructs.NewConstruct(scope, &id)
	w := &WebhookAPI{Construct: c}
	w.AccessLogs = awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	w.API = awsapigateway.NewRestApi(c, jsii.String("API"), &awsapigateway.RestApiProps{
		Description:   jsii.String("Valuation callbacks: POST /valuations/{callbackId}, validated and published to EventBridge."),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// API Gateway needs an account-level role to write execution logs.
		CloudWatchRole:              jsii.Bool(true),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(props.Stage),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(w.AccessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_JsonWithStandardFields(nil),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			// Data traces would log bodies and signatures.
			DataTraceEnabled:     jsii.Bool(false),
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  jsii.Number(props.RateLimit),
			ThrottlingBurstLimit: jsii.Number(props.BurstLimit),
		},
	})

	w.Model = awsapigateway.NewCfnModel(c, jsii.String("ValuationResponseModel"), &awsapigateway.CfnModelProps{
		RestApiId:   w.API.RestApiId(),
		ContentType: jsii.String("application/json"),
		Description: jsii.String("The valuation response contract (contracts/schemas/valuation-response.schema.json) in JSON Schema draft 4."),
		Schema:      model,
	})
	// A model change must redeploy the stage.
	w.API.LatestDeployment().AddToLogicalId(string(props.RequestModel))

	w.Role = awsiam.NewRole(c, jsii.String("PutEventsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("Lets the webhook publish valuation callbacks to the event bus."),
	})
	props.Bus.GrantPutEventsTo(w.Role, nil)

	integration := awsapigateway.NewAwsIntegration(&awsapigateway.AwsIntegrationProps{
		Service:               jsii.String("events"),
		Action:                jsii.String("PutEvents"),
		IntegrationHttpMethod: jsii.String("POST"),
		Options: &awsapigateway.IntegrationOptions{
			CredentialsRole:     w.Role,
			PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
			RequestTemplates:    &map[string]*string{"application/json": jsii.String(PutEventsRequestTemplate(props.BusName))},
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{
				{
					StatusCode:        jsii.String("202"),
					ResponseTemplates: &map[string]*string{"application/json": jsii.String(PutEventsResponseTemplate)},
				},
				{
					SelectionPattern:  jsii.String(`[45]\d{2}`),
					StatusCode:        jsii.String("500"),
					ResponseTemplates: &map[string]*string{"application/json": jsii.String(WebhookFailed)},
				},
			},
		},
	})

	validator := w.API.AddRequestValidator(jsii.String("Validator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestBody:       jsii.Bool(true),
		ValidateRequestParameters: jsii.Bool(true),
	})
	method := w.API.Root().AddResource(jsii.String("valuations"), nil).
		AddResource(jsii.String("{callbackId}"), nil).
		AddMethod(jsii.String("POST"), integration, &awsapigateway.MethodOptions{
			OperationName:     jsii.String("ReceiveValuationCallback"),
			RequestValidator:  validator,
			RequestParameters: &map[string]*bool{"method.request.path.callbackId": jsii.Bool(true)},
			RequestModels: &map[string]awsapigateway.IModel{
				"application/json": awsapigateway.Model_FromModelName(c, jsii.String("ModelName"), w.Model.Ref()),
			},
			MethodResponses: &[]*awsapigateway.MethodResponse{
				{StatusCode: jsii.String("202"), ResponseModels: &map[string]awsapigateway.IModel{"application/json": awsapigateway.Model_EMPTY_MODEL()}},
				{StatusCode: jsii.String("400"), ResponseModels: &map[string]awsapigateway.IModel{"application/json": awsapigateway.Model_ERROR_MODEL()}},
				{StatusCode: jsii.String("500"), ResponseModels: &map[string]awsapigateway.IModel{"application/json": awsapigateway.Model_ERROR_MODEL()}},
			},
		})

	w.API.AddGatewayResponse(jsii.String("InvalidBody"), &awsapigateway.GatewayResponseOptions{
		Type:       awsapigateway.ResponseType_BAD_REQUEST_BODY(),
		StatusCode: jsii.String("400"),
		Templates:  &map[string]*string{"application/json": jsii.String(WebhookInvalidBody)},
	})
	w.API.AddGatewayResponse(jsii.String("InvalidParameters"), &awsapigateway.GatewayResponseOptions{
		Type:       awsapigateway.ResponseType_BAD_REQUEST_PARAMETERS(),
		StatusCode: jsii.String("400"),
		Templates:  &map[string]*string{"application/json": jsii.String(WebhookInvalidParameters)},
	})

	suppress(method, "AwsSolutions-APIG4",
		"The caller is an external valuation service, not an AWS principal or user: each callback is authenticated by its HMAC-SHA256 signature (verified by the resolver before anything resumes) and addressed by an unguessable, single-use, expiring callback id.")
	suppress(method, "AwsSolutions-COG4",
		"No user pool is involved: the valuation service authenticates with an HMAC signature over the body, see AwsSolutions-APIG4.")
	suppress(w.API.DeploymentStage(), "AwsSolutions-APIG3",
		"Abuse is bounded by stage throttling and the request model; forged callbacks resume nothing (signature and single-use id). Associate the organisation's WAF web ACL at deployment if policy requires one.")
	suppress(w.API.Node().FindChild(jsii.String("CloudWatchRole")), "AwsSolutions-IAM4",
		"API Gateway's account-level logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the AWS-documented policy for exactly this role.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	return w
}

// CallbackURLBase is the URL the valuation service posts to, without the
// callback id: https://{api}.execute-api.{region}.amazonaws.com/{stage}/valuations
func (w *WebhookAPI) CallbackURLBase() *string {
	return w.API.UrlForPath(jsii.String("/valuations"))
}
