package cloud

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/consumers/valuationcallback"
)

// alarmProps is one alarm: what it watches and when it fires, what it means
// and what the person paged should do.
type alarmProps struct {
	// Meaning says what has happened, in the operator's words.
	Meaning string
	// Action says what to do about it.
	Action string
	Metric awscloudwatch.IMetric
	// The alarm fires when Datapoints of the last Periods values compare
	// with Threshold by Comparison.
	Threshold  float64
	Comparison awscloudwatch.ComparisonOperator
	Periods    int
	Datapoints int
}

// newAlarm builds an alarm whose description is its meaning and what to do.
// Missing data never breaches: no traffic is not an incident.
func newAlarm(scope constructs.Construct, id string, p alarmProps) awscloudwatch.Alarm {
	if p.Meaning == "" || p.Action == "" || p.Metric == nil || p.Periods < 1 || p.Datapoints < 1 || p.Datapoints > p.Periods {
		panic(fmt.Sprintf("alarm %s: Meaning, Action, Metric and 1 <= Datapoints <= Periods are required", id))
	}
	return awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(strings.TrimSpace(p.Meaning) + " What to do: " + strings.TrimSpace(p.Action)),
		Metric:             p.Metric,
		Threshold:          jsii.Number(p.Threshold),
		ComparisonOperator: p.Comparison,
		EvaluationPeriods:  jsii.Number(float64(p.Periods)),
		DatapointsToAlarm:  jsii.Number(float64(p.Datapoints)),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// CallbackMetric is one of the resolver's counters (valuationcallback.MetricNames,
// written as CloudWatch embedded metric format in its log lines), summed over
// period. The FunctionName dimension is the resolver's own, so that stages
// sharing an account keep their counts apart.
func CallbackMetric(name string, resolver awslambda.IFunction, period time.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String(valuationcallback.MetricsNamespace),
		MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{
			valuationcallback.DimensionService:      jsii.String(CallbackMetricsService),
			valuationcallback.DimensionFunctionName: resolver.FunctionName(),
		},
		Statistic: jsii.String("Sum"),
		Period:    seconds(period),
	})
}

// ValuationsTimedOutMetric is the metric the ValuationTimeouts metric filter
// publishes: one per RequestValuation task whose callback never came.
const ValuationsTimedOutMetric = "ValuationsTimedOut"

// ValuationTimeoutPattern picks the executions' TaskTimedOut events out of
// the state machine's log group (it logs at ERROR, which includes them). The
// loan processor has one task with a timeout, RequestValuation, whose
// States.Timeout is caught and ends as a REFERRED loan: without this filter
// nothing would count it.
const ValuationTimeoutPattern = `{ $.type = "TaskTimedOut" }`

// ValuationTimeoutRateThreshold is the share of finished valuations, in
// percent, that may time out within an hour before the alarm fires.
const ValuationTimeoutRateThreshold = 10

// ProcessorAlarmsProps is everything the loan processor's alarms watch.
type ProcessorAlarmsProps struct {
	Workflow        *Workflow
	Resolver        *GoFunction
	RequestConsumer *GoFunction
	Webhook         *WebhookAPI
	// ValuationsTimedOut counts timed-out valuations (the metric filter's).
	ValuationsTimedOut awscloudwatch.Metric
	// CallbackTimeout is how long an execution waits, for the descriptions.
	CallbackTimeout time.Duration
}

// ProcessorAlarms are the loan processor's alarms beyond its queues' own:
// each fires on something that needs a person, and says what to do.
type ProcessorAlarms struct {
	constructs.Construct
	ExecutionsFailed     awscloudwatch.Alarm
	ResolverErrors       awscloudwatch.Alarm
	WebhookServerErrors  awscloudwatch.Alarm
	WebhookClientErrors  awscloudwatch.Alarm
	CallbacksRejected    awscloudwatch.Alarm
	CallbacksUnknown     awscloudwatch.Alarm
	CallbacksLate        awscloudwatch.Alarm
	ValuationTimeoutRate awscloudwatch.Alarm
	ResolverThrottles    awscloudwatch.Alarm
	ConsumerThrottles    awscloudwatch.Alarm
	// TimeoutRate is the share of finished valuations that timed out, in percent.
	TimeoutRate awscloudwatch.MathExpression
}

// All lists every alarm.
func (a *ProcessorAlarms) All() []awscloudwatch.Alarm {
	return []awscloudwatch.Alarm{
		a.ExecutionsFailed, a.ResolverErrors, a.WebhookServerErrors, a.WebhookClientErrors,
		a.CallbacksRejected, a.CallbacksUnknown, a.CallbacksLate, a.ValuationTimeoutRate,
		a.ResolverThrottles, a.ConsumerThrottles,
	}
}

// NewProcessorAlarms builds the alarms.
func NewProcessorAlarms(scope constructs.Construct, id string, props *ProcessorAlarmsProps) *ProcessorAlarms {
	if props == nil || props.Workflow == nil || props.Resolver == nil || props.RequestConsumer == nil || props.Webhook == nil ||
		props.ValuationsTimedOut == nil || props.CallbackTimeout <= 0 {
		panic(fmt.Sprintf("ProcessorAlarms %s: every prop is required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	a := &ProcessorAlarms{Construct: c}
	five := 5 * time.Minute
	sum := func(m awscloudwatch.Metric, period time.Duration) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: seconds(period)})
	}
	rate := func(m awscloudwatch.Metric) awscloudwatch.IMetric {
		// API Gateway's 4XXError and 5XXError are 1 or 0 per request: their
		// average is the share of requests that failed.
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Average"), Period: seconds(five)})
	}
	atLeast := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	above := awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	sm := props.Workflow.StateMachine
	resolver := props.Resolver.Function
	api := props.Webhook.API

	a.ExecutionsFailed = newAlarm(c, "ExecutionsFailed", alarmProps{
		Meaning: "Loan processor executions failed. Every designed outcome (approved, referred, declined, valuation timed out, valuation failed) ends in success, " +
			"so a failed execution is a defect or an AWS failure: the valuation request could not be queued after retries, a permission is missing, or the definition met input it cannot handle. The application has no decision.",
		Action: "Open the failed execution in the Step Functions console (its error is also in the state machine's log group), fix the cause, then start the application again: a failed execution never resumes.",
		Metric: sum(sm.MetricFailed(nil), five), Threshold: 1, Comparison: atLeast, Periods: 1, Datapoints: 1,
	})
	a.ResolverErrors = newAlarm(c, "ResolverErrors", alarmProps{
		Meaning: "The callback resolver keeps failing (errors in 2 of the last 3 five-minute periods): Step Functions, DynamoDB or Secrets Manager throttle or fail, or a defect. " +
			"Its callbacks are retried by Lambda and EventBridge, then land in the callback dead-letter queue; their loans wait meanwhile.",
		Action: "Read the resolver's ERROR log lines for the failing call, fix it, then redrive the callback dead-letter queue (loanflow redrive-callbacks --queue-url <CallbackDlqUrl>).",
		Metric: sum(resolver.MetricErrors(nil), five), Threshold: 1, Comparison: atLeast, Periods: 3, Datapoints: 2,
	})
	a.WebhookServerErrors = newAlarm(c, "WebhookServerErrors", alarmProps{
		Meaning: "More than 5% of webhook requests were answered 5XX in 2 of the last 3 five-minute periods: EventBridge refused or throttled PutEvents, the integration role lost its permission, or API Gateway is failing. " +
			"The provider was told to retry; a callback it gives up on is lost.",
		Action: "Look up the 5XX requests in the webhook's access logs (status, integration error), check the event bus exists and the PutEvents quota, fix, and ask the provider to resend what it dropped.",
		Metric: rate(api.MetricServerError(nil)), Threshold: 0.05, Comparison: above, Periods: 3, Datapoints: 2,
	})
	a.WebhookClientErrors = newAlarm(c, "WebhookClientErrors", alarmProps{
		Meaning: "More than a quarter of webhook requests were refused with 4XX for 15 minutes: a provider with a wrong or revoked API key, bodies that break the contract, " +
			"throttling (429), or the web ACL blocking an attack or an honest callback.",
		Action: "Group the access logs by status and the WAF sampled requests by rule; if it is the provider, send them the contract or their key; if an attack, tighten the web ACL.",
		Metric: rate(api.MetricClientError(nil)), Threshold: 0.25, Comparison: above, Periods: 3, Datapoints: 3,
	})
	a.CallbacksRejected = newAlarm(c, "CallbacksRejected", alarmProps{
		Meaning: "Callbacks failed verification: unsigned, forged, signed with neither the current nor the previous key, outside the signature tolerance, or malformed. None resumed anything.",
		Action: "Read the resolver's lines with metric=CallbacksRejected for the reason. After a key rotation, make sure the provider signs with AWSCURRENT; for clock skew, ask the provider to fix its clock; " +
			"for forgeries, find the source in the webhook's access logs and block it.",
		Metric: CallbackMetric(valuationcallback.CallbacksRejected, resolver, five), Threshold: 1, Comparison: atLeast, Periods: 1, Datapoints: 1,
	})
	a.CallbacksUnknown = newAlarm(c, "CallbacksUnknown", alarmProps{
		Meaning: "Callbacks arrived for callback ids the token table does not know: guessed or mangled ids, a provider calling back long after the token record expired, or a provider configured with another stage's webhook.",
		Action:  "Read the resolver's lines with metric=CallbacksUnknown for the callback id prefix and receipt id, and find the request in the webhook's access logs; ask the provider which valuation it meant.",
		Metric:  CallbackMetric(valuationcallback.CallbacksUnknown, resolver, five), Threshold: 1, Comparison: atLeast, Periods: 1, Datapoints: 1,
	})
	a.CallbacksLate = newAlarm(c, "CallbacksLate", alarmProps{
		Meaning: fmt.Sprintf("Valuations arrived after their execution stopped waiting (callbackTimeout %s): the loans were already referred for want of a valuation.", props.CallbackTimeout),
		Action:  "Tell the underwriters the late valuation is available (the resolver's log line names the execution), and compare the provider's turnaround with callbackTimeout: agree a faster service or raise the timeout.",
		Metric:  CallbackMetric(valuationcallback.CallbacksLate, resolver, time.Hour), Threshold: 1, Comparison: atLeast, Periods: 1, Datapoints: 1,
	})

	// Of the valuations that finished in an hour (resolved, failed or timed
	// out: all three happen at a valuation's end), the share that timed out.
	hour := time.Hour
	a.TimeoutRate = awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("IF(FILL(resolved, 0) + FILL(failed, 0) + FILL(timedOut, 0) > 0, " +
			"100 * FILL(timedOut, 0) / (FILL(resolved, 0) + FILL(failed, 0) + FILL(timedOut, 0)), 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"resolved": CallbackMetric(valuationcallback.CallbacksResolved, resolver, hour),
			"failed":   CallbackMetric(valuationcallback.CallbacksFailed, resolver, hour),
			"timedOut": props.ValuationsTimedOut.With(&awscloudwatch.MetricOptions{Period: seconds(hour), Statistic: jsii.String("Sum")}),
		},
		Period: seconds(hour),
		Label:  jsii.String("Valuations timed out (%)"),
	})
	a.ValuationTimeoutRate = newAlarm(c, "ValuationTimeoutRate", alarmProps{
		Meaning: fmt.Sprintf("More than %d%% of the valuations that finished in an hour timed out, in 2 of the last 3 hours: the provider did not answer within callbackTimeout (%s), "+
			"the valuation requests never reached it (look at the request queue's alarms), or its callbacks do not reach the resolver (webhook and resolver alarms). Those loans were referred.", ValuationTimeoutRateThreshold, props.CallbackTimeout),
		Action: "Check the request consumer's log lines for the valuation service's answers and the webhook's traffic; take the outage up with the provider; the referred loans need an underwriter.",
		Metric: a.TimeoutRate, Threshold: ValuationTimeoutRateThreshold, Comparison: above, Periods: 3, Datapoints: 2,
	})
	throttles := func(id, name string, f *GoFunction, effect string) awscloudwatch.Alarm {
		return newAlarm(c, id, alarmProps{
			Meaning: "Lambda throttled the " + name + " in 2 of the last 3 five-minute periods: the account's concurrency (or the function's reserved concurrency) is exhausted. " + effect,
			Action:  "Find what uses the concurrency (ConcurrentExecutions by function); raise the account quota or reserve concurrency for the " + name + ".",
			Metric:  sum(f.Function.MetricThrottles(nil), five), Threshold: 1, Comparison: atLeast, Periods: 3, Datapoints: 2,
		})
	}
	a.ResolverThrottles = throttles("ResolverThrottles", "callback resolver", props.Resolver,
		"Callbacks wait in Lambda's retries, then go to the callback dead-letter queue.")
	a.ConsumerThrottles = throttles("ConsumerThrottles", "valuation request consumer", props.RequestConsumer,
		"Valuation requests wait in their queue (watch its age alarm) and no valuation is ordered meanwhile.")
	return a
}
