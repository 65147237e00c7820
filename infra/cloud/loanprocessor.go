package cloud

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/tokenstore"
	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/functionenv"
	"loanflow/infra/statemachines"
)

// LoanProcessorStackProps configures the LoanProcessor stack.
type LoanProcessorStackProps struct {
	awscdk.StackProps
	Settings Settings
	// ModuleRoot is the Go module the functions are built from.
	ModuleRoot string
	// ValuationServiceURL is the endpoint the request consumer POSTs to: the
	// configured real service, or the mock stack's URL.
	ValuationServiceURL *string
}

// LoanProcessorStack is the loan processor: the workflow that waits on a task
// token, the request queue and its consumer, the token table, the webhook,
// the event bus and its rules, the callback resolver, the signing secret, the
// dashboard and the alarms.
type LoanProcessorStack struct {
	awscdk.Stack
	props *LoanProcessorStackProps

	SigningSecret   awssecretsmanager.Secret
	TokenTable      awsdynamodb.Table
	Requests        *ReliableQueue
	Workflow        *Workflow
	Bus             awsevents.EventBus
	Webhook         *WebhookAPI
	RequestConsumer *GoFunction
	CallbackDLQ     *DeadLetterQueue
	Resolver        *GoFunction
	Rules           []awsevents.Rule
	Dashboard       *Dashboard
	Alarms          *AlarmTopic
}

// maxAsyncEventAge is the longest Lambda keeps an asynchronous event (EventBridge's limit is 24h).
const maxAsyncEventAge = 6 * time.Hour

// tokenStoreActions are the DynamoDB calls of tokenstore.DynamoStore.
var tokenStoreActions = []*string{
	jsii.String("dynamodb:GetItem"), jsii.String("dynamodb:PutItem"), jsii.String("dynamodb:UpdateItem"),
}

// NewLoanProcessorStack builds the stack.
func NewLoanProcessorStack(scope constructs.Construct, id string, props *LoanProcessorStackProps) *LoanProcessorStack {
	if props == nil || props.ModuleRoot == "" || props.ValuationServiceURL == nil {
		panic(fmt.Sprintf("LoanProcessorStack %s: ModuleRoot and ValuationServiceURL are required", id))
	}
	if err := props.Settings.Validate(); err != nil {
		panic(fmt.Sprintf("LoanProcessorStack %s: %v", id, err))
	}
	s := &LoanProcessorStack{
		Stack: awscdk.NewStack(scope, &id, &props.StackProps),
		props: props,
	}
	s.secret()
	s.table()
	s.queue()
	s.workflow()
	s.bus()
	s.webhook()
	s.requestConsumer()
	s.resolver()
	s.rules()
	s.monitoring()
	s.outputs()
	return s
}

func (s *LoanProcessorStack) removalPolicy() awscdk.RemovalPolicy {
	if s.props.Settings.Config.Stage == "prod" {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

func (s *LoanProcessorStack) secret() {
	cfg := s.props.Settings.Config
	s.SigningSecret = awssecretsmanager.NewSecret(s.Stack, jsii.String("SigningSecret"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(cfg.Signature.SecretName),
		Description: jsii.String("HMAC-SHA256 key shared with the valuation service; it signs every webhook callback."),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: s.removalPolicy(),
	})
	suppress(s.SigningSecret, "AwsSolutions-SMG4",
		"The key is shared with the external valuation service: rotating it needs that party to switch keys at the same moment, so it is rotated by a coordinated runbook, not a rotation Lambda.")
}

func (s *LoanProcessorStack) table() {
	s.TokenTable = awsdynamodb.NewTable(s.Stack, jsii.String("TokenTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(tokenstore.AttrCallbackID), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(tokenstore.AttrExpiresAt),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_AWS_MANAGED,
		DeletionProtection: jsii.Bool(s.props.Settings.Config.Stage == "prod"),
		RemovalPolicy:      s.removalPolicy(),
	})
}

func (s *LoanProcessorStack) queue() {
	q := s.props.Settings.Config.Queue
	s.Requests = NewReliableQueue(s.Stack, "ValuationRequests", &ReliableQueueProps{
		VisibilityTimeout: q.VisibilityTimeout(),
		Retention:         q.Retention,
		MaxReceiveCount:   q.MaxReceiveCount,
		AgeAlarm:          q.AgeAlarm,
		Purpose:           "valuation request",
	})
}

func (s *LoanProcessorStack) workflow() {
	cfg := s.props.Settings.Config
	s.Workflow = NewWorkflow(s.Stack, "LoanProcessor", &WorkflowProps{
		Definition:    statemachines.LoanProcessor,
		Substitutions: cfg.LoanProcessorSubstitutions(*s.Requests.Queue.QueueUrl()),
		Permissions: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("sqs:SendMessage"),
			Resources: &[]*string{s.Requests.Queue.QueueArn()},
		})},
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		AlarmOnTimeouts:  true,
		Purpose:          "LoanProcessor",
	})
}

func (s *LoanProcessorStack) bus() {
	cfg := s.props.Settings.Config
	s.Bus = awsevents.NewEventBus(s.Stack, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(cfg.EventBusName),
		Description:  jsii.String("Valuation callbacks published by the webhook."),
	})
	// Every callback is kept for replay after an incident.
	s.Bus.Archive(jsii.String("Archive"), &awsevents.BaseArchiveProps{
		Description:  jsii.String("Valuation callbacks, for replay."),
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(contracts.EventSource)},
		Retention:    awscdk.Duration_Days(jsii.Number(30)),
	})
}

func (s *LoanProcessorStack) webhook() {
	src, err := contracts.SchemaValuationResponse.Source()
	if err != nil {
		panic(err.Error())
	}
	model, err := Draft4(src)
	if err != nil {
		panic(err.Error())
	}
	cfg := s.props.Settings
	s.Webhook = NewWebhookAPI(s.Stack, "Webhook", &WebhookAPIProps{
		Bus:              s.Bus,
		BusName:          cfg.Config.EventBusName,
		Stage:            cfg.Config.Stage,
		RequestModel:     model,
		RateLimit:        cfg.WebhookRateLimit,
		BurstLimit:       cfg.WebhookBurstLimit,
		LogRetentionDays: cfg.Config.Functions.LogRetentionDays,
	})
}

func (s *LoanProcessorStack) requestConsumer() {
	cfg := s.props.Settings.Config
	s.RequestConsumer = NewGoFunction(s.Stack, "ValuationRequestConsumer", &GoFunctionProps{
		ModuleRoot:       s.props.ModuleRoot,
		Main:             "consumers/functions/valuation-request",
		Description:      "Stores each request's task token, then orders the valuation.",
		MemoryMB:         cfg.Functions.MemoryMB,
		Timeout:          cfg.Queue.ConsumerTimeout,
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		LogLevel:         cfg.Functions.LogLevel,
		// One mapping from the typed config to the environment, shared with the local stack.
		Environment: functionenv.ValuationRequest(cfg, *s.TokenTable.TableName(), *s.props.ValuationServiceURL, *s.Webhook.API.Url()).Pointers(),
	})
	fn := s.RequestConsumer
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: &tokenStoreActions, Resources: &[]*string{s.TokenTable.TableArn()},
	}))
	// A request that can never succeed fails its execution at once.
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("states:SendTaskFailure"), Resources: &[]*string{s.Workflow.StateMachine.StateMachineArn()},
	}))
	fn.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(s.Requests.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(cfg.Queue.BatchSize)),
		MaxBatchingWindow:       seconds(cfg.Queue.MaxBatchingWindow),
		MaxConcurrency:          jsii.Number(float64(cfg.Queue.MaxConcurrency)),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
}

func (s *LoanProcessorStack) resolver() {
	cfg := s.props.Settings.Config
	s.CallbackDLQ = NewDeadLetterQueue(s.Stack, "CallbackDeadLetter", &DeadLetterQueueProps{
		Retention: cfg.Queue.Retention,
		Purpose:   "A valuation callback delivery",
	})
	// Lambda retries an accepted asynchronous invocation itself; when those
	// retries fail too, the event joins EventBridge's undeliverable ones.
	retries := 2
	s.Resolver = NewGoFunction(s.Stack, "CallbackResolver", &GoFunctionProps{
		ModuleRoot:       s.props.ModuleRoot,
		Main:             "consumers/functions/valuation-callback",
		Description:      "Verifies each valuation callback and resumes its execution exactly once.",
		MemoryMB:         cfg.Functions.MemoryMB,
		Timeout:          cfg.Callback.Timeout,
		LogRetentionDays: cfg.Functions.LogRetentionDays,
		LogLevel:         cfg.Functions.LogLevel,
		Environment:      s.resolverEnvironment(),
		DeadLetterQueue:  s.CallbackDLQ.Queue,
		RetryAttempts:    &retries,
		MaxEventAge:      min(cfg.Callback.MaxEventAge, maxAsyncEventAge),
	})
	fn := s.Resolver
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: &tokenStoreActions, Resources: &[]*string{s.TokenTable.TableArn()},
	}))
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:SendTaskSuccess", "states:SendTaskFailure"),
		Resources: &[]*string{s.Workflow.StateMachine.StateMachineArn()},
	}))
	s.SigningSecret.GrantRead(fn.Role, nil)
}

func (s *LoanProcessorStack) rules() {
	cfg := s.props.Settings.Config
	rules, err := events.Rules()
	if err != nil {
		panic(err.Error())
	}
	if len(rules) == 0 {
		panic("LoanProcessorStack: events.Rules() is empty")
	}
	target := awseventstargets.NewLambdaFunction(s.Resolver.Function, &awseventstargets.LambdaFunctionProps{
		RetryAttempts:   jsii.Number(float64(cfg.Callback.RetryAttempts)),
		MaxEventAge:     seconds(cfg.Callback.MaxEventAge),
		DeadLetterQueue: s.CallbackDLQ.Queue,
	})
	for _, r := range rules {
		var pattern map[string]any
		if err := json.Unmarshal(r.Pattern, &pattern); err != nil {
			panic(fmt.Sprintf("LoanProcessorStack: rule %s: %v", r.Name, err))
		}
		rule := awsevents.NewRule(s.Stack, jsii.String(ruleID(r.Name)), &awsevents.RuleProps{
			EventBus:    s.Bus,
			Description: jsii.String("events/patterns/" + r.Name + ".json to the callback resolver"),
			// The typed pattern satisfies the L2 construct; the file's text,
			// operators and all, is what CloudFormation gets.
			EventPattern: &awsevents.EventPattern{Source: jsii.Strings(contracts.EventSource)},
			Targets:      &[]awsevents.IRuleTarget{target},
		})
		rule.Node().DefaultChild().(awsevents.CfnRule).SetEventPattern(pattern)
		s.Rules = append(s.Rules, rule)
	}
}

// ruleID turns "valuation-completed" into "ValuationCompletedRule".
func ruleID(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Rule"
}

func (s *LoanProcessorStack) monitoring() {
	s.Alarms = NewAlarmTopic(s.Stack, "Alarms", &AlarmTopicProps{Email: s.props.Settings.AlarmEmail})
	s.Alarms.Notify(s.Requests.DeadLetter.DepthAlarm, s.Requests.AgeAlarm, s.CallbackDLQ.DepthAlarm, s.Workflow.TimedOutAlarm)
	s.Dashboard = NewDashboard(s.Stack, "Monitoring", &DashboardProps{
		Requests:       s.Requests,
		CallbackDLQ:    s.CallbackDLQ,
		Workflow:       s.Workflow,
		Webhook:        s.Webhook,
		Functions:      []*GoFunction{s.RequestConsumer, s.Resolver},
		FunctionLabels: []string{"Request consumer", "Callback resolver"},
	})
}

func (s *LoanProcessorStack) outputs() {
	out := func(id, desc string, v *string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v, Description: jsii.String(desc)})
	}
	out("WebhookUrl", "POST {WebhookUrl}/{callbackId} with a signed valuation response", s.Webhook.CallbackURLBase())
	out("StateMachineArn", "Start a loan application here", s.Workflow.StateMachine.StateMachineArn())
	out("QueueUrl", "Valuation requests waiting for the consumer", s.Requests.Queue.QueueUrl())
	out("EventBusName", "The bus the webhook publishes to", s.Bus.EventBusName())
	out("DashboardUrl", "CloudWatch dashboard", s.Dashboard.URL())
	out("TokenTableName", "Task tokens by callback id", s.TokenTable.TableName())
	out("AlarmTopicArn", "Subscribe on-call here: every alarm notifies this topic", s.Alarms.Topic.TopicArn())
}

func (s *LoanProcessorStack) resolverEnvironment() map[string]*string {
	return functionenv.ValuationCallback(s.props.Settings.Config, *s.TokenTable.TableName(), *s.SigningSecret.SecretArn(), "").Pointers()
}
