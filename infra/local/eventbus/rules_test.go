package eventbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
)

// apiError returns err's AWS error code and message.
func apiError(t *testing.T, err error) (code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func wantAPIError(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %s %q", what, code, message)
	}
	if c, m := apiError(t, err); c != code || m != message {
		t.Fatalf("%s: %s %q, want %s %q", what, c, m, code, message)
	}
}

// A disabled rule matches nothing; Describe and List show its state; an
// enabled one matches again (LocalStack's test_disable_re_enable_rule).
func TestDisableRuleStopsMatchingAndEnableRuleResumes(t *testing.T) {
	f := newFake()
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	b.Start(context.Background())
	defer b.Close()
	c := client(t, b)
	ctx := context.Background()
	putRule(t, c, "toggled")
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("toggled"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("toggled"))}}}); err != nil {
		t.Fatal(err)
	}
	state := func() (ebtypes.RuleState, ebtypes.RuleState) {
		t.Helper()
		d, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("toggled")})
		if err != nil {
			t.Fatal(err)
		}
		l, err := c.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("toggled")})
		if err != nil || len(l.Rules) != 1 {
			t.Fatalf("list rules: %+v %v", l, err)
		}
		return d.State, l.Rules[0].State
	}
	if _, err := c.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("toggled")}); err != nil {
		t.Fatal(err)
	}
	if d, l := state(); d != ebtypes.RuleStateDisabled || l != ebtypes.RuleStateDisabled {
		t.Fatalf("after DisableRule: Describe %s, List %s", d, l)
	}
	putTestEvent(t, c)
	if _, err := c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("toggled")}); err != nil {
		t.Fatal(err)
	}
	if d, l := state(); d != ebtypes.RuleStateEnabled || l != ebtypes.RuleStateEnabled {
		t.Fatalf("after EnableRule: Describe %s, List %s", d, l)
	}
	putTestEvent(t, c)
	eventually(t, "the event put while enabled", func() bool { return f.count(f.got, queueARN("toggled")) >= 1 })
	// The event put while the rule was disabled matched nothing.
	rs, err := b.Recent(ctx, 10)
	if err != nil || len(rs) != 2 || len(rs[1].Matched) != 0 || len(rs[0].Matched) != 1 {
		t.Fatalf("matches (newest first): %+v %v", rs, err)
	}

	_, err = c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("nope")})
	wantAPIError(t, "EnableRule of an unknown rule", err, "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
}

func TestDeleteRuleAsAWS(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	putRule(t, c, "twice")
	for i := range 2 {
		if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("twice")}); err != nil {
			t.Fatalf("DeleteRule call %d: %v", i+1, err)
		}
	}
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("never-was")}); err != nil {
		t.Fatalf("DeleteRule of a rule that never was: %v", err)
	}
	_, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r"), EventBusName: aws.String("no-such-bus")})
	wantAPIError(t, "DeleteRule on a bus that does not exist", err, "ResourceNotFoundException", "Event bus no-such-bus does not exist.")

	putRule(t, c, "targeted")
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("targeted"),
		Targets: []ebtypes.Target{{Id: aws.String("t"), Arn: aws.String(queueARN("q"))}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("targeted")})
	wantAPIError(t, "DeleteRule with targets", err, "ValidationException", "Rule can't be deleted since it has targets.")
}

func TestDescribeRuleGivesCreatedBy(t *testing.T) {
	b := fixedClockBus(t) // account 123456789012
	c := client(t, b)
	putRule(t, c, "mine")
	out, err := c.DescribeRule(context.Background(), &eventbridge.DescribeRuleInput{Name: aws.String("mine")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CreatedBy) != "123456789012" || aws.ToString(out.EventBusName) != "default" || out.State != ebtypes.RuleStateEnabled {
		t.Fatalf("DescribeRule: CreatedBy %q, bus %q, state %s", aws.ToString(out.CreatedBy), aws.ToString(out.EventBusName), out.State)
	}
}

func TestPutTargetsLimitsAndIDs(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	putRule(t, c, "r")
	targets := func(ids ...string) []ebtypes.Target {
		var ts []ebtypes.Target
		for _, id := range ids {
			ts = append(ts, ebtypes.Target{Id: aws.String(id), Arn: aws.String(queueARN("q"))})
		}
		return ts
	}
	_, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("t0", "t1", "t2", "t3", "t4", "t5")})
	wantAPIError(t, "six targets", err, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("t0", "t1", "t2", "t3")}); err != nil {
		t.Fatal(err)
	}
	// Replacing a target counts once; a fifth is allowed, a sixth is not.
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("t0", "t4")}); err != nil {
		t.Fatalf("fifth target: %v", err)
	}
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("t5")})
	wantAPIError(t, "sixth target", err, "LimitExceededException", "The requested resource exceeds the maximum number allowed.")

	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("!@#$@!#$")})
	wantAPIError(t, "an id outside the pattern", err, "ValidationException",
		`1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_A-Za-z0-9]+`)
	long := strings.Repeat("x", 65)
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets("ok", long)})
	wantAPIError(t, "a 65-character id", err, "ValidationException",
		"1 validation error detected: Value '"+long+"' at 'targets.2.member.id' failed to satisfy constraint: Member must have length less than or equal to 64")
	bad := strings.Repeat("!", 65)
	_, err = c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("r"), Targets: targets(bad)})
	if _, m := apiError(t, err); !strings.HasPrefix(m, "2 validation errors detected: Value '"+bad+"' at 'targets.1.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern") ||
		!strings.HasSuffix(m, "Member must have length less than or equal to 64") {
		t.Fatalf("an id that breaks both rules: %q", m)
	}
	list, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("r")})
	if err != nil || len(list.Targets) != 5 {
		t.Fatalf("targets after the refusals: %d, %v", len(list.Targets), err)
	}
	for i, tg := range list.Targets {
		if aws.ToString(tg.Id) != "t"+strconv.Itoa(i) {
			t.Fatalf("target %d is %s", i, aws.ToString(tg.Id))
		}
	}
}
