package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"loanflow/events"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/localtest"
	"loanflow/infra/local/sqlitedb"
)

// fakeTargets records deliveries; failFor makes a target ARN fail.
type fakeTargets struct {
	mu      sync.Mutex
	got     map[string][]string
	failFor map[string]bool
	dlq     map[string][]map[string]string
}

func newFake() *fakeTargets {
	return &fakeTargets{got: map[string][]string{}, failFor: map[string]bool{}, dlq: map[string][]map[string]string{}}
}

func (f *fakeTargets) Deliver(_ context.Context, arn string, event []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor[arn] {
		return errors.New("target unavailable")
	}
	f.got[arn] = append(f.got[arn], string(event))
	return nil
}

func (f *fakeTargets) SendToDLQ(_ context.Context, arn string, event []byte, attrs map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dlq[arn] = append(f.dlq[arn], attrs)
	return nil
}

func (f *fakeTargets) count(m map[string][]string, arn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(m[arn])
}

func (f *fakeTargets) dlqCount(arn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dlq[arn])
}

func quiet() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

func openBus(t *testing.T, path string, f *fakeTargets) *eventbus.Bus {
	t.Helper()
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	b, err := eventbus.New(context.Background(), db, eventbus.Options{Logger: quiet(), RetryBase: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond}, f, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func client(t *testing.T, b *eventbus.Bus) *eventbridge.Client {
	srv := httptest.NewServer(awsjson.NewMux(quiet(), b.Service()))
	t.Cleanup(srv.Close)
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
	})
}

// eventually fails t unless cond holds within 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	localtest.Eventually(t, 5*time.Second, what, func() (bool, string) { return cond(), "" })
}

const lambdaARN = "arn:aws:lambda:us-east-1:000000000000:function:valuation-callback"
const dlqARN = "arn:aws:sqs:us-east-1:000000000000:callback-dlq"

func setup(t *testing.T, c *eventbridge.Client) {
	ctx := context.Background()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("loanflow-valuations")}); err != nil {
		t.Fatal(err)
	}
	rules, err := events.Rules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(r.Name), EventBusName: aws.String("loanflow-valuations"),
			EventPattern: aws.String(string(r.Pattern))}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Name), EventBusName: aws.String("loanflow-valuations"),
			Targets: []ebtypes.Target{{Id: aws.String("resolver"), Arn: aws.String(lambdaARN),
				RetryPolicy:      &ebtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(2), MaximumEventAgeInSeconds: aws.Int32(60)},
				DeadLetterConfig: &ebtypes.DeadLetterConfig{Arn: aws.String(dlqARN)}}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func sampleEntries(t *testing.T, name string) []ebtypes.PutEventsRequestEntry {
	es, err := events.Sample(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []ebtypes.PutEventsRequestEntry
	for _, e := range es {
		out = append(out, ebtypes.PutEventsRequestEntry{Source: aws.String(e.Source), DetailType: aws.String(e.DetailType),
			Detail: aws.String(e.Detail), EventBusName: aws.String(e.EventBusName)})
	}
	return out
}

func TestPutEventsDeliversMatchedEventsToTheTarget(t *testing.T) {
	f := newFake()
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	b.Start(context.Background())
	defer b.Close()
	c := client(t, b)
	setup(t, c)
	ctx := context.Background()
	for _, s := range []string{events.SampleCompleted, events.SampleFailed, events.SampleInvalid} {
		out, err := c.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: sampleEntries(t, s)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" {
			t.Fatalf("%s: %+v", s, out.Entries)
		}
	}
	eventually(t, "two deliveries", func() bool { return f.count(f.got, lambdaARN) == 2 })
	var env eventbus.Event
	if err := json.Unmarshal([]byte(f.got[lambdaARN][0]), &env); err != nil {
		t.Fatal(err)
	}
	if env.Source != "loanflow.valuations" || env.Account != "000000000000" || env.ID == "" || !json.Valid(env.Detail) {
		t.Fatalf("envelope: %+v", env)
	}
	recent, err := b.Recent(ctx, 10)
	if err != nil || len(recent) != 3 {
		t.Fatalf("recent: %v %v", recent, err)
	}
	if len(recent[0].Matched) != 0 { // newest first: the invalid sample matched nothing
		t.Fatalf("invalid sample matched %v", recent[0].Matched)
	}
	if len(recent[1].Matched) != 1 || recent[1].Matched[0] != "valuation-failed" {
		t.Fatalf("failed sample matched %v", recent[1].Matched)
	}
}

func TestExhaustedRetriesEndInTheDLQ(t *testing.T) {
	f := newFake()
	f.failFor[lambdaARN] = true
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	b.Start(context.Background())
	defer b.Close()
	c := client(t, b)
	setup(t, c)
	if _, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: sampleEntries(t, events.SampleCompleted)}); err != nil {
		t.Fatal(err)
	}
	// The DLQ gets the event first; the failure is recorded and the pending
	// delivery removed just after.
	eventually(t, "dead-lettered and settled", func() bool {
		n, _ := b.Pending(context.Background())
		failed, _ := b.Failed(context.Background(), 10)
		return f.dlqCount(dlqARN) == 1 && n == 0 && len(failed) == 1
	})
	if a := f.dlq[dlqARN][0]["RETRY_ATTEMPTS"]; a != "2" {
		t.Fatalf("RETRY_ATTEMPTS = %s, want 2", a)
	}
	failed, err := b.Failed(context.Background(), 10)
	if err != nil || len(failed) != 1 || failed[0].Attempts != 3 || !strings.Contains(failed[0].Error, "target unavailable") {
		t.Fatalf("failed: %+v %v", failed, err)
	}
	if n, _ := b.Pending(context.Background()); n != 0 {
		t.Fatalf("%d deliveries still pending", n)
	}
}

func TestPendingDeliveriesSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	f := newFake()
	b := openBus(t, path, f)
	c := client(t, b)
	setup(t, c)
	// Not started: the event is accepted and stored, but not yet delivered.
	if _, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: sampleEntries(t, events.SampleCompleted)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Pending(context.Background()); n != 1 {
		t.Fatalf("pending = %d", n)
	}
	b2 := openBus(t, path, f)
	b2.Start(context.Background())
	defer b2.Close()
	eventually(t, "delivery after restart", func() bool { return f.count(f.got, lambdaARN) == 1 })
}

func TestPutEventsRejectsBadEntriesOneByOne(t *testing.T) {
	f := newFake()
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	c := client(t, b)
	setup(t, c)
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`not json`)},
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`), EventBusName: aws.String("nope")},
		{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{"a":1}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// An entry for a bus that does not exist is accepted (and dropped), as on AWS.
	if out.FailedEntryCount != 1 || aws.ToString(out.Entries[0].ErrorCode) != "MalformedDetail" ||
		aws.ToString(out.Entries[1].EventId) == "" || aws.ToString(out.Entries[2].EventId) == "" {
		t.Fatalf("%+v", out.Entries)
	}
	many := make([]ebtypes.PutEventsRequestEntry, 11)
	for i := range many {
		many[i] = ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String(`{}`)}
	}
	_, err = c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: many})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("11 entries: %v", err)
	}
}

func TestTestEventPatternAndInvalidPatterns(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	ev := `{"id":"1","account":"000000000000","source":"loanflow.valuations","time":"2026-11-25T10:00:00Z","region":"us-east-1","resources":[],"detail-type":"Valuation Completed","detail":{"callbackId":"abc"}}`
	out, err := c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(ev),
		EventPattern: aws.String(`{"source":["loanflow.valuations"],"detail":{"callbackId":[{"prefix":"a"}]}}`)})
	if err != nil || !out.Result {
		t.Fatalf("match: %v %v", out, err)
	}
	out, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(ev), EventPattern: aws.String(`{"source":["other"]}`)})
	if err != nil || out.Result {
		t.Fatalf("no-match: %v %v", out, err)
	}
	_, err = c.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{Event: aws.String(ev), EventPattern: aws.String(`{"source":"not-an-array"}`)})
	var ipe *ebtypes.InvalidEventPatternException
	if !errors.As(err, &ipe) {
		t.Fatalf("invalid pattern: want InvalidEventPatternException, got %v", err)
	}
	_, err = c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String(`{"source":[{"nope":1}]}`)})
	if !errors.As(err, &ipe) {
		t.Fatalf("PutRule invalid pattern: got %v", err)
	}
	_, err = c.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("missing")})
	var rnf *ebtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("missing rule: %v", err)
	}
}

func TestListAndDescribe(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	setup(t, c)
	ctx := context.Background()
	buses, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	if err != nil || len(buses.EventBuses) != 2 {
		t.Fatalf("buses: %+v %v", buses, err)
	}
	rules, err := c.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: aws.String("loanflow-valuations")})
	if want, _ := events.Rules(); err != nil || len(rules.Rules) != len(want) { // setup puts every rule of events/patterns
		t.Fatalf("rules: %+v %v", rules, err)
	}
	ts, err := c.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("valuation-completed"), EventBusName: aws.String("loanflow-valuations")})
	if err != nil || len(ts.Targets) != 1 || aws.ToString(ts.Targets[0].DeadLetterConfig.Arn) != dlqARN {
		t.Fatalf("targets: %+v %v", ts, err)
	}
	d, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("loanflow-valuations")})
	if err != nil || !strings.HasSuffix(aws.ToString(d.Arn), ":event-bus/loanflow-valuations") {
		t.Fatalf("describe: %+v %v", d, err)
	}
}
