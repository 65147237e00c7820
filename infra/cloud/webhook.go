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
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
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
	// Name is the REST API's name.
	Name string
	// RequestModel is the body's JSON Schema in draft 4 (see Draft4).
	RequestModel []byte
	// RateLimit (requests per second) and BurstLimit throttle the stage and,
	// through the usage plan, each valuation provider's API key.
	RateLimit, BurstLimit float64
	// IPRateLimit is how many requests one IP address may make in five
	// minutes before the web ACL blocks it.
	IPRateLimit int
	// LogRetentionDays is the access log group's retention.
	LogRetentionDays int
}

// WebhookAPI is the REST API the valuation service calls back:
// POST /{stage}/valuations/{callbackId}. API Gateway validates the body
// against the contract's schema and publishes it, with the callback id, the
// signature headers and the receipt time, straight to EventBridge with an AWS
// service integration: no Lambda on the hop where a slow answer would lose a
// callback.
//
// The door is guarded before anything is published: a WAF web ACL (a rate
// limit per IP address and AWS's managed rule groups) on the stage, and an
// API key per valuation provider, each throttled by the usage plan.
type WebhookAPI struct {
	constructs.Construct
	API        awsapigateway.RestApi
	Model      awsapigateway.CfnModel
	AccessLogs awslogs.LogGroup
	// Role is the integration's credentials: events:PutEvents on the bus, nothing else.
	Role awsiam.Role
	// Method is POST /valuations/{callbackId}.
	Method awsapigateway.Method
	// UsagePlan throttles each provider's API key; add keys with AddProviderKey.
	UsagePlan awsapigateway.UsagePlan
	// WebACL guards the stage; WebACLAssociation ties it to the stage.
	WebACL            awswafv2.CfnWebACL
	WebACLAssociation awswafv2.CfnWebACLAssociation
}

// WebhookIPRateLimit is the requests one IP address may send the webhook in
// five minutes (WAF's rate-based rule): about 3 a second, far above what one
// valuation provider sends, far below a flood.
const WebhookIPRateLimit = 1000

// WebhookBinaryMediaTypes are the content types API Gateway hands the
// mapping template as base64 of the raw bytes (see PutEventsRequestTemplate).
var WebhookBinaryMediaTypes = []string{"application/json"}

// Status codes and bodies of the webhook. Every 4xx and 5xx body is JSON.
// Gateway response templates are not Velocity templates: API Gateway only
// substitutes variables into them, without escaping, so they carry no
// free-form text ($context.error.validationErrorString may hold quotes);
// $context.requestId and $context.error.responseType are identifiers.
const (
	// WebhookAccepted answers a callback published to the bus.
	WebhookAccepted = `{"accepted":true}`
	// WebhookFailed answers a callback that could not be published: the
	// caller should retry.
	WebhookFailed = `{"accepted":false,"message":"the callback could not be published; retry later"}`
	// WebhookInvalidBody answers a body the request model rejects.
	WebhookInvalidBody = `{"accepted":false,"message":"invalid request body: it must be a valuation response (contracts/schemas/valuation-response.schema.json)","requestId":"$context.requestId"}`
	// WebhookInvalidParameters answers a request without a callback id.
	WebhookInvalidParameters = `{"accepted":false,"message":"invalid request parameters: POST /valuations/{callbackId}","requestId":"$context.requestId"}`
	// WebhookInvalidAPIKey answers a request without a valid x-api-key.
	WebhookInvalidAPIKey = `{"accepted":false,"message":"missing or invalid API key (x-api-key)","requestId":"$context.requestId"}`
	// WebhookThrottled answers a request over the provider's throttle: the
	// caller should retry with backoff.
	WebhookThrottled = `{"accepted":false,"message":"too many requests; retry with backoff","requestId":"$context.requestId"}`
	// WebhookClientError answers every other 4xx (a request blocked by the
	// web ACL, an unknown path, ...).
	WebhookClientError = `{"accepted":false,"message":"request refused","type":"$context.error.responseType","requestId":"$context.requestId"}`
	// WebhookServerError answers every other 5xx: the caller should retry.
	WebhookServerError = `{"accepted":false,"message":"the callback could not be received; retry later","type":"$context.error.responseType","requestId":"$context.requestId"}`
	// WebhookRateLimited is the web ACL's own answer (429, not WAF's
	// default 403) to an address over WebhookIPRateLimit: a provider
	// pushing a backlog from one address retries instead of giving up.
	WebhookRateLimited = `{"accepted":false,"message":"too many requests from this address; retry with backoff"}`
)

// webhookRateLimitedBody names WebhookRateLimited in the web ACL.
const webhookRateLimitedBody = "RateLimited"

// PutEventsRequestTemplate is the webhook's mapping template: a PutEvents
// request with one entry, whose Detail is the JSON text of
//
//	{"version":"2","callbackId":<path>,"signature":{"timestamp":<X-Valuation-Timestamp or "">,
//	 "value":<X-Valuation-Signature or "">},"bodyBase64":<raw body, base64>,
//	 "receivedAt":<$context.requestTimeEpoch as a string>,"receiptId":<$context.requestId>,
//	 "response":<the body>}
//
// The body is never re-encoded: application/json is a binary media type of
// the API and the integration converts binary to text (CONVERT_TO_TEXT), so
// $input.body is the base64 of the bytes as received ("Content type
// conversions in API Gateway"), and goes into bodyBase64 as it is. Only the
// routing fields are derived from it: the detail-type from the decoded body's
// status, and "response", the decoded body as JSON text (invalid UTF-8
// there becomes U+FFFD; the resolver acts on bodyBase64, which the
// signature covers). receivedAt (Unix milliseconds) and receiptId are API
// Gateway's own: the trusted receipt time and the identity of the request.
//
// Header names match case-insensitively. Every string is escaped with
// $util.escapeJavaScript, whose \' (not JSON) is turned back into '; strings
// inside Detail are escaped twice, once for Detail and once for the request.
// bodyBase64 is escaped too, which changes nothing in a base64 string but
// keeps the request well formed should a body ever arrive unconverted.
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
		`#set($decoded = $util.base64Decode($input.body))`,
		`#if($util.parseJson($decoded).status == "` + contracts.StatusFailed + `")#set($detailType = "` + contracts.DetailTypeFailed + `")#else#set($detailType = "` + contracts.DetailTypeCompleted + `")#end`,
		`#set($callbackId = ` + esc(`$input.params().path.get('callbackId')`) + `)`,
		`#set($timestamp = ` + esc(`$timestamp`) + `)`,
		`#set($signature = ` + esc(`$signature`) + `)`,
		`#set($bodyBase64 = ` + esc(`$input.body`) + `)`,
		`{"Entries":[{"Source":"` + contracts.EventSource + `","DetailType":"$detailType","EventBusName":"` + busName + `",` +
			`"Detail":"{\"version\":\"` + contracts.CallbackDetailVersion + `\",\"callbackId\":\"` + esc(`$callbackId`) + `\",` +
			`\"signature\":{\"timestamp\":\"` + esc(`$timestamp`) + `\",\"value\":\"` + esc(`$signature`) + `\"},` +
			`\"bodyBase64\":\"` + esc(`$bodyBase64`) + `\",\"receivedAt\":\"$context.requestTimeEpoch\",` +
			`\"receiptId\":\"$context.requestId\",` +
			`\"response\":` + esc(`$decoded`) + `}"}]}`,
	}
	return strings.Join(lines, "\n")
}

// PutEventsResponseTemplate turns PutEvents' answer into the webhook's: 202
// when the entry was published, 500 when EventBridge refused it
// (FailedEntryCount > 0 comes with HTTP 200).
const PutEventsResponseTemplate = `#set($failed = $input.path('$.FailedEntryCount'))` +
	`#if($failed > 0)#set($context.responseOverride.status = 500)` + WebhookFailed + `#else` + WebhookAccepted + `#end`

// webhookGatewayResponses are the webhook's own gateway responses: the
// response type, the status (empty keeps the type's own, 403 or 429 ...) and
// the body.
var webhookGatewayResponses = []struct {
	id     string
	typ    awsapigateway.ResponseType
	status string
	body   string
}{
	{"InvalidBody", awsapigateway.ResponseType_BAD_REQUEST_BODY(), "400", WebhookInvalidBody},
	{"InvalidParameters", awsapigateway.ResponseType_BAD_REQUEST_PARAMETERS(), "400", WebhookInvalidParameters},
	{"InvalidAPIKey", awsapigateway.ResponseType_INVALID_API_KEY(), "403", WebhookInvalidAPIKey},
	{"Throttled", awsapigateway.ResponseType_THROTTLED(), "429", WebhookThrottled},
	{"Default4XX", awsapigateway.ResponseType_DEFAULT_4XX(), "", WebhookClientError},
	{"Default5XX", awsapigateway.ResponseType_DEFAULT_5XX(), "", WebhookServerError},
}

// NewWebhookAPI builds the API, its model, validator, integration and logs.
func NewWebhookAPI(scope constructs.Construct, id string, props *WebhookAPIProps) *WebhookAPI {
	if props == nil || props.Bus == nil || props.BusName == "" || props.Stage == "" || props.Name == "" || len(props.RequestModel) == 0 {
		panic(fmt.Sprintf("WebhookAPI %s: Bus, BusName, Stage, Name and RequestModel are required", id))
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
	if props.IPRateLimit < 10 || props.IPRateLimit > 2_000_000_000 {
		panic(fmt.Sprintf("WebhookAPI %s: IPRateLimit %d must be between 10 and 2,000,000,000 (WAF's bounds)", id, props.IPRateLimit))
	}

	c := constructs.NewConstruct(scope, &id)
	w := &WebhookAPI{Construct: c}
	// The stack decides what happens to it on deletion (Settings.RemovalPolicy).
	w.AccessLogs = awslogs.NewLogGroup(c, jsii.String("AccessLogs"), &awslogs.LogGroupProps{Retention: retention})
	w.API = awsapigateway.NewRestApi(c, jsii.String("API"), &awsapigateway.RestApiProps{
		RestApiName:   jsii.String(props.Name),
		Description:   jsii.String("Valuation callbacks: POST /valuations/{callbackId}, validated and published to EventBridge."),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// The body reaches the mapping template as base64 of its bytes.
		BinaryMediaTypes: jsii.Strings(WebhookBinaryMediaTypes...),
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
			// A binary body (WebhookBinaryMediaTypes) becomes its base64 text.
			ContentHandling:  awsapigateway.ContentHandling_CONVERT_TO_TEXT,
			RequestTemplates: &map[string]*string{"application/json": jsii.String(PutEventsRequestTemplate(props.BusName))},
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
	// Whether API Gateway applies the request model's body validation to a
	// payload it treats as binary is not documented. The model stays: where
	// it applies it refuses malformed callbacks at the door; where it does
	// not, the resolver still validates the signed body against the same
	// contract before anything resumes.
	w.Method = w.API.Root().AddResource(jsii.String("valuations"), nil).
		AddResource(jsii.String("{callbackId}"), nil).
		AddMethod(jsii.String("POST"), integration, &awsapigateway.MethodOptions{
			OperationName:     jsii.String("ReceiveValuationCallback"),
			ApiKeyRequired:    jsii.Bool(true),
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

	for _, r := range webhookGatewayResponses {
		o := &awsapigateway.GatewayResponseOptions{
			Type:      r.typ,
			Templates: &map[string]*string{"application/json": jsii.String(r.body)},
		}
		if r.status != "" {
			o.StatusCode = jsii.String(r.status)
		}
		w.API.AddGatewayResponse(jsii.String(r.id), o)
	}

	// Each valuation provider has its own key; the plan throttles each key
	// separately, so one provider (or a leaked key) cannot starve another.
	w.UsagePlan = w.API.AddUsagePlan(jsii.String("UsagePlan"), &awsapigateway.UsagePlanProps{
		Description: jsii.String("Valuation providers: one API key each, throttled per key, no quota."),
		Throttle: &awsapigateway.ThrottleSettings{
			RateLimit:  jsii.Number(props.RateLimit),
			BurstLimit: jsii.Number(props.BurstLimit),
		},
		ApiStages: &[]*awsapigateway.UsagePlanPerApiStage{{Api: w.API, Stage: w.API.DeploymentStage()}},
	})
	w.webACL(props.IPRateLimit)

	suppress(w.Method, "AwsSolutions-APIG4",
		"The caller is an external valuation service, not an AWS principal or user: it presents its own API key (usage plan, per-key throttle) and each callback is authenticated by its HMAC-SHA256 signature over the callback id and the raw body, verified by the resolver before anything resumes.")
	suppress(w.Method, "AwsSolutions-COG4",
		"No user pool is involved: the valuation service presents an API key and signs every callback with HMAC-SHA256, see AwsSolutions-APIG4.")
	suppress(w.API.Node().FindChild(jsii.String("CloudWatchRole")), "AwsSolutions-IAM4",
		"API Gateway's account-level logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the AWS-documented policy for exactly this role.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	return w
}

// AddProviderKey admits one valuation provider's API key to the webhook,
// throttled by the usage plan.
func (w *WebhookAPI) AddProviderKey(key awsapigateway.IApiKey) {
	w.UsagePlan.AddApiKey(key, nil)
}

// webACL guards the stage with a rate limit per IP address (answered 429, so
// that callers retry) and AWS's managed rule groups for common exploits and
// known bad inputs (answered 403: WAF_FILTERED, a WebhookClientError body).
func (w *WebhookAPI) webACL(ipRateLimit int) {
	visibility := func(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(metric),
			SampledRequestsEnabled:   jsii.Bool(true),
		}
	}
	managed := func(priority float64, name string) *awswafv2.CfnWebACL_RuleProperty {
		return &awswafv2.CfnWebACL_RuleProperty{
			Name:           jsii.String(name),
			Priority:       jsii.Number(priority),
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
					VendorName: jsii.String("AWS"), Name: jsii.String(name),
				},
			},
			VisibilityConfig: visibility(name),
		}
	}
	w.WebACL = awswafv2.NewCfnWebACL(w.Construct, jsii.String("WebACL"), &awswafv2.CfnWebACLProps{
		Scope:         jsii.String("REGIONAL"),
		Description:   jsii.String("Valuation webhook: rate limit per IP address, AWS managed common and known-bad-input rules."),
		DefaultAction: &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		Rules: &[]any{
			&awswafv2.CfnWebACL_RuleProperty{
				Name:     jsii.String("RateLimitPerIP"),
				Priority: jsii.Number(0),
				Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{
					CustomResponse: &awswafv2.CfnWebACL_CustomResponseProperty{
						ResponseCode:          jsii.Number(429),
						CustomResponseBodyKey: jsii.String(webhookRateLimitedBody),
						ResponseHeaders: &[]any{&awswafv2.CfnWebACL_CustomHTTPHeaderProperty{
							Name: jsii.String("Retry-After"), Value: jsii.String("60"),
						}},
					},
				}},
				Statement: &awswafv2.CfnWebACL_StatementProperty{
					RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
						Limit:               jsii.Number(float64(ipRateLimit)),
						AggregateKeyType:    jsii.String("IP"),
						EvaluationWindowSec: jsii.Number(300),
					},
				},
				VisibilityConfig: visibility("RateLimitPerIP"),
			},
			managed(1, "AWSManagedRulesCommonRuleSet"),
			managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
		},
		CustomResponseBodies: &map[string]any{
			webhookRateLimitedBody: &awswafv2.CfnWebACL_CustomResponseBodyProperty{
				ContentType: jsii.String("APPLICATION_JSON"), Content: jsii.String(WebhookRateLimited),
			},
		},
		VisibilityConfig: visibility("ValuationWebhook"),
	})
	// The stage's ARN refers to the stage resource, so the association is
	// made once the stage exists.
	w.WebACLAssociation = awswafv2.NewCfnWebACLAssociation(w.Construct, jsii.String("WebACLAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: w.API.DeploymentStage().StageArn(),
		WebAclArn:   w.WebACL.AttrArn(),
	})
}

// CallbackURLBase is the URL the valuation service posts to, without the
// callback id: https://{api}.execute-api.{region}.amazonaws.com/{stage}/valuations
func (w *WebhookAPI) CallbackURLBase() *string {
	return w.API.UrlForPath(jsii.String("/valuations"))
}

// CallbackURLPrefix is CallbackURLBase with its trailing slash: every
// callback URL of this webhook starts with it, and no other URL does.
func (w *WebhookAPI) CallbackURLPrefix() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{w.CallbackURLBase(), jsii.String("/")})
}
