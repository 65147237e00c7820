package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"

	"loanflow/consumers/valuationcallback"
)

// The topic policy is the topic's whole policy once EnforceSSL adds its
// Deny: it must allow CloudWatch to publish, for this account's alarms only,
// and the topic's key must let CloudWatch encrypt for it.
func TestAlarmTopicLetsCloudWatchPublish(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	ourAlarms := map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}},
		"ArnLike": map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{
			"arn:", map[string]any{"Ref": "AWS::Partition"}, ":cloudwatch:", map[string]any{"Ref": "AWS::Region"}, ":",
			map[string]any{"Ref": "AWS::AccountId"}, ":alarm:*",
		}}}},
	}
	policies := resources(t, d.lp, "AWS::SNS::TopicPolicy")
	found := 0
	for id, p := range policies {
		pp := p["Properties"].(map[string]any)
		if toJSON(t, pp["Topics"]) != toJSON(t, []any{ref(lp.Alarms.Topic)}) {
			continue // the notification topic's
		}
		found++
		var allow, deny int
		for _, x := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := x.(map[string]any)
			switch st["Effect"] {
			case "Deny":
				deny++
				equalJSON(t, "TLS deny", st["Condition"], map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}})
			case "Allow":
				allow++
				equalJSON(t, "publisher", st["Principal"], map[string]any{"Service": "cloudwatch.amazonaws.com"})
				equalJSON(t, "action", st["Action"], "sns:Publish")
				equalJSON(t, "resource", st["Resource"], ref(lp.Alarms.Topic))
				equalJSON(t, "publish conditions", st["Condition"], ourAlarms)
			}
		}
		if allow != 1 || deny != 1 {
			t.Errorf("topic policy %s: %d allow and %d deny statements, want one each", id, allow, deny)
		}
	}
	if found != 1 {
		t.Fatalf("%d policies of the alarm topic, want 1", found)
	}
	key := props(t, d.lp, "AWS::KMS::Key", logicalID(lp.Alarms.Key))
	keyFound := false
	for _, x := range key["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		st := x.(map[string]any)
		if toJSON(t, st["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
			continue
		}
		keyFound = true
		equalJSON(t, "key actions", sorted(toStrings(st["Action"])), []string{"kms:Decrypt", "kms:GenerateDataKey*"})
		equalJSON(t, "key conditions", st["Condition"], ourAlarms)
	}
	if !keyFound {
		t.Error("the alarm topic's key does not let CloudWatch use it")
	}
	check(t, "topic under the key", has(d.lp, "AWS::SNS::Topic", map[string]any{
		"KmsMasterKeyId": getAtt(lp.Alarms.Key, "Arn"), "DisplayName": "loanflow alarms (prod)",
	}))
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, s := range x {
			out[i], _ = s.(string)
		}
		return out
	}
	return nil
}

// alarmOf returns the alarm's properties in the template.
func alarmOf(t *testing.T, tpl assertions.Template, a awscloudwatch.Alarm) map[string]any {
	t.Helper()
	return props(t, tpl, "AWS::CloudWatch::Alarm", logicalID(a))
}

// Every alarm can fire, says what it means and what to do, notifies the
// topic and is on the dashboard; the "timed out" executions alarm, which a
// caught States.Timeout made impossible, is gone.
func TestAlarmsMeanSomething(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	pa := lp.ProcessorAlarms
	topic := ref(lp.Alarms.Topic)
	all := lp.AllAlarms()
	if n := len(resources(t, d.lp, "AWS::CloudWatch::Alarm")); n != len(all) {
		t.Errorf("%d alarms in the template, AllAlarms lists %d", n, len(all))
	}
	dashboard := toJSON(t, props(t, d.lp, "AWS::CloudWatch::Dashboard", logicalID(lp.Dashboard.Dashboard))["DashboardBody"])
	for _, a := range all {
		id := *a.Node().Id()
		p := alarmOf(t, d.lp, a)
		desc, _ := p["AlarmDescription"].(string)
		if i := strings.Index(desc, " What to do: "); i < 40 || len(desc)-i < 60 {
			t.Errorf("%s: the description does not say what it means and what to do: %q", id, desc)
		}
		equalJSON(t, id+" AlarmActions", p["AlarmActions"], []any{topic})
		equalJSON(t, id+" OKActions", p["OKActions"], []any{topic})
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData %v", id, p["TreatMissingData"])
		}
		if !strings.Contains(dashboard, logicalID(a)) {
			t.Errorf("%s is not on the dashboard", id)
		}
	}
	for _, a := range resources(t, d.lp, "AWS::CloudWatch::Alarm") {
		if strings.Contains(toJSON(t, a), "ExecutionsTimedOut") {
			t.Error("an alarm watches ExecutionsTimedOut: the loan processor catches States.Timeout, it never fires")
		}
	}

	sm := lp.Workflow.StateMachine
	resolver := lp.Resolver.Function
	dims := func(name string, v any) []any { return []any{map[string]any{"Name": name, "Value": v}} }
	callbackDims := []any{
		map[string]any{"Name": valuationcallback.DimensionFunctionName, "Value": ref(resolver)},
		map[string]any{"Name": valuationcallback.DimensionService, "Value": valuationcallback.MetricsService},
	}
	for _, c := range []struct {
		alarm awscloudwatch.Alarm
		want  map[string]any
	}{
		{pa.ExecutionsFailed, map[string]any{"Namespace": "AWS/States", "MetricName": "ExecutionsFailed", "Statistic": "Sum",
			"Dimensions": dims("StateMachineArn", ref(sm)), "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}},
		{pa.ResolverErrors, map[string]any{"Namespace": "AWS/Lambda", "MetricName": "Errors", "Statistic": "Sum",
			"Dimensions": dims("FunctionName", ref(resolver))}},
		{pa.ResolverThrottles, map[string]any{"Namespace": "AWS/Lambda", "MetricName": "Throttles",
			"Dimensions": dims("FunctionName", ref(resolver))}},
		{pa.ConsumerThrottles, map[string]any{"Namespace": "AWS/Lambda", "MetricName": "Throttles",
			"Dimensions": dims("FunctionName", ref(lp.RequestConsumer.Function))}},
		// Rates: API Gateway's error metrics averaged are the share of requests.
		{pa.WebhookServerErrors, map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "5XXError", "Statistic": "Average",
			"Threshold": 0.05, "ComparisonOperator": "GreaterThanThreshold"}},
		{pa.WebhookClientErrors, map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "4XXError", "Statistic": "Average",
			"Threshold": 0.25, "ComparisonOperator": "GreaterThanThreshold"}},
		{pa.CallbacksRejected, map[string]any{"Namespace": valuationcallback.MetricsNamespace, "MetricName": valuationcallback.CallbacksRejected,
			"Dimensions": callbackDims, "Statistic": "Sum", "Threshold": 1}},
		{pa.CallbacksUnknown, map[string]any{"Namespace": valuationcallback.MetricsNamespace, "MetricName": valuationcallback.CallbacksUnknown,
			"Dimensions": callbackDims, "Statistic": "Sum", "Threshold": 1}},
		{pa.CallbacksLate, map[string]any{"Namespace": valuationcallback.MetricsNamespace, "MetricName": valuationcallback.CallbacksLate,
			"Dimensions": callbackDims, "Statistic": "Sum", "Period": 3600}},
		{lp.Requests.AgeAlarm, map[string]any{"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
			"Dimensions": dims("QueueName", getAtt(lp.Requests.Queue, "QueueName"))}},
		{lp.Requests.DeadLetter.DepthAlarm, map[string]any{"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
			"Dimensions": dims("QueueName", getAtt(lp.Requests.DeadLetter.Queue, "QueueName")), "Threshold": 1}},
		{lp.Requests.DeadLetter.AgeAlarm, map[string]any{"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
			"Dimensions": dims("QueueName", getAtt(lp.Requests.DeadLetter.Queue, "QueueName")), "Threshold": DeadLetterAgeAlarm.Seconds()}},
		{lp.CallbackDLQ.DepthAlarm, map[string]any{"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
			"Dimensions": dims("QueueName", getAtt(lp.CallbackDLQ.Queue, "QueueName")), "Threshold": 1}},
		{lp.CallbackDLQ.AgeAlarm, map[string]any{"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
			"Dimensions": dims("QueueName", getAtt(lp.CallbackDLQ.Queue, "QueueName")), "Threshold": DeadLetterAgeAlarm.Seconds()}},
	} {
		p := alarmOf(t, d.lp, c.alarm)
		for k, v := range c.want {
			if toJSON(t, p[k]) != toJSON(t, v) {
				t.Errorf("%s: %s = %s, want %s", *c.alarm.Node().Id(), k, toJSON(t, p[k]), toJSON(t, v))
			}
		}
	}
	if DeadLetterAgeAlarm >= DeadLetterRetention {
		t.Error("a dead letter is deleted before its age alarm fires")
	}
}

// A timed-out valuation ends as a REFERRED loan (the ASL catches
// States.Timeout): its rate is alarmed from the state machine's own
// TaskTimedOut log events, against every valuation that finished.
func TestValuationTimeoutRate(t *testing.T) {
	d := defaults(t)
	lp := d.stacks.LoanProcessor
	check(t, "metric filter", has(d.lp, "AWS::Logs::MetricFilter", map[string]any{
		"LogGroupName":  ref(lp.Workflow.LogGroup),
		"FilterPattern": ValuationTimeoutPattern,
		"MetricTransformations": []any{map[string]any{
			"MetricNamespace": "Loanflow", "MetricName": ValuationsTimedOutMetric, "MetricValue": "1", "Unit": "Count",
		}},
	}))
	// The state machine logs the events the filter reads.
	check(t, "ERROR-level logging", has(d.lp, "AWS::StepFunctions::StateMachine", map[string]any{
		"LoggingConfiguration": objectLike(map[string]any{"Level": "ERROR"}),
	}))
	p := alarmOf(t, d.lp, lp.ProcessorAlarms.ValuationTimeoutRate)
	if p["Threshold"] != float64(ValuationTimeoutRateThreshold) || p["ComparisonOperator"] != "GreaterThanThreshold" {
		t.Errorf("timeout rate alarm: %v", p)
	}
	metrics := toJSON(t, p["Metrics"])
	for _, want := range []string{
		"100 * FILL(timedOut, 0) / (FILL(resolved, 0) + FILL(failed, 0) + FILL(timedOut, 0))",
		`"MetricName":"` + ValuationsTimedOutMetric + `","Namespace":"Loanflow"`,
		`"MetricName":"` + valuationcallback.CallbacksResolved + `"`, `"MetricName":"` + valuationcallback.CallbacksFailed + `"`,
		`"Period":3600`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("timeout rate alarm lacks %s: %s", want, metrics)
		}
	}
}

// README's "Deploy to AWS" names every alarm, so the person paged finds it.
func TestREADMEListsAlarms(t *testing.T) {
	d := defaults(t)
	b, err := os.ReadFile(filepath.Join(moduleRootForTest(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Deploy to AWS")
	if start < 0 {
		t.Fatal(`README has no "Deploy to AWS" section`)
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, a := range d.stacks.LoanProcessor.AllAlarms() {
		name := alarmName(a)
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("README's Deploy to AWS does not list the alarm `%s`", name)
		}
	}
}

// alarmName is how README names an alarm: its construct path below the
// stack, without the separators ("ValuationRequests/DeadLetter/DepthAlarm"
// is ValuationRequestsDeadLetterDepthAlarm, the start of its logical id).
func alarmName(a awscloudwatch.Alarm) string {
	parts := strings.Split(*a.Node().Path(), "/")
	return strings.Join(parts[1:], "")
}
