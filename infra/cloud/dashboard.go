package cloud

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/valuationcallback"
)

// CallbackMetricsService is the Service dimension of the resolver's metrics
// (valuationcallback.MetricNames in namespace valuationcallback.MetricsNamespace,
// written as CloudWatch embedded metric format in its log lines).
const CallbackMetricsService = valuationcallback.MetricsService

// DashboardProps lists what the dashboard watches.
type DashboardProps struct {
	Requests    *ReliableQueue
	CallbackDLQ *DeadLetterQueue
	Workflow    *Workflow
	Webhook     *WebhookAPI
	// Resolver emits the callback metrics.
	Resolver       *GoFunction
	Functions      []*GoFunction
	FunctionLabels []string
	// ProcessorAlarms and the queues' alarms are shown on top.
	ProcessorAlarms *ProcessorAlarms
	// ValuationsTimedOut counts timed-out valuations.
	ValuationsTimedOut awscloudwatch.Metric
	// Bus and OutcomeRules count the loans by decision and reason: each
	// rule matches one outcome's Loan Decided events.
	Bus          awsevents.IEventBus
	OutcomeRules []OutcomeRule
}

// OutcomeRule is a rule that counts one outcome (events/patterns/decided-*).
type OutcomeRule struct {
	Name string // the pattern file's, e.g. "decided-valuation-timed-out"
	Rule awsevents.Rule
}

// outcomeLabel turns "decided-valuation-timed-out" into "valuation timed out".
func outcomeLabel(name string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, "decided-"), "-", " ")
}

// Dashboard is the operator's view of the loan processor: the request queue
// and the dead-letter queues, executions, callbacks by outcome, timed-out
// valuations, the webhook and the functions, with every alarm's state on
// top.
type Dashboard struct {
	constructs.Construct
	Dashboard awscloudwatch.Dashboard
}

// NewDashboard builds the dashboard.
func NewDashboard(scope constructs.Construct, id string, props *DashboardProps) *Dashboard {
	if props == nil || props.Requests == nil || props.CallbackDLQ == nil || props.Workflow == nil || props.Webhook == nil ||
		props.Resolver == nil || props.ProcessorAlarms == nil || props.ValuationsTimedOut == nil || len(props.Functions) != len(props.FunctionLabels) ||
		props.Bus == nil || len(props.OutcomeRules) == 0 {
		panic(fmt.Sprintf("Dashboard %s: Requests, CallbackDLQ, Workflow, Webhook, Resolver, ProcessorAlarms, ValuationsTimedOut, Bus, OutcomeRules and one label per function are required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	d := &Dashboard{Construct: c}
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	five := awscdk.Duration_Minutes(jsii.Number(5))
	max := func(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute, Label: jsii.String(label)})
	}
	sum := func(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: five, Label: jsii.String(label)})
	}
	graph := func(title string, width float64, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Width: jsii.Number(width), Height: jsii.Number(6), Left: &left,
		})
	}

	// Loans by decision and reason: each outcome rule's MatchedEvents.
	var outcomes []awscloudwatch.IMetric
	for _, o := range props.OutcomeRules {
		outcomes = append(outcomes, sum(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:  jsii.String("AWS/Events"),
			MetricName: jsii.String("MatchedEvents"),
			DimensionsMap: &map[string]*string{
				"EventBusName": props.Bus.EventBusName(),
				"RuleName":     o.Rule.RuleName(),
			},
		}), outcomeLabel(o.Name)))
	}

	q := props.Requests.Queue
	dlq := props.Requests.DeadLetter.Queue
	sm := props.Workflow.StateMachine
	alarms := []interfacesawscloudwatch.IAlarmRef{
		props.Requests.AgeAlarm, props.Requests.DeadLetter.DepthAlarm, props.Requests.DeadLetter.AgeAlarm,
		props.CallbackDLQ.DepthAlarm, props.CallbackDLQ.AgeAlarm,
	}
	for _, a := range props.ProcessorAlarms.All() {
		alarms = append(alarms, a)
	}

	callbacks := make([]awscloudwatch.IMetric, len(valuationcallback.MetricNames))
	for i, n := range valuationcallback.MetricNames {
		callbacks[i] = CallbackMetric(n, props.Resolver.Function, 5*time.Minute).With(&awscloudwatch.MetricOptions{Label: jsii.String(n)})
	}
	rate := func(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: five, Label: jsii.String(label)})
	}
	var fnErrors, fnThrottles, fnDuration []awscloudwatch.IMetric
	for i, f := range props.Functions {
		l := props.FunctionLabels[i]
		fnErrors = append(fnErrors, sum(f.Function.MetricErrors(nil), l+" errors"))
		fnThrottles = append(fnThrottles, sum(f.Function.MetricThrottles(nil), l+" throttles"))
		fnDuration = append(fnDuration, f.Function.MetricDuration(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("p99"), Period: five, Label: jsii.String(l + " p99"),
		}))
	}
	api := props.Webhook.API

	d.Dashboard = awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
					Title: jsii.String("Alarms"), Alarms: &alarms, Width: jsii.Number(24), Height: jsii.Number(3),
				}),
			},
			{
				graph("Valuation requests: visible and in flight", 8,
					max(q.MetricApproximateNumberOfMessagesVisible(nil), "Visible"),
					max(q.MetricApproximateNumberOfMessagesNotVisible(nil), "In flight")),
				awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
					Title:           jsii.String("Valuation requests: age of oldest message (s)"),
					Width:           jsii.Number(8),
					Height:          jsii.Number(6),
					Left:            &[]awscloudwatch.IMetric{max(q.MetricApproximateAgeOfOldestMessage(nil), "Age of oldest")},
					LeftAnnotations: &[]*awscloudwatch.HorizontalAnnotation{props.Requests.AgeAlarm.ToAnnotation()},
				}),
				graph("Dead-letter queues: depth", 8,
					max(dlq.MetricApproximateNumberOfMessagesVisible(nil), "Valuation requests DLQ"),
					max(props.CallbackDLQ.Queue.MetricApproximateNumberOfMessagesVisible(nil), "Callback deliveries DLQ")),
			},
			{
				graph("Loans by decision and reason", 24, outcomes...),
			},
			{
				graph("Executions", 8,
					sum(sm.MetricStarted(nil), "Started"),
					sum(sm.MetricSucceeded(nil), "Succeeded"),
					sum(sm.MetricFailed(nil), "Failed"),
					sum(sm.MetricAborted(nil), "Aborted")),
				graph("Callbacks by outcome", 8, callbacks...),
				awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
					Title:            jsii.String("Valuations timed out"),
					Width:            jsii.Number(8),
					Height:           jsii.Number(6),
					Left:             &[]awscloudwatch.IMetric{sum(props.ValuationsTimedOut, "Timed out")},
					Right:            &[]awscloudwatch.IMetric{props.ProcessorAlarms.TimeoutRate},
					RightAnnotations: &[]*awscloudwatch.HorizontalAnnotation{props.ProcessorAlarms.ValuationTimeoutRate.ToAnnotation()},
				}),
			},
			{
				graph("Dead-letter queues: age of oldest message (s)", 12,
					max(dlq.MetricApproximateAgeOfOldestMessage(nil), "Valuation requests DLQ"),
					max(props.CallbackDLQ.Queue.MetricApproximateAgeOfOldestMessage(nil), "Callback deliveries DLQ")),
				graph("Webhook: 4XX and 5XX rates", 12,
					rate(api.MetricClientError(nil), "4XX rate"),
					rate(api.MetricServerError(nil), "5XX rate")),
			},
			{
				graph("Webhook: requests and errors", 8,
					sum(api.MetricCount(nil), "Requests"),
					sum(api.MetricClientError(nil), "4XX"),
					sum(api.MetricServerError(nil), "5XX")),
				graph("Webhook: latency p99 (ms)", 8,
					api.MetricLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: five, Label: jsii.String("Latency p99")}),
					api.MetricIntegrationLatency(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: five, Label: jsii.String("PutEvents p99")})),
				graph("Functions: errors and throttles", 8, append(fnErrors, fnThrottles...)...),
			},
			{
				graph("Functions: duration p99 (ms)", 24, fnDuration...),
			},
		},
	})
	return d
}

// URL is the dashboard's address in the CloudWatch console.
func (d *Dashboard) URL() *string {
	region := awscdk.Aws_REGION()
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), region, jsii.String(".console.aws.amazon.com/cloudwatch/home?region="), region,
		jsii.String("#dashboards:name="), d.Dashboard.DashboardName(),
	})
}
