package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

func queueARN(name string) string { return "arn:aws:sqs:us-east-1:000000000000:" + name }

const testPattern = `{"source":["loanflow.test"]}`

// The detail of the examples AWS was recorded with (LocalStack's validated
// input-transformer tests); payload's keys are deliberately not sorted.
const testDetail = `{"command":"update-account","payload":{"sf_id":"baz","acc_id":"0a787ecb-4015"},"listsingle":["HIGH"],"listmulti":["ACTIVE","INACTIVE"],"valid":true}`

func putRule(t *testing.T, c *eventbridge.Client, name string) {
	t.Helper()
	if _, err := c.PutRule(context.Background(), &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(testPattern)}); err != nil {
		t.Fatal(err)
	}
}

func putTestEvent(t *testing.T, c *eventbridge.Client) {
	t.Helper()
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("loanflow.test"), DetailType: aws.String("Loan Tested"), Detail: aws.String(testDetail)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events: %+v %v", out, err)
	}
}

func (f *fakeTargets) first(arn string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[arn][0]
}

func TestTargetInputSettingsShapeWhatTheTargetReceives(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	f := newFake()
	b := openBus(t, path, f)
	b.Start(context.Background())
	c := client(t, b)
	ctx := context.Background()
	putRule(t, c, "shaped")
	paths := map[string]string{"detail-type": "$.detail-type", "command": "$.detail.command", "payload": "$.detail.payload",
		"first": "$.detail.listmulti[0]", "list": "$.detail.listmulti", "missing": "$.detail.nope"}
	targets := []ebtypes.Target{
		{Id: aws.String("whole"), Arn: aws.String(queueARN("whole"))},
		{Id: aws.String("constant"), Arn: aws.String(queueARN("constant")), Input: aws.String(`{"fixed": true}`)},
		{Id: aws.String("path"), Arn: aws.String(queueARN("path")), InputPath: aws.String("$.detail.payload")},
		{Id: aws.String("leaf"), Arn: aws.String(queueARN("leaf")), InputPath: aws.String("$.detail.payload.sf_id")},
		{Id: aws.String("json"), Arn: aws.String(queueARN("json")), InputTransformer: &ebtypes.InputTransformer{InputPathsMap: paths,
			InputTemplate: aws.String(`{"detailType": <detail-type>, "command": "<command>", "body": <payload>, "missing": <missing>,
 "path": "users/<first>", "rule": <aws.events.rule-name>, "ruleArn": <aws.events.rule-arn>}`)}},
		{Id: aws.String("text"), Arn: aws.String(queueARN("text")), InputTransformer: &ebtypes.InputTransformer{InputPathsMap: paths,
			InputTemplate: aws.String(`"<aws.events.rule-name> saw <command> with <payload> and <list><missing> at <aws.events.event.ingestion-time>"`)}},
		{Id: aws.String("event"), Arn: aws.String(queueARN("event")), InputTransformer: &ebtypes.InputTransformer{
			InputTemplate: aws.String(`{"e": <aws.events.event>, "j": <aws.events.event.json>}`)}},
	}
	// A rule has at most five targets: the last two are another rule's.
	putRule(t, c, "shaped-more")
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("shaped"), Targets: targets[:5]}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("shaped-more"), Targets: targets[5:]}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC().Truncate(time.Second)
	putTestEvent(t, c)
	eventually(t, "a delivery to every target", func() bool {
		for _, tg := range targets {
			if f.count(f.got, *tg.Arn) != 1 {
				return false
			}
		}
		return true
	})

	var whole map[string]json.RawMessage
	if err := json.Unmarshal([]byte(f.first(queueARN("whole"))), &whole); err != nil || string(whole["detail"]) != testDetail {
		t.Fatalf("without input settings the whole event is delivered: %s", f.first(queueARN("whole")))
	}
	for arn, want := range map[string]string{
		queueARN("constant"): `{"fixed": true}`, // verbatim
		queueARN("path"):     `{"sf_id":"baz","acc_id":"0a787ecb-4015"}`,
		queueARN("leaf"):     `"baz"`,
		queueARN("json"): `{"detailType":"Loan Tested","command":"update-account","body":{"sf_id":"baz","acc_id":"0a787ecb-4015"},` +
			`"missing":"","path":"users/ACTIVE","rule":"shaped","ruleArn":"arn:aws:events:us-east-1:000000000000:rule/shaped"}`,
	} {
		if got := f.first(arn); got != want {
			t.Errorf("%s received\n%s\nwant\n%s", arn, got, want)
		}
	}
	text := f.first(queueARN("text"))
	prefix := `"shaped-more saw update-account with {sf_id:baz,acc_id:0a787ecb-4015} and [ACTIVE,INACTIVE] at `
	if !strings.HasPrefix(text, prefix) || !strings.HasSuffix(text, `"`) {
		t.Fatalf("text template: %s", text)
	}
	if at, err := time.Parse(time.RFC3339, strings.TrimSuffix(strings.TrimPrefix(text, prefix), `"`)); err != nil || at.Before(before) {
		t.Fatalf("ingestion time in %s: %v", text, err)
	}
	var ev struct{ E, J map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(f.first(queueARN("event"))), &ev); err != nil {
		t.Fatal(err)
	}
	if string(ev.E["detailType"]) != `"Loan Tested"` || ev.E["detail"] != nil || ev.E["detail-type"] != nil ||
		string(ev.J["detail"]) != testDetail || string(ev.J["id"]) != string(ev.E["id"]) {
		t.Fatalf("<aws.events.event> / <aws.events.event.json>: %s", f.first(queueARN("event")))
	}

	// ListTargetsByRule returns the settings, before and after a restart.
	check := func(c *eventbridge.Client) {
		t.Helper()
		out, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("shaped")})
		if err != nil || len(out.Targets) != 5 {
			t.Fatalf("list targets: %+v %v", out, err)
		}
		byID := map[string]ebtypes.Target{}
		for _, tg := range out.Targets {
			byID[*tg.Id] = tg
		}
		if aws.ToString(byID["constant"].Input) != `{"fixed": true}` || aws.ToString(byID["path"].InputPath) != "$.detail.payload" {
			t.Fatalf("Input / InputPath: %+v %+v", byID["constant"], byID["path"])
		}
		it := byID["json"].InputTransformer
		if it == nil || aws.ToString(it.InputTemplate) != aws.ToString(targets[4].InputTransformer.InputTemplate) ||
			len(it.InputPathsMap) != len(paths) || it.InputPathsMap["detail-type"] != "$.detail-type" {
			t.Fatalf("InputTransformer: %+v", it)
		}
		if w := byID["whole"]; w.Input != nil || w.InputPath != nil || w.InputTransformer != nil {
			t.Fatalf("a target without input settings lists some: %+v", w)
		}
	}
	check(c)
	b.Close()
	check(client(t, openBus(t, path, f)))
}

func TestPutTargetsRefusesInputSettingsAndTargetsAsEventBridgeDoes(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	putRule(t, c, "r")
	arn := aws.String(queueARN("q"))
	many := map[string]string{}
	for i := range 101 {
		many["k"+strconv.Itoa(i)] = "$.detail"
	}
	tmpl := func(paths map[string]string, s string) *ebtypes.InputTransformer {
		return &ebtypes.InputTransformer{InputPathsMap: paths, InputTemplate: aws.String(s)}
	}
	for _, tc := range []struct {
		name   string
		target ebtypes.Target
		want   string
	}{
		{"Input and InputPath", ebtypes.Target{Input: aws.String(`{}`), InputPath: aws.String("$.detail")},
			"Only one of Input, InputPath, or InputTransformer must be provided for target t."},
		{"InputPath and InputTransformer", ebtypes.Target{InputPath: aws.String("$.detail"), InputTransformer: tmpl(nil, `"x"`)},
			"Only one of Input, InputPath, or InputTransformer must be provided for target t."},
		{"Input that is not JSON", ebtypes.Target{Input: aws.String(`{"a":`)}, "JSON syntax error in input for target t"},
		{"undefined placeholder", ebtypes.Target{InputTransformer: tmpl(map[string]string{"a": "$.detail"}, `"<a> and <notdefinedkey>"`)},
			"InputTemplate for target t contains invalid placeholder notdefinedkey."},
		{"101 paths", ebtypes.Target{InputTransformer: tmpl(many, `"x"`)}, "at most 100"},
		{"reserved key", ebtypes.Target{InputTransformer: tmpl(map[string]string{"aws.events.rule-name": "$.detail"}, `"x"`)},
			"must match [A-Za-z0-9_-]+"},
		{"recursive descent", ebtypes.Target{InputPath: aws.String("$..id")}, "InputPath for target t is not a valid JSON path"},
		{"unsupported target", ebtypes.Target{Arn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:audit")},
			"Target t: arn:aws:logs:us-east-1:000000000000:log-group:audit is not a target the loanflow local stack can invoke"},
		{"activity", ebtypes.Target{Arn: aws.String("arn:aws:states:us-east-1:000000000000:activity:a")}, "is not a target"},
	} {
		tc.target.Id = aws.String("t")
		if tc.target.Arn == nil {
			tc.target.Arn = arn
		}
		_, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{tc.target}})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !strings.Contains(ae.ErrorMessage(), tc.want) {
			t.Errorf("%s: got %v, want a ValidationException saying %q", tc.name, err, tc.want)
		}
	}
	out, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r")})
	if err != nil || len(out.Targets) != 0 {
		t.Fatalf("refused targets were stored: %+v %v", out, err)
	}

	// A state machine (with the role EventBridge would assume) and an SNS
	// topic are accepted.
	sm := "arn:aws:states:us-east-1:000000000000:stateMachine:loan-processor"
	role := "arn:aws:iam::000000000000:role/events-start-execution"
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{
		{Id: aws.String("sm"), Arn: aws.String(sm), RoleArn: aws.String(role)},
		{Id: aws.String("topic"), Arn: aws.String("arn:aws:sns:us-east-1:000000000000:alarms")}}}); err != nil {
		t.Fatal(err)
	}
	out, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r")})
	if err != nil || len(out.Targets) != 2 || aws.ToString(out.Targets[0].RoleArn) != role {
		t.Fatalf("targets: %+v %v", out, err)
	}
}

func TestInputThatCannotBeBuiltIsDeadLetteredWithoutRetries(t *testing.T) {
	f := newFake()
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	b.Start(context.Background())
	defer b.Close()
	c := client(t, b)
	putRule(t, c, "r")
	retry := &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(5), MaximumEventAgeInSeconds: aws.Int32(3600)}
	dlq := &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}
	if _, err := c.PutTargets(context.Background(), &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: []ebtypes.Target{
		// An object inside a JSON string: not valid JSON once filled in (AWS
		// doesn't deliver it either).
		{Id: aws.String("quoted"), Arn: aws.String(queueARN("quoted")), RetryPolicy: retry, DeadLetterConfig: dlq,
			InputTransformer: &ebtypes.InputTransformer{InputPathsMap: map[string]string{"payload": "$.detail.payload"},
				InputTemplate: aws.String(`{"payload": "<payload>"}`)}},
		{Id: aws.String("nothing"), Arn: aws.String(queueARN("nothing")), RetryPolicy: retry, DeadLetterConfig: dlq,
			InputPath: aws.String("$.detail.nope")},
	}}); err != nil {
		t.Fatal(err)
	}
	putTestEvent(t, c)
	eventually(t, "both dead-lettered", func() bool {
		failed, _ := b.Failed(context.Background(), 10)
		n, _ := b.Pending(context.Background())
		return f.dlqCount(dlqARN) == 2 && len(failed) == 2 && n == 0
	})
	failed, _ := b.Failed(context.Background(), 10)
	for _, fd := range failed {
		if fd.Attempts != 1 || !strings.Contains(fd.Error, "not valid JSON once its placeholders are filled in") && !strings.Contains(fd.Error, "selects nothing") {
			t.Errorf("failed delivery %+v", fd)
		}
	}
	for _, a := range f.dlq[dlqARN] {
		if a["RETRY_ATTEMPTS"] != "0" {
			t.Errorf("DLQ attributes %v", a)
		}
	}
	if f.count(f.got, queueARN("quoted"))+f.count(f.got, queueARN("nothing")) != 0 {
		t.Fatal("a target received an input that could not be built")
	}
}
