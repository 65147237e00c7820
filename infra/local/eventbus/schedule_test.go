package eventbus_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/sqlitedb"
)

// fakeClock is a manual eventbus.Clock: time moves only by Advance, which
// fires the timers that fall due.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
	armed  int // how many timers were ever made: the scheduler makes one each time it sleeps
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(start time.Time) *fakeClock {
	return &fakeClock{now: start, timers: map[*fakeTimer]bool{}}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed++
	t := &fakeTimer{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t.ch, func() {}
	}
	c.timers[t] = true
	return t.ch, func() {
		c.mu.Lock()
		delete(c.timers, t)
		c.mu.Unlock()
	}
}

// Advance moves the clock by d and fires the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
			delete(c.timers, t)
		}
	}
}

func (c *fakeClock) armedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armed
}

// settle advances the clock by d and waits until the scheduler has run and
// gone back to sleep.
func (c *fakeClock) settle(t *testing.T, d time.Duration) {
	t.Helper()
	before := c.armedCount()
	c.Advance(d)
	eventually(t, "the scheduler to run and sleep again", func() bool { return c.armedCount() > before })
}

func clockBus(t *testing.T, path string, f *fakeTargets, clock eventbus.Clock) *eventbus.Bus {
	t.Helper()
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	b, err := eventbus.New(context.Background(), db, eventbus.Options{Logger: quiet(), Clock: clock,
		RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}, f, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A scheduled rule sends its targets AWS's "Scheduled Event" when its
// schedule is due on the bus's clock, never before, and not while disabled.
func TestScheduledRuleFiresOnTheFakeClock(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
	clock := newFakeClock(start)
	f := newFake()
	b := clockBus(t, filepath.Join(t.TempDir(), "s.db"), f, clock)
	c := client(t, b)
	ctx := context.Background()
	out, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("every-5"), ScheduleExpression: aws.String("rate(5 minutes)")})
	if err != nil {
		t.Fatal(err)
	}
	ruleARN := aws.ToString(out.RuleArn)
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("every-5"), Targets: []ebtypes.Target{
		{Id: aws.String("whole"), Arn: aws.String(queueARN("scheduled"))},
		{Id: aws.String("constant"), Arn: aws.String(queueARN("scheduled-input")), Input: aws.String(`{"custom-value":"somecustominput"}`)},
	}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("every-5")})
	if err != nil || aws.ToString(d.ScheduleExpression) != "rate(5 minutes)" || d.EventPattern != nil {
		t.Fatalf("DescribeRule: %+v %v", d, err)
	}
	b.Start(ctx)
	defer b.Close()
	eventually(t, "the scheduler asleep", func() bool { return clock.armedCount() > 0 })

	clock.Advance(4*time.Minute + 59*time.Second) // no timer falls due: the scheduler sleeps on
	if n := f.count(f.got, queueARN("scheduled")); n != 0 {
		t.Fatalf("%d events 1 s before the rule is due", n)
	}
	clock.settle(t, time.Second)
	eventually(t, "the scheduled event", func() bool {
		return f.count(f.got, queueARN("scheduled")) == 1 && f.count(f.got, queueARN("scheduled-input")) == 1
	})
	var ev map[string]json.RawMessage
	if err := json.Unmarshal([]byte(f.first(queueARN("scheduled"))), &ev); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": `"0"`, "detail-type": `"Scheduled Event"`, "source": `"aws.events"`, "account": `"000000000000"`,
		"time": `"2026-03-02T10:05:30Z"`, "region": `"us-east-1"`, "resources": `["` + ruleARN + `"]`, "detail": `{}`}
	for k, v := range want {
		if string(ev[k]) != v {
			t.Errorf("%s: %s, want %s", k, ev[k], v)
		}
	}
	if len(ev["id"]) != 38 {
		t.Errorf("id %s: want a UUID", ev["id"])
	}
	if got := f.first(queueARN("scheduled-input")); got != `{"custom-value":"somecustominput"}` {
		t.Errorf("a target with Input received %s", got)
	}

	// Disabled, the rule does not fire; enabled again, it does, on its beat.
	if _, err := c.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("every-5")}); err != nil {
		t.Fatal(err)
	}
	clock.settle(t, 5*time.Minute)
	if _, err := c.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("every-5")}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(f.got, queueARN("scheduled")); n != 1 {
		t.Fatalf("%d events: the disabled rule fired", n)
	}
	clock.settle(t, 5*time.Minute)
	eventually(t, "the next scheduled event", func() bool { return f.count(f.got, queueARN("scheduled")) == 2 })
	f.mu.Lock()
	second := f.got[queueARN("scheduled")][1]
	f.mu.Unlock()
	if err := json.Unmarshal([]byte(second), &ev); err != nil || string(ev["time"]) != `"2026-03-02T10:15:30Z"` {
		t.Fatalf("second scheduled event: %s", second)
	}

	// Events put on the bus never reach a scheduled rule's targets.
	putTestEvent(t, c)
	if rs, _ := b.Recent(ctx, 1); len(rs) != 1 || len(rs[0].Matched) != 0 {
		t.Fatalf("a put event matched a scheduled rule: %+v", rs)
	}
}

func TestCronRuleFiresAtItsMinutes(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 2, 10, 7, 12, 0, time.UTC))
	f := newFake()
	b := clockBus(t, filepath.Join(t.TempDir(), "s.db"), f, clock)
	c := client(t, b)
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("quarter"), ScheduleExpression: aws.String("cron(0/15 * * * ? *)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("quarter"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("cron"))}}}); err != nil {
		t.Fatal(err)
	}
	b.Start(ctx)
	defer b.Close()
	eventually(t, "the scheduler asleep", func() bool { return clock.armedCount() > 0 })
	clock.Advance(7*time.Minute + 47*time.Second) // 10:14:59: no timer falls due
	if n := f.count(f.got, queueARN("cron")); n != 0 {
		t.Fatalf("%d events before 10:15", n)
	}
	clock.settle(t, time.Second) // 10:15:00
	eventually(t, "the 10:15 event", func() bool { return f.count(f.got, queueARN("cron")) == 1 })
	var ev struct{ Time string }
	if err := json.Unmarshal([]byte(f.first(queueARN("cron"))), &ev); err != nil || ev.Time != "2026-03-02T10:15:00Z" {
		t.Fatalf("cron event: %s", f.first(queueARN("cron")))
	}
}

// A scheduled rule's next firing is kept in the state file: after a
// restart the rule fires when it was due, not a whole period later.
func TestScheduleSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	clock := newFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	f := newFake()
	b := clockBus(t, path, f, clock)
	c := client(t, b)
	ctx := context.Background()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("hourly"), ScheduleExpression: aws.String("rate(1 hour)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("hourly"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("hourly"))}}}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(40 * time.Minute)
	b2 := clockBus(t, path, f, clock)
	r, err := b2.Rule("default", "hourly")
	if err != nil || !r.NextFire.Equal(time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("after restart: next firing %s, %v", r.NextFire, err)
	}
	b2.Start(ctx)
	defer b2.Close()
	eventually(t, "the scheduler asleep", func() bool { return clock.armedCount() > 0 })
	clock.settle(t, 20*time.Minute)
	eventually(t, "the 11:00 event", func() bool { return f.count(f.got, queueARN("hourly")) == 1 })
}

func TestScheduleExpressionErrorsAsAWS(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("custom")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("custom"), ScheduleExpression: aws.String("rate(1 minute)")})
	wantAPIError(t, "a schedule on a custom bus", err, "ValidationException", "ScheduleExpression is supported only on the default event bus.")
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r")})
	wantAPIError(t, "neither pattern nor schedule", err, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	for _, bad := range []string{"rate(1 minutes)", "cron(0 1 * * * *)", "cron(71 8 1 * ? *)"} {
		_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), ScheduleExpression: aws.String(bad)})
		wantAPIError(t, bad, err, "ValidationException", "Parameter ScheduleExpression is not valid.")
	}
	l, err := c.ListRules(ctx, &eventbridge.ListRulesInput{})
	if err != nil || len(l.Rules) != 0 {
		t.Fatalf("refused rules were stored: %+v %v", l.Rules, err)
	}
}
