package cloud

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/statemachines"
)

func has(tpl assertions.Template, typ string, props map[string]any) func() {
	return func() { tpl.HasResourceProperties(jsii.String(typ), props) }
}

func count(tpl assertions.Template, typ string, n int) func() {
	return func() { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) }
}

func objectLike(v map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&v) }

func TestLoanProcessorResourceCounts(t *testing.T) {
	d := defaults(t)
	rules, err := events.Rules()
	if err != nil {
		t.Fatal(err)
	}
	resolverRules := 0
	for _, r := range rules {
		if r.Target == events.TargetResolver {
			resolverRules++
		}
	}
	for typ, n := range map[string]int{
		"AWS::StepFunctions::StateMachine":      1,
		"AWS::SQS::Queue":                       3, // requests, their DLQ, the callback DLQ
		"AWS::SQS::QueuePolicy":                 3,
		"AWS::Lambda::Function":                 2,
		"AWS::Lambda::EventSourceMapping":       1,
		"AWS::Lambda::EventInvokeConfig":        1,
		"AWS::Logs::LogGroup":                   4, // two functions, the state machine, API access logs
		"AWS::DynamoDB::Table":                  1,
		"AWS::ApiGateway::RestApi":              1,
		"AWS::ApiGateway::Method":               1,
		"AWS::ApiGateway::Model":                1,
		"AWS::ApiGateway::RequestValidator":     1,
		"AWS::ApiGateway::GatewayResponse":      len(webhookGatewayResponses),
		"AWS::ApiGateway::UsagePlan":            1,
		"AWS::ApiGateway::ApiKey":               1, // the mock's
		"AWS::ApiGateway::UsagePlanKey":         1,
		"AWS::WAFv2::WebACL":                    1,
		"AWS::WAFv2::WebACLAssociation":         1,
		"AWS::SSM::Parameter":                   1, // the mock's allowed callback prefix
		"AWS::ApiGateway::Stage":                1,
		"AWS::Events::EventBus":                 1,
		"AWS::Events::Archive":                  1,
		"AWS::Events::Rule":                     len(rules),
		"AWS::SecretsManager::Secret":           1,
		"AWS::CloudWatch::Dashboard":            1,
		"AWS::CloudWatch::Alarm":                5 + len(d.stacks.LoanProcessor.ProcessorAlarms.All()), // the queues' five, ProcessorAlarms
		"AWS::Logs::MetricFilter":               1,                                                     // timed-out valuations
		"AWS::SNS::TopicPolicy":                 2,                                                     // the alarm and notification topics
		"AWS::Lambda::Permission":               resolverRules,                                         // loan-referred feeds a topic, the decided- rules only count
		"AWS::SecretsManager::RotationSchedule": 0,
		"AWS::SNS::Topic":                       2,
		"AWS::SNS::Subscription":                0, // no alarmEmail in cdk.json
		"AWS::KMS::Key":                         2,
	} {
		check(t, typ, count(d.lp, typ, n))
	}
}

func TestLoanProcessorStateMachine(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	src, err := statemachines.LoanProcessor.Source()
	if err != nil {
		t.Fatal(err)
	}
	sm := props(t, d.lp, "AWS::StepFunctions::StateMachine", logicalID(lp.Workflow.StateMachine))
	if sm["DefinitionString"] != src {
		t.Errorf("DefinitionString differs from %s", statemachines.LoanProcessor.File())
	}
	want := map[string]any{}
	for k, v := range d.settings.Config.LoanProcessorSubstitutions("QUEUE", d.settings.EventBusName()) {
		want[k] = v
	}
	want["ValuationRequestQueueUrl"] = ref(lp.Requests.Queue)
	equalJSON(t, "DefinitionSubstitutions", sm["DefinitionSubstitutions"], want)
	if got := sm["DefinitionSubstitutions"].(map[string]any)["CallbackTimeoutSeconds"]; got != "86400" {
		t.Errorf("CallbackTimeoutSeconds = %v, want 86400 (24h)", got)
	}
	check(t, "type, tracing, logging", has(d.lp, "AWS::StepFunctions::StateMachine", map[string]any{
		"StateMachineType":     "STANDARD",
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": map[string]any{
			"Level": "ERROR", "IncludeExecutionData": false,
			"Destinations": []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{"LogGroupArn": getAtt(lp.Workflow.LogGroup, "Arn")}}},
		},
	}))
	check(t, "state machine log retention", has(d.lp, "AWS::Logs::LogGroup", map[string]any{"RetentionInDays": 30}))

	// The role may send to the queue and publish decisions to the bus; its
	// only other statements are the resource-less log delivery and X-Ray
	// actions.
	sts := statements(t, d.lp, lp.Workflow.StateMachine.Role())
	byResource := actionsOn(t, sts)
	queueARN := toJSON(t, getAtt(lp.Requests.Queue, "Arn"))
	if got := byResource[queueARN]; len(got) != 1 || got[0] != "sqs:SendMessage" {
		t.Errorf("state machine role on the queue: %v, want [sqs:SendMessage]", got)
	}
	busARN := toJSON(t, getAtt(lp.Bus, "Arn"))
	if got := byResource[busARN]; len(got) != 1 || got[0] != "events:PutEvents" {
		t.Errorf("state machine role on the bus: %v, want [events:PutEvents]", got)
	}
	for res, actions := range byResource {
		if res == queueARN || res == busARN {
			continue
		}
		if res != `"*"` {
			t.Errorf("state machine role may %v on %s", actions, res)
		}
		for _, a := range actions {
			if !strings.HasPrefix(a, "logs:") && !strings.HasPrefix(a, "xray:") {
				t.Errorf("state machine role may %s on *", a)
			}
		}
	}
}

func TestLoanProcessorQueue(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	q := d.settings.Config.Queue
	check(t, "queue", has(d.lp, "AWS::SQS::Queue", map[string]any{
		"VisibilityTimeout":      int(q.VisibilityTimeout().Seconds()),
		"MessageRetentionPeriod": int(RequestRetention(d.settings.Config).Seconds()),
		"SqsManagedSseEnabled":   true,
		"RedrivePolicy": map[string]any{
			"deadLetterTargetArn": getAtt(lp.Requests.DeadLetter.Queue, "Arn"),
			"maxReceiveCount":     q.MaxReceiveCount,
		},
	}))
	if q.VisibilityTimeout() != 6*q.ConsumerTimeout {
		t.Errorf("visibility timeout %s is not six times the consumer's %s", q.VisibilityTimeout(), q.ConsumerTimeout)
	}
	for _, dlq := range []*DeadLetterQueue{lp.Requests.DeadLetter, lp.CallbackDLQ} {
		id := logicalID(dlq.Queue)
		p := props(t, d.lp, "AWS::SQS::Queue", id)
		if p["SqsManagedSseEnabled"] != true || p["MessageRetentionPeriod"] != DeadLetterRetention.Seconds() {
			t.Errorf("DLQ %s: %v", id, p)
		}
	}
	// Every queue refuses plain HTTP.
	for id, p := range resources(t, d.lp, "AWS::SQS::QueuePolicy") {
		if !strings.Contains(toJSON(t, p), `"aws:SecureTransport":"false"`) {
			t.Errorf("queue policy %s does not deny insecure transport", id)
		}
	}
	check(t, "age alarm", has(d.lp, "AWS::CloudWatch::Alarm", map[string]any{
		"MetricName": "ApproximateAgeOfOldestMessage", "Namespace": "AWS/SQS",
		"Threshold": q.AgeAlarm.Seconds(), "ComparisonOperator": "GreaterThanThreshold",
		"Dimensions": []any{map[string]any{"Name": "QueueName", "Value": getAtt(lp.Requests.Queue, "QueueName")}},
	}))
	for _, dlq := range []*DeadLetterQueue{lp.Requests.DeadLetter, lp.CallbackDLQ} {
		check(t, "DLQ depth alarm", has(d.lp, "AWS::CloudWatch::Alarm", map[string]any{
			"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS",
			"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "EvaluationPeriods": 1,
			"Dimensions": []any{map[string]any{"Name": "QueueName", "Value": getAtt(dlq.Queue, "QueueName")}},
		}))
	}
	check(t, "failed executions alarm", has(d.lp, "AWS::CloudWatch::Alarm", map[string]any{
		"MetricName": "ExecutionsFailed", "Namespace": "AWS/States", "Threshold": 1,
		"Dimensions": []any{map[string]any{"Name": "StateMachineArn", "Value": ref(lp.Workflow.StateMachine)}},
	}))
}

func TestLoanProcessorRequestConsumer(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	cfg := d.settings.Config
	q := cfg.Queue
	esm := map[string]any{
		"EventSourceArn":                 getAtt(lp.Requests.Queue, "Arn"),
		"FunctionName":                   ref(lp.RequestConsumer.Function),
		"BatchSize":                      q.BatchSize,
		"ScalingConfig":                  map[string]any{"MaximumConcurrency": q.MaxConcurrency},
		"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
		"MaximumBatchingWindowInSeconds": int(q.MaxBatchingWindow.Seconds()),
	}
	check(t, "event source mapping", has(d.lp, "AWS::Lambda::EventSourceMapping", esm))

	fn := props(t, d.lp, "AWS::Lambda::Function", logicalID(lp.RequestConsumer.Function))
	equalJSON(t, "consumer timeout", fn["Timeout"], cfg.Queue.ConsumerTimeout.Seconds())
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		valuationrequest.EnvTableName:          ref(lp.TokenTable),
		valuationrequest.EnvCallbackTimeout:    cfg.CallbackTimeout.String(),
		valuationrequest.EnvTokenGrace:         cfg.TokenGrace.String(),
		valuationrequest.EnvMaxReceiveCount:    strconv.Itoa(q.MaxReceiveCount),
		valuationrequest.EnvRequestTimeout:     cfg.ValuationService.RequestTimeout.String(),
		valuationrequest.EnvRequestAttempts:    strconv.Itoa(cfg.ValuationService.Attempts),
		valuationrequest.EnvRequestBaseBackoff: cfg.ValuationService.BaseBackoff.String(),
		valuationrequest.EnvBatchConcurrency:   strconv.Itoa(q.BatchSize),
		valuationrequest.EnvLogLevel:           cfg.Functions.LogLevel,
		// The mock's API takes SigV4-signed requests only.
		valuationrequest.EnvValuationServiceAuth: "iam",
	}
	for k, v := range want {
		equalJSON(t, "consumer env "+k, env[k], v)
	}
	if s := toJSON(t, env[valuationrequest.EnvWebhookBaseURL]); !strings.Contains(s, logicalID(lp.Webhook.API)) {
		t.Errorf("WEBHOOK_BASE_URL %s is not the webhook API's URL", s)
	}
	// The mock stack's URL, exported there (TestMockReferencesAreStrong).
	equalJSON(t, "VALUATION_SERVICE_URL", env[valuationrequest.EnvValuationServiceURL],
		map[string]any{"Fn::ImportValue": d.settings.Name(ExportValuationServiceURL)})

	byResource := actionsOn(t, statements(t, d.lp, lp.RequestConsumer.Role))
	equalJSON(t, "consumer on the table", sorted(byResource[toJSON(t, getAtt(lp.TokenTable, "Arn"))]),
		[]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"})
	equalJSON(t, "consumer on the state machine", byResource[toJSON(t, ref(lp.Workflow.StateMachine))], []string{"states:SendTaskFailure"})
	if got := byResource[toJSON(t, getAtt(lp.Requests.Queue, "Arn"))]; !contains(got, "sqs:ReceiveMessage") || !contains(got, "sqs:DeleteMessage") || contains(got, "sqs:SendMessage") {
		t.Errorf("consumer on the queue: %v", got)
	}
}

func TestLoanProcessorFunctionDefaults(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	cfg := d.settings.Config
	for _, f := range []*GoFunction{lp.RequestConsumer, lp.Resolver} {
		check(t, "function defaults", has(d.lp, "AWS::Lambda::Function", map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    cfg.Functions.MemoryMB,
			"TracingConfig": map[string]any{"Mode": "Active"},
			"Role":          getAtt(f.Role, "Arn"),
			"LoggingConfig": map[string]any{
				"LogFormat": "JSON", "ApplicationLogLevel": cfg.Functions.LogLevel, "SystemLogLevel": "WARN",
				"LogGroup": ref(f.LogGroup),
			},
		}))
		lg := props(t, d.lp, "AWS::Logs::LogGroup", logicalID(f.LogGroup))
		equalJSON(t, "function log retention", lg["RetentionInDays"], cfg.Functions.LogRetentionDays)
		// The role is the function's own, with no managed policies.
		role := props(t, d.lp, "AWS::IAM::Role", logicalID(f.Role))
		if _, ok := role["ManagedPolicyArns"]; ok {
			t.Errorf("function role has managed policies: %v", role["ManagedPolicyArns"])
		}
		byResource := actionsOn(t, statements(t, d.lp, f.Role))
		equalJSON(t, "function on its log group", sorted(byResource[toJSON(t, getAtt(f.LogGroup, "Arn"))]),
			[]string{"logs:CreateLogStream", "logs:PutLogEvents"})
		for _, a := range byResource[`"*"`] {
			if !strings.HasPrefix(a, "xray:") {
				t.Errorf("function role may %s on *", a)
			}
		}
	}
}

func TestLoanProcessorTokenTable(t *testing.T) {
	d := defaults(t)
	check(t, "table", has(d.lp, "AWS::DynamoDB::Table", map[string]any{
		"KeySchema":                        []any{map[string]any{"AttributeName": tokenstore.AttrCallbackID, "KeyType": "HASH"}},
		"AttributeDefinitions":             []any{map[string]any{"AttributeName": tokenstore.AttrCallbackID, "AttributeType": "S"}},
		"BillingMode":                      "PAY_PER_REQUEST",
		"TimeToLiveSpecification":          map[string]any{"AttributeName": tokenstore.AttrExpiresAt, "Enabled": true},
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"SSESpecification":                 map[string]any{"SSEEnabled": true},
		"DeletionProtectionEnabled":        true,
	}))
	check(t, "prod table is retained", func() {
		d.lp.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
	})
}

func TestLoanProcessorWebhook(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	cfg := d.settings
	src, _ := contracts.SchemaValuationResponse.Source()
	conv, err := Draft4(src)
	if err != nil {
		t.Fatal(err)
	}
	var model map[string]any
	if err := json.Unmarshal(conv, &model); err != nil {
		t.Fatal(err)
	}
	m := props(t, d.lp, "AWS::ApiGateway::Model", logicalID(lp.Webhook.Model))
	equalJSON(t, "request model", m["Schema"], model)
	if m["ContentType"] != "application/json" {
		t.Errorf("model content type %v", m["ContentType"])
	}

	check(t, "resources", has(d.lp, "AWS::ApiGateway::Resource", map[string]any{"PathPart": "valuations"}))
	check(t, "resources", has(d.lp, "AWS::ApiGateway::Resource", map[string]any{"PathPart": "{callbackId}"}))
	check(t, "validator", has(d.lp, "AWS::ApiGateway::RequestValidator", map[string]any{
		"ValidateRequestBody": true, "ValidateRequestParameters": true,
	}))
	check(t, "method", has(d.lp, "AWS::ApiGateway::Method", map[string]any{
		"HttpMethod":         "POST",
		"ApiKeyRequired":     true,
		"RequestParameters":  map[string]any{"method.request.path.callbackId": true},
		"RequestModels":      map[string]any{"application/json": ref(lp.Webhook.Model)},
		"RequestValidatorId": assertions.Match_AnyValue(),
		"Integration": objectLike(map[string]any{
			"Type":                  "AWS",
			"IntegrationHttpMethod": "POST",
			"Credentials":           getAtt(lp.Webhook.Role, "Arn"),
			"PassthroughBehavior":   "NEVER",
			"ContentHandling":       "CONVERT_TO_TEXT",
			"Uri": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", map[string]any{"Ref": "AWS::Partition"}, ":apigateway:", map[string]any{"Ref": "AWS::Region"}, ":events:action/PutEvents",
			}}},
			"RequestTemplates": map[string]any{"application/json": PutEventsRequestTemplate(cfg.Config.EventBusName)},
			"IntegrationResponses": []any{
				map[string]any{"StatusCode": "202", "ResponseTemplates": map[string]any{"application/json": PutEventsResponseTemplate}},
				map[string]any{"StatusCode": "500", "SelectionPattern": `[45]\d{2}`, "ResponseTemplates": map[string]any{"application/json": WebhookFailed}},
			},
		}),
	}))
	for typ, want := range map[string]struct{ status, body string }{
		"BAD_REQUEST_BODY":       {"400", WebhookInvalidBody},
		"BAD_REQUEST_PARAMETERS": {"400", WebhookInvalidParameters},
		"INVALID_API_KEY":        {"403", WebhookInvalidAPIKey},
		"THROTTLED":              {"429", WebhookThrottled},
		"DEFAULT_4XX":            {"", WebhookClientError},
		"DEFAULT_5XX":            {"", WebhookServerError},
	} {
		p := map[string]any{"ResponseType": typ, "ResponseTemplates": map[string]any{"application/json": want.body}}
		if want.status != "" {
			p["StatusCode"] = want.status
		} else {
			// The type's own status stays (403 for a WAF block, 429 ...).
			p["StatusCode"] = assertions.Match_Absent()
		}
		check(t, "gateway response "+typ, has(d.lp, "AWS::ApiGateway::GatewayResponse", p))
	}
	check(t, "stage", has(d.lp, "AWS::ApiGateway::Stage", map[string]any{
		"StageName":      cfg.Config.Stage,
		"TracingEnabled": true,
		"AccessLogSetting": objectLike(map[string]any{
			"DestinationArn": assertions.Match_AnyValue(),
			"Format":         assertions.Match_StringLikeRegexp(jsii.String(`.*"requestId":"\$context.requestId".*`)),
		}),
		"MethodSettings": []any{map[string]any{
			"HttpMethod": "*", "ResourcePath": "/*",
			"ThrottlingRateLimit": cfg.WebhookRateLimit, "ThrottlingBurstLimit": cfg.WebhookBurstLimit,
			"LoggingLevel": "ERROR", "DataTraceEnabled": false, "MetricsEnabled": true,
		}},
	}))
	stage := props(t, d.lp, "AWS::ApiGateway::Stage", logicalID(lp.Webhook.API.DeploymentStage()))
	if s := toJSON(t, stage["AccessLogSetting"]); !strings.Contains(s, logicalID(lp.Webhook.AccessLogs)) {
		t.Errorf("access logs go to %s, not the webhook's log group", s)
	}
	check(t, "endpoint and binary body", has(d.lp, "AWS::ApiGateway::RestApi", map[string]any{
		"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
		"BinaryMediaTypes":      []any{"application/json"},
	}))

	// The integration may publish to this bus and do nothing else.
	byResource := actionsOn(t, statements(t, d.lp, lp.Webhook.Role))
	equalJSON(t, "webhook role", byResource, map[string][]string{toJSON(t, getAtt(lp.Bus, "Arn")): {"events:PutEvents"}})
}

// TestPutEventsTemplateEscaping checks the escaping scheme of the mapping
// template: a string escaped as $util.escapeJavaScript(x).replaceAll("\\'","'")
// is a JSON string whose value is x, so escaping twice and decoding twice
// gives the raw body back byte for byte.
func TestPutEventsTemplateEscaping(t *testing.T) {
	for _, raw := range []string{
		`{"valuationReference":"VAL-1","status":"COMPLETED","propertyValue":5,"currency":"GBP"}`,
		`{"reason":"O'Brien's \"house\" \\ back\\slash / tab	nl` + "\n" + ` é ✓ 😀 </script>"}`,
		`\'`, `\\'`, `'`, "",
	} {
		detail := `{"body":"` + escapeJavaScript(escapeJavaScript(raw)) + `"}`
		var outer string
		if err := json.Unmarshal([]byte(`"`+detail+`"`), &outer); err == nil {
			t.Errorf("detail must be escaped once more inside the request, got valid string %q", outer)
		}
		request := `{"Detail":"` + escapeJavaScript(`{"body":"`+escapeJavaScript(raw)+`"}`) + `"}`
		var req struct{ Detail string }
		if err := json.Unmarshal([]byte(request), &req); err != nil {
			t.Fatalf("%q: request is not JSON: %v", raw, err)
		}
		var det struct{ Body string }
		if err := json.Unmarshal([]byte(req.Detail), &det); err != nil {
			t.Fatalf("%q: detail is not JSON: %v", raw, err)
		}
		if det.Body != raw {
			t.Errorf("body %q came back as %q", raw, det.Body)
		}
	}
	tpl := PutEventsRequestTemplate("bus")
	for _, want := range []string{
		`"Source":"` + contracts.EventSource + `"`, `"EventBusName":"bus"`, contracts.DetailTypeFailed, contracts.DetailTypeCompleted,
		contracts.HeaderSignature, contracts.HeaderSignatureTimestamp, `$input.params().path.get('callbackId')`,
		`$util.base64Decode($input.body)`, `$util.parseJson($decoded).status`, `$context.requestTimeEpoch`, `$context.requestId`, `AWSEvents.PutEvents`,
		`\"version\":\"` + contracts.CallbackDetailVersion + `\"`, `\"bodyBase64\":\"`,
	} {
		if !strings.Contains(tpl, want) {
			t.Errorf("template lacks %s", want)
		}
	}
	// The body is binary: $input.json and $input.path would read base64 text.
	for _, unwanted := range []string{`$input.json(`, `$input.path(`, `\"body\":`} {
		if strings.Contains(tpl, unwanted) {
			t.Errorf("template uses %s", unwanted)
		}
	}
}

// escapeJavaScript is Apache Commons Lang's StringEscapeUtils.escapeJavaScript
// (behind API Gateway's $util.escapeJavaScript) followed by the template's
// .replaceAll("\\'","'").
func escapeJavaScript(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r > 0x7f:
			for _, u := range utf16(r) {
				b.WriteString(`\u` + strings.ToUpper(strconv.FormatInt(int64(u)|0x10000, 16)[1:]))
			}
		default:
			b.WriteRune(r)
		}
	}
	return strings.ReplaceAll(b.String(), `\'`, `'`)
}

func utf16(r rune) []rune {
	if r < 0x10000 {
		return []rune{r}
	}
	r -= 0x10000
	return []rune{0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF}
}

func TestLoanProcessorBusAndRules(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	cfg := d.settings.Config
	check(t, "bus", has(d.lp, "AWS::Events::EventBus", map[string]any{"Name": cfg.EventBusName}))
	check(t, "archive", has(d.lp, "AWS::Events::Archive", map[string]any{
		"SourceArn": getAtt(lp.Bus, "Arn"), "RetentionDays": 30,
	}))
	rules, _ := events.Rules()
	for _, r := range rules {
		var pattern map[string]any
		if err := json.Unmarshal(r.Pattern, &pattern); err != nil {
			t.Fatal(err)
		}
		if r.Target == events.TargetNone {
			check(t, "counting rule "+r.Name, has(d.lp, "AWS::Events::Rule", map[string]any{
				"EventBusName": ref(lp.Bus), "EventPattern": pattern, "State": "ENABLED", "Targets": assertions.Match_Absent(),
			}))
			continue
		}
		var target any = getAtt(lp.Resolver.Function, "Arn")
		if r.Target == events.TargetNotifications {
			target = ref(lp.Notifications.Topic)
		}
		check(t, "rule "+r.Name, has(d.lp, "AWS::Events::Rule", map[string]any{
			"EventBusName": ref(lp.Bus),
			"EventPattern": pattern,
			"State":        "ENABLED",
			"Targets": []any{objectLike(map[string]any{
				"Arn": target,
				"RetryPolicy": map[string]any{
					"MaximumRetryAttempts":     cfg.Callback.RetryAttempts,
					"MaximumEventAgeInSeconds": cfg.Callback.MaxEventAge.Seconds(),
				},
				"DeadLetterConfig": map[string]any{"Arn": getAtt(lp.CallbackDLQ.Queue, "Arn")},
			})},
		}))
	}
	check(t, "EventBridge may invoke the resolver", has(d.lp, "AWS::Lambda::Permission", map[string]any{
		"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com", "FunctionName": getAtt(lp.Resolver.Function, "Arn"),
	}))
	check(t, "EventBridge may dead-letter to the callback DLQ", has(d.lp, "AWS::SQS::QueuePolicy", map[string]any{
		"Queues": []any{ref(lp.CallbackDLQ.Queue)},
		"PolicyDocument": objectLike(map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{objectLike(map[string]any{
			"Action": "sqs:SendMessage", "Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
		})})}),
	}))
}

func TestLoanProcessorResolver(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	cfg := d.settings.Config
	fn := props(t, d.lp, "AWS::Lambda::Function", logicalID(lp.Resolver.Function))
	equalJSON(t, "resolver timeout", fn["Timeout"], cfg.Callback.Timeout.Seconds())
	equalJSON(t, "resolver DLQ", fn["DeadLetterConfig"], map[string]any{"TargetArn": getAtt(lp.CallbackDLQ.Queue, "Arn")})
	equalJSON(t, "resolver env", fn["Environment"].(map[string]any)["Variables"], map[string]any{
		valuationcallback.EnvTableName:          ref(lp.TokenTable),
		valuationcallback.EnvSigningSecretARN:   ref(lp.SigningSecret),
		valuationcallback.EnvSignatureTolerance: cfg.Signature.Tolerance.String(),
		valuationcallback.EnvSecretCacheTTL:     cfg.Signature.CacheTTL.String(),
		valuationcallback.EnvLogLevel:           cfg.Functions.LogLevel,
	})
	check(t, "async retries", has(d.lp, "AWS::Lambda::EventInvokeConfig", map[string]any{
		"FunctionName": ref(lp.Resolver.Function), "MaximumRetryAttempts": 2,
		"MaximumEventAgeInSeconds": cfg.Callback.MaxEventAge.Seconds(),
	}))

	byResource := actionsOn(t, statements(t, d.lp, lp.Resolver.Role))
	equalJSON(t, "resolver on the state machine", sorted(byResource[toJSON(t, ref(lp.Workflow.StateMachine))]),
		[]string{"states:SendTaskFailure", "states:SendTaskSuccess"})
	equalJSON(t, "resolver on the table", sorted(byResource[toJSON(t, getAtt(lp.TokenTable, "Arn"))]),
		[]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"})
	equalJSON(t, "resolver on the secret", sorted(byResource[toJSON(t, ref(lp.SigningSecret))]),
		[]string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"})
	equalJSON(t, "resolver on its DLQ", byResource[toJSON(t, getAtt(lp.CallbackDLQ.Queue, "Arn"))], []string{"sqs:SendMessage"})
	for res, actions := range byResource {
		for _, a := range actions {
			if strings.HasPrefix(a, "states:") && res != toJSON(t, ref(lp.Workflow.StateMachine)) {
				t.Errorf("resolver may %s on %s", a, res)
			}
		}
	}
	check(t, "secret", has(d.lp, "AWS::SecretsManager::Secret", map[string]any{
		"Name":                 cfg.Signature.SecretName,
		"GenerateSecretString": map[string]any{"PasswordLength": 64, "ExcludePunctuation": true},
	}))
}

func TestLoanProcessorDashboardAndOutputs(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	body := toJSON(t, props(t, d.lp, "AWS::CloudWatch::Dashboard", logicalID(lp.Dashboard.Dashboard))["DashboardBody"])
	for _, want := range append([]string{
		"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "ApproximateAgeOfOldestMessage",
		"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", ValuationsTimedOutMetric,
		valuationcallback.MetricsNamespace, `\"Service\",\"` + CallbackMetricsService + `\"`, `\"FunctionName\",\"`,
	}, valuationcallback.MetricNames...) {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	// Loans by decision and reason: one line per outcome rule, its
	// MatchedEvents on the bus.
	if !strings.Contains(body, "Loans by decision and reason") || strings.Count(body, `MatchedEvents`) != len(lp.OutcomeRules) {
		t.Errorf("dashboard lacks the outcome lines (%d outcome rules)", len(lp.OutcomeRules))
	}
	for _, o := range lp.OutcomeRules {
		if !strings.Contains(body, logicalID(o.Rule)) {
			t.Errorf("dashboard does not graph outcome rule %s", o.Name)
		}
	}
	if len(lp.OutcomeRules) != 5 {
		t.Errorf("%d outcome rules, want one per reason (5)", len(lp.OutcomeRules))
	}
	for _, o := range []string{"WebhookUrl", "StateMachineArn", "QueueUrl", "EventBusName", "CallbackDlqUrl", "DashboardUrl", "TokenTableName", "AlarmTopicArn", "LoanNotificationsTopicArn"} {
		check(t, "output "+o, func() { d.lp.HasOutput(jsii.String(o), map[string]any{"Value": assertions.Match_AnyValue()}) })
	}
	outputs := d.lp.ToJSON()
	b, _ := json.Marshal((*outputs)["Outputs"])
	if !strings.Contains(string(b), "/valuations") || !strings.Contains(string(b), "#dashboards:name=") {
		t.Errorf("outputs: %s", b)
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestLoanProcessorAlarmsNotify(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	topic := ref(lp.Alarms.Topic)
	alarms := resources(t, d.lp, "AWS::CloudWatch::Alarm")
	if len(alarms) == 0 {
		t.Fatal("no alarms")
	}
	for id, a := range alarms {
		p := a["Properties"].(map[string]any)
		equalJSON(t, id+" AlarmActions", p["AlarmActions"], []any{topic})
		equalJSON(t, id+" OKActions", p["OKActions"], []any{topic})
	}
	check(t, "topic", has(d.lp, "AWS::SNS::Topic", map[string]any{"KmsMasterKeyId": getAtt(lp.Alarms.Key, "Arn")}))
	check(t, "key", has(d.lp, "AWS::KMS::Key", map[string]any{
		"EnableKeyRotation": true,
		"KeyPolicy": objectLike(map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{objectLike(map[string]any{
			"Sid": "CloudWatchAlarmsPublish", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		})})}),
	}))
	check(t, "topic policy", has(d.lp, "AWS::SNS::TopicPolicy", map[string]any{
		"PolicyDocument": objectLike(map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{objectLike(map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})}),
	}))
}

// EventBridge may retry for up to 24h; Lambda's own asynchronous queue keeps
// an event 6h at most, so the resolver's is capped there.
func TestLoanProcessorLongEventAge(t *testing.T) {
	s := DefaultSettings()
	s.MockValuationService = true
	s.Config.Callback.MaxEventAge = 12 * time.Hour
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"aws:cdk:bundling-stacks": []any{}}})
	stacks := NewStacks(app, s, stubModule(t))
	tpl := assertions.Template_FromStack(stacks.LoanProcessor.Stack, nil)
	check(t, "lambda async age", has(tpl, "AWS::Lambda::EventInvokeConfig", map[string]any{"MaximumEventAgeInSeconds": 6 * 3600}))
	check(t, "rule retry age", has(tpl, "AWS::Events::Rule", map[string]any{
		"Targets": []any{objectLike(map[string]any{"RetryPolicy": objectLike(map[string]any{"MaximumEventAgeInSeconds": 12 * 3600})})},
	}))
}
