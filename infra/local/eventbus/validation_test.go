package eventbus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// wantConstraint checks err is a ValidationException whose message says
// member failed the rule.
func wantConstraint(t *testing.T, what string, err error, member, rule string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" ||
		!strings.Contains(ae.ErrorMessage(), "at '"+member+"' failed to satisfy constraint: Member must "+rule) {
		t.Errorf("%s: %v, want a ValidationException: %s must %s", what, err, member, rule)
	}
}

// TestBusNamesAndDescriptions: CreateEventBus takes names of the API's
// pattern, [/\.\-_A-Za-z0-9]+ (no control characters, no letters outside
// ASCII), and descriptions of at most 512 characters.
func TestBusNamesAndDescriptions(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	for _, name := range []string{"bad\nbus\t<script>", "bad\x00bus", "ünïcode", "with space"} {
		_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
		wantConstraint(t, "name "+name, err, "name", `satisfy regular expression pattern: [/\.\-_A-Za-z0-9]+`)
	}
	_, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(strings.Repeat("n", 257))})
	wantConstraint(t, "a 257-character name", err, "name", "have length less than or equal to 256")
	_, err = c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("described"), Description: aws.String(strings.Repeat("d", 513))})
	wantConstraint(t, "a 513-character description", err, "description", "have length less than or equal to 512")
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("a.b-c_D9"), Description: aws.String(strings.Repeat("d", 512))}); err != nil {
		t.Fatalf("a valid name and a 512-character description: %v", err)
	}
	out, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range out.EventBuses {
		if n := aws.ToString(b.Name); n != "default" && n != "a.b-c_D9" {
			t.Errorf("bus %q was created", n)
		}
	}
}

// TestConcurrentCreationsOfOneBus: of sixteen creations of one name at
// once, exactly one succeeds; the others are told it exists. (A look for
// the name before the insert let several succeed.)
func TestConcurrentCreationsOfOneBus(t *testing.T) {
	c := client(t, fixedClockBus(t))
	for round := range 20 {
		name := fmt.Sprintf("dupbus-%d", round)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, exists := 0, 0
		for range 16 {
			wg.Go(func() {
				<-start
				_, err := c.CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String(name)})
				var ae *ebtypes.ResourceAlreadyExistsException
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					created++
				case errors.As(err, &ae):
					exists++
				default:
					t.Errorf("CreateEventBus: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if created != 1 || exists != 15 {
			t.Fatalf("%s: %d created, %d told it exists; want 1 and 15", name, created, exists)
		}
	}
}

// TestRuleAndTargetLimits: PutRule's EventPattern is at most 4,096
// characters and its Description 512; a target's RetryPolicy keeps to
// 0-185 attempts and 60-86,400 seconds; RemoveTargets needs an id.
func TestRuleAndTargetLimits(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	long := `{"source":["` + strings.Repeat("s", 4100) + `"]}`
	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("big"), EventPattern: aws.String(long)})
	wantConstraint(t, "a 4,117-character pattern", err, "eventPattern", "have length less than or equal to 4096")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("big"), EventPattern: aws.String(`{"source":["a"]}`), Description: aws.String(strings.Repeat("d", 513))})
	wantConstraint(t, "a 513-character description", err, "description", "have length less than or equal to 512")
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
		t.Fatal(err)
	}
	target := func(rp *ebtypes.RetryPolicy) []ebtypes.Target {
		return []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:q"), RetryPolicy: rp}}
	}
	for _, c2 := range []struct {
		rp           ebtypes.RetryPolicy
		member, rule string
	}{
		{ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(-1)}, "maximumRetryAttempts", "have value greater than or equal to 0"},
		{ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(186)}, "maximumRetryAttempts", "have value less than or equal to 185"},
		{ebtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(1)}, "maximumEventAgeInSeconds", "have value greater than or equal to 60"},
		{ebtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(86401)}, "maximumEventAgeInSeconds", "have value less than or equal to 86400"},
	} {
		_, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: target(&c2.rp)})
		wantConstraint(t, "RetryPolicy "+c2.member, err, "targets.1.member.retryPolicy."+c2.member, c2.rule)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: target(&ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(0)})}); err != nil {
		t.Fatalf("RetryPolicy with 0 attempts and no age: %v", err)
	}
	_, err = c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("r"), Ids: []string{}})
	wantConstraint(t, "RemoveTargets with no ids", err, "ids", "have length greater than or equal to 1")
	if _, err := c.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("r"), Ids: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
}

// TestListLimitsAndNextTokens: a List operation's Limit is 1 to 100 and its
// NextToken at most 2,048 characters (the model's LimitMax100 and
// NextToken), checked before the bus or rule is looked up; ListTargetsByRule
// pages its targets by them too.
func TestListLimitsAndNextTokens(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		limit int32
		rule  string
	}{{0, "have value greater than or equal to 1"}, {-1, "have value greater than or equal to 1"}, {101, "have value less than or equal to 100"}} {
		what := fmt.Sprintf("Limit %d", l.limit)
		_, err := c.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(l.limit), EventBusName: aws.String("no-such-bus")})
		wantConstraint(t, "ListRules "+what, err, "limit", l.rule)
		_, err = c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{Limit: aws.Int32(l.limit)})
		wantConstraint(t, "ListEventBuses "+what, err, "limit", l.rule)
		_, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r"), Limit: aws.Int32(l.limit)})
		wantConstraint(t, "ListTargetsByRule "+what, err, "limit", l.rule)
		_, err = c.ListArchives(ctx, &eventbridge.ListArchivesInput{Limit: aws.Int32(l.limit)})
		wantConstraint(t, "ListArchives "+what, err, "limit", l.rule)
		_, err = c.ListReplays(ctx, &eventbridge.ListReplaysInput{Limit: aws.Int32(l.limit)})
		wantConstraint(t, "ListReplays "+what, err, "limit", l.rule)
	}
	long := aws.String(strings.Repeat("t", 2049))
	_, err := c.ListRules(ctx, &eventbridge.ListRulesInput{NextToken: long})
	wantConstraint(t, "ListRules NextToken of 2,049", err, "nextToken", "have length less than or equal to 2048")
	_, err = c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NextToken: long})
	wantConstraint(t, "ListEventBuses NextToken of 2,049", err, "nextToken", "have length less than or equal to 2048")
	_, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r"), NextToken: long})
	wantConstraint(t, "ListTargetsByRule NextToken of 2,049", err, "nextToken", "have length less than or equal to 2048")

	var targets []ebtypes.Target
	for _, id := range []string{"t1", "t2", "t3"} {
		targets = append(targets, ebtypes.Target{Id: aws.String(id), Arn: aws.String("arn:aws:sqs:us-east-1:000000000000:" + id)})
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var token *string
	for pages := 1; ; pages++ {
		out, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r"), Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Targets) > 2 || pages > 2 {
			t.Fatalf("page %d: %d targets", pages, len(out.Targets))
		}
		for _, tg := range out.Targets {
			ids = append(ids, aws.ToString(tg.Id))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if strings.Join(ids, ",") != "t1,t2,t3" {
		t.Fatalf("targets over the pages: %v", ids)
	}
}

// TestPutEventsEntryConstraints: an entry's EventBusName is a bus's name or
// ARN of the model's pattern (no '/', at most 1,600 characters), each of
// its Resources at most 2,048 characters and its TraceHeader at most 500;
// the whole request is refused, every failure named. A well-formed name of
// a bus that does not exist stays accepted (and dropped).
func TestPutEventsEntryConstraints(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	entry := func(bus string) ebtypes.PutEventsRequestEntry {
		return ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`), EventBusName: aws.String(bus)}
	}
	const busRule = `satisfy regular expression pattern: (arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[\.\-_A-Za-z0-9]+`
	for _, bus := range []string{"bad name", "aws.partner/acme.com/feed", "arn:aws:events:us-east-1:000000000000:rule/r"} {
		_, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry(bus)}})
		wantConstraint(t, "EventBusName "+bus, err, "entries.1.member.eventBusName", busRule)
	}
	long := strings.Repeat("b", 1601)
	_, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry(long)}})
	wantConstraint(t, "EventBusName of 1,601", err, "entries.1.member.eventBusName", "have length less than or equal to 1600")

	traced := entry("default")
	traced.TraceHeader = aws.String(strings.Repeat("h", 501))
	resourced := entry("default")
	resource := strings.Repeat("r", 2049)
	resourced.Resources = []string{"arn:aws:states:us-east-1:000000000000:execution:m:e", resource}
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry("default"), traced, resourced}})
	wantAPIError(t, "a long TraceHeader and Resource", err, "ValidationException", "2 validation errors detected: "+
		"Value '"+*traced.TraceHeader+"' at 'entries.2.member.traceHeader' failed to satisfy constraint: Member must have length less than or equal to 500; "+
		"Value '"+resource+"' at 'entries.3.member.resources.2.member' failed to satisfy constraint: Member must have length less than or equal to 2048")

	traced.TraceHeader = aws.String(strings.Repeat("h", 500))
	resourced.Resources = []string{strings.Repeat("r", 2048)}
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		entry("arn:aws:events:us-east-1:000000000000:event-bus/default"), entry("no-such-bus"), traced, resourced}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("entries at the limits: %v, %+v", err, out)
	}
}

// TestNextTokenOfAnotherList: a NextToken pages the list it came from; one
// of another operation, or of another bus's rules, is not valid, whatever
// offset it holds.
func TestNextTokenOfAnotherList(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	for _, bus := range []string{"default", "other"} {
		for _, name := range []string{"r1", "r2", "r3"} {
			if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(`{"source":["a"]}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	first, err := c.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(1)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v", err)
	}
	invalid := func(what string, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorMessage() != "The NextToken provided is not valid." {
			t.Errorf("%s: %v, want ValidationException: The NextToken provided is not valid.", what, err)
		}
	}
	_, err = c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NextToken: first.NextToken})
	invalid("ListEventBuses with a ListRules token", err)
	_, err = c.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("other"), NextToken: first.NextToken})
	invalid("ListRules of another bus with the default bus's token", err)
	_, err = c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r1"), NextToken: first.NextToken})
	invalid("ListTargetsByRule with a ListRules token", err)
	next, err := c.ListRules(ctx, &eventbridge.ListRulesInput{Limit: aws.Int32(1), NextToken: first.NextToken})
	if err != nil || len(next.Rules) != 1 || aws.ToString(next.Rules[0].Name) != "r2" {
		t.Fatalf("the token on its own list: %v", err)
	}
}

// TestLengthsCountCharacters: the model's length limits count characters
// (UTF-16 units), not bytes: 300 "é" are 600 bytes but within a 500 limit.
func TestLengthsCountCharacters(t *testing.T) {
	c := client(t, fixedClockBus(t))
	ctx := context.Background()
	out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`),
		Resources: []string{strings.Repeat("é", 1100)}, TraceHeader: aws.String(strings.Repeat("é", 300)),
	}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("entry within the limits counted in characters: %v", err)
	}
	_, err = c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`), TraceHeader: aws.String(strings.Repeat("😀", 251)),
	}}})
	wantConstraint(t, "251 emoji (502 units)", err, "entries.1.member.traceHeader", "have length less than or equal to 500")
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":["a"]}`),
		Description: aws.String(strings.Repeat("é", 512))}); err != nil {
		t.Errorf("a 512-character description of 1,024 bytes: %v", err)
	}
}
