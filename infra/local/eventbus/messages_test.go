package eventbus_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"loanflow/infra/local/eventbus"
)

// The wording of these errors is AWS's, as LocalStack's
// test_events_patterns.snapshot.json and test_events.snapshot.json
// recorded it.
func TestErrorMessagesAsAWS(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	ev := `{"id":"1","source":"order","detail-type":"Test","account":"123456789012","region":"us-east-1","time":"2022-07-13T13:48:01Z","detail":{}}`

	_, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(ev), EventPattern: aws.String(`{"source":[]}`)})
	wantAPIError(t, "an empty array", err, "InvalidEventPatternException", "Event pattern is not valid. Reason: Empty arrays are not allowed")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":"order"}`)})
	wantAPIError(t, "PutRule with a bare value", err, "InvalidEventPatternException", `Event pattern is not valid. Reason: "source" must be an object or an array`)

	pattern := aws.String(`{"body":{"test2":[{"numeric":[">",100]}]}}`)
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String("plain string"), EventPattern: pattern})
	wantAPIError(t, "a plain string event", err, "ValidationException", "Parameter Event is not valid.")
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(`{"testEvent":"value"}`), EventPattern: pattern})
	wantAPIError(t, "an event without the envelope fields", err, "ValidationException", "Parameter Event is not valid.")

	var many []ebtypes.PutEventsRequestEntry
	for range 11 {
		many = append(many, ebtypes.PutEventsRequestEntry{Source: aws.String("core.update-account-command"),
			DetailType: aws.String("core.update-account-command"), Detail: aws.String(`{"command": "update-account"}`), EventBusName: aws.String("b")})
	}
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: many})
	entry := `PutEventsRequestEntry(time=null, source=core.update-account-command, resources=null, detailType=core.update-account-command, ` +
		`detail={"command": "update-account"}, eventBusName=b, traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)`
	want := "1 validation error detected: Value '[" + strings.Repeat(entry+", ", 10) + entry +
		"]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"
	wantAPIError(t, "11 entries", err, "ValidationException", want)
}

// Operations lists what Service serves, sorted, every one of them an
// action of EventBridge's API.
func TestOperationsRegistry(t *testing.T) {
	ops := eventbus.Operations()
	if !slices.IsSorted(ops) {
		t.Errorf("not sorted: %v", ops)
	}
	svc := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake()).Service()
	if len(svc.Ops) != len(ops) {
		t.Errorf("Service serves %d operations, Operations lists %d", len(svc.Ops), len(ops))
	}
	for _, name := range ops {
		if svc.Ops[name] == nil {
			t.Errorf("%s is listed but not served", name)
		}
	}
	for _, name := range []string{"EnableRule", "DisableRule", "DeleteEventBus", "CreateArchive", "StartReplay", "CancelReplay",
		"TagResource", "UntagResource", "ListTagsForResource"} {
		if !slices.Contains(ops, name) {
			t.Errorf("%s missing", name)
		}
	}
}
