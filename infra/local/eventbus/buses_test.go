package eventbus_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func TestEventBusesHaveTimesAndCanBeDeleted(t *testing.T) {
	b := fixedClockBus(t) // 2026-11-25T10:00:00Z
	c := client(t, b)
	ctx := context.Background()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders"), Description: aws.String("order events")}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if d.CreationTime == nil || !d.CreationTime.Equal(clock) || d.LastModifiedTime == nil || !d.LastModifiedTime.Equal(clock) ||
		aws.ToString(d.Description) != "order events" {
		t.Fatalf("DescribeEventBus: created %v, modified %v, description %q", d.CreationTime, d.LastModifiedTime, aws.ToString(d.Description))
	}
	l, err := c.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("ord")})
	if err != nil || len(l.EventBuses) != 1 {
		t.Fatalf("ListEventBuses: %+v %v", l, err)
	}
	if e := l.EventBuses[0]; e.CreationTime == nil || !e.CreationTime.Equal(clock) || e.LastModifiedTime == nil ||
		aws.ToString(e.Arn) != "arn:aws:events:eu-west-2:123456789012:event-bus/orders" {
		t.Fatalf("listed bus: %+v", e)
	}

	// A bus with a rule can't be deleted (AWS: "EventBus can't be deleted
	// since it has rules."); without, it can, and then it is gone.
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders"), EventPattern: aws.String(testPattern)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")})
	wantAPIError(t, "DeleteEventBus with a rule", err, "ValidationException", "EventBus can't be deleted since it has rules.")
	if _, err := c.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String("orders")})
	wantAPIError(t, "DescribeEventBus after delete", err, "ResourceNotFoundException", "Event bus orders does not exist.")
	// Deleting it again, or a bus that never was, succeeds (LocalStack's
	// test_describe_delete_not_existing_event_bus, recorded against AWS).
	if _, err := c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatalf("second DeleteEventBus: %v", err)
	}
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("default")})
	wantAPIError(t, "DeleteEventBus default", err, "ValidationException", "Cannot delete event bus default.")

	// The bus may be made again.
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("orders")}); err != nil {
		t.Fatalf("re-create: %v", err)
	}
}

func TestBusTimesSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	b := openBus(t, path, newFake())
	before := time.Now().Add(-time.Second)
	if _, err := client(t, b).CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	d, err := client(t, openBus(t, path, newFake())).DescribeEventBus(context.Background(), &eventbridge.DescribeEventBusInput{Name: aws.String("kept")})
	if err != nil || d.CreationTime == nil || d.CreationTime.Before(before) || d.CreationTime.After(time.Now()) {
		t.Fatalf("after restart: %+v %v", d, err)
	}
}

// PutEvents accepts an entry for a bus that does not exist, with an
// EventId, and delivers it nowhere (LocalStack's
// test_put_events_nonexistent_event_bus, recorded against AWS).
func TestPutEventsToAnUnknownBusIsAcceptedAndDropped(t *testing.T) {
	f := newFake()
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), f)
	b.Start(context.Background())
	defer b.Close()
	c := client(t, b)
	putRule(t, c, "r")
	if _, err := c.PutTargets(context.Background(), &eventbridge.PutTargetsInput{Rule: aws.String("r"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN("default-bus"))}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("loanflow.test"), DetailType: aws.String("d"), Detail: aws.String(`{"to":"default"}`)},
		{Source: aws.String("loanflow.test"), DetailType: aws.String("d"), Detail: aws.String(`{"to":"nowhere"}`), EventBusName: aws.String("nowhere")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 || aws.ToString(out.Entries[0].EventId) == "" || aws.ToString(out.Entries[1].EventId) == "" {
		t.Fatalf("PutEvents: %d failed, entries %+v", out.FailedEntryCount, out.Entries)
	}
	eventually(t, "the default bus's event", func() bool { return f.count(f.got, queueARN("default-bus")) == 1 })
	if rs := recentEvents(t, b); len(rs) != 1 || string(rs[0].Detail) != `{"to":"default"}` {
		t.Fatalf("recorded events: %+v", rs)
	}
}
