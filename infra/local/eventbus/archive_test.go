package eventbus_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

const archiveBus = "callbacks"

func archiveBusARN(bus string) string {
	return "arn:aws:events:us-east-1:000000000000:event-bus/" + bus
}

// ruleOn puts a rule matching testPattern on bus with one queue target.
func ruleOn(t *testing.T, c *eventbridge.Client, bus, name, queue string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(testPattern)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(queueARN(queue))}}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.RuleArn)
}

func putOn(t *testing.T, c *eventbridge.Client, bus, source, detail string) string {
	t.Helper()
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(source), DetailType: aws.String("Loan Tested"), Detail: aws.String(detail), EventBusName: aws.String(bus)}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events: %+v %v", out, err)
	}
	return aws.ToString(out.Entries[0].EventId)
}

func (f *fakeTargets) all(arn string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[arn]...)
}

// An archive keeps the bus's events its pattern matches, durably; a
// replay sends them again, with "replay-name", to the rules it names (or
// all of them); a replayed event is not archived again.
func TestArchiveAndReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	f := newFake()
	b := openBus(t, path, f)
	c := client(t, b)
	ctx := context.Background()
	if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(archiveBus)}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	created, err := c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("kept"), EventSourceArn: aws.String(archiveBusARN(archiveBus)),
		Description: aws.String("callbacks, for replay"), EventPattern: aws.String(testPattern), RetentionDays: aws.Int32(30)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.ArchiveArn) != "arn:aws:events:us-east-1:000000000000:archive/kept" || created.State != ebtypes.ArchiveStateEnabled ||
		created.CreationTime == nil || created.CreationTime.Before(before) {
		t.Fatalf("CreateArchive: %+v", created)
	}
	rule1 := ruleOn(t, c, archiveBus, "first", "first")
	ruleOn(t, c, archiveBus, "second", "second")
	b.Start(ctx)
	ids := []string{putOn(t, c, archiveBus, "loanflow.test", `{"n":1}`), putOn(t, c, archiveBus, "loanflow.test", `{"n":2}`)}
	putOn(t, c, archiveBus, "elsewhere", `{"n":3}`) // not the archive's pattern
	eventually(t, "the first deliveries", func() bool { return len(f.all(queueARN("first"))) == 2 && len(f.all(queueARN("second"))) == 2 })
	b.Close()

	// The archive survives a restart.
	b = openBus(t, path, f)
	c = client(t, b)
	d, err := c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("kept")})
	if err != nil {
		t.Fatal(err)
	}
	if d.EventCount != 2 || d.SizeBytes <= 0 || aws.ToInt32(d.RetentionDays) != 30 || aws.ToString(d.EventPattern) != testPattern ||
		aws.ToString(d.Description) != "callbacks, for replay" || aws.ToString(d.EventSourceArn) != archiveBusARN(archiveBus) || d.State != ebtypes.ArchiveStateEnabled {
		t.Fatalf("DescribeArchive: %+v", d)
	}
	b.Start(ctx)
	defer b.Close()

	start, end := time.Now().Add(-time.Minute), time.Now().Add(time.Minute)
	r, err := c.StartReplay(ctx, &eventbridge.StartReplayInput{ReplayName: aws.String("only-first"), EventSourceArn: created.ArchiveArn,
		EventStartTime: aws.Time(start), EventEndTime: aws.Time(end), Description: aws.String("again"),
		Destination: &ebtypes.ReplayDestination{Arn: aws.String(archiveBusARN(archiveBus)), FilterArns: []string{rule1}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != ebtypes.ReplayStateStarting || aws.ToString(r.ReplayArn) != "arn:aws:events:us-east-1:000000000000:replay/only-first" || r.ReplayStartTime == nil {
		t.Fatalf("StartReplay: %+v", r)
	}
	eventually(t, "the replayed events", func() bool { return len(f.all(queueARN("first"))) == 4 })
	replayed := map[string]bool{}
	for _, body := range f.all(queueARN("first"))[2:] {
		var ev struct {
			ID         string `json:"id"`
			ReplayName string `json:"replay-name"`
			Detail     json.RawMessage
		}
		if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.ReplayName != "only-first" {
			t.Fatalf("replayed event: %s", body)
		}
		replayed[ev.ID] = true
	}
	if !replayed[ids[0]] || !replayed[ids[1]] {
		t.Fatalf("replayed ids %v, want the archived %v", replayed, ids)
	}
	eventually(t, "the replay completed", func() bool {
		d, err := c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("only-first")})
		return err == nil && d.State == ebtypes.ReplayStateCompleted && d.ReplayEndTime != nil && d.EventLastReplayedTime != nil
	})
	dr, err := c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("only-first")})
	if err != nil || aws.ToString(dr.Description) != "again" || aws.ToString(dr.EventSourceArn) != aws.ToString(created.ArchiveArn) ||
		dr.Destination == nil || len(dr.Destination.FilterArns) != 1 || dr.Destination.FilterArns[0] != rule1 ||
		dr.EventStartTime == nil || dr.EventStartTime.Sub(start).Abs() > time.Millisecond {
		t.Fatalf("DescribeReplay: %+v %v", dr, err)
	}
	if n := len(f.all(queueARN("second"))); n != 2 {
		t.Fatalf("a rule the replay does not name received %d events", n)
	}

	// Without FilterArns, every rule of the bus gets the events again.
	if _, err := c.StartReplay(ctx, &eventbridge.StartReplayInput{ReplayName: aws.String("all"), EventSourceArn: created.ArchiveArn,
		EventStartTime: aws.Time(start), EventEndTime: aws.Time(end), Destination: &ebtypes.ReplayDestination{Arn: aws.String(archiveBusARN(archiveBus))}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second replay", func() bool { return len(f.all(queueARN("first"))) == 6 && len(f.all(queueARN("second"))) == 4 })
	l, err := c.ListReplays(ctx, &eventbridge.ListReplaysInput{EventSourceArn: created.ArchiveArn})
	if err != nil || len(l.Replays) != 2 || aws.ToString(l.Replays[0].ReplayName) != "all" {
		t.Fatalf("ListReplays: %+v %v", l, err)
	}
	// Replayed events are not archived again.
	if d, err := c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("kept")}); err != nil || d.EventCount != 2 {
		t.Fatalf("after the replays the archive holds %d events, %v", d.EventCount, err)
	}
}

func TestArchiveAndReplayErrorsAsAWS(t *testing.T) {
	b := openBus(t, filepath.Join(t.TempDir(), "s.db"), newFake())
	c := client(t, b)
	ctx := context.Background()
	for _, bus := range []string{archiveBus, "other"} {
		if _, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
			t.Fatal(err)
		}
	}
	in := &eventbridge.CreateArchiveInput{ArchiveName: aws.String("a"), EventSourceArn: aws.String(archiveBusARN(archiveBus))}
	a, err := c.CreateArchive(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateArchive(ctx, in)
	wantAPIError(t, "a second archive of that name", err, "ResourceAlreadyExistsException", "Archive a already exists.")
	_, err = c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("b"), EventSourceArn: aws.String(archiveBusARN("nobus"))})
	wantAPIError(t, "an archive of a bus that does not exist", err, "ResourceNotFoundException", "Event bus nobus does not exist.")
	_, err = c.CreateArchive(ctx, &eventbridge.CreateArchiveInput{ArchiveName: aws.String("c"), EventSourceArn: aws.String(archiveBusARN(archiveBus)),
		EventPattern: aws.String(`{"source":[]}`)})
	wantAPIError(t, "an archive with an invalid pattern", err, "InvalidEventPatternException", "Event pattern is not valid. Reason: Empty arrays are not allowed")
	_, err = c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("nope")})
	wantAPIError(t, "DescribeArchive of an unknown archive", err, "ResourceNotFoundException", "Archive nope does not exist.")
	_, err = c.ListArchives(ctx, &eventbridge.ListArchivesInput{EventSourceArn: aws.String(archiveBusARN("nobus"))})
	wantAPIError(t, "ListArchives of an unknown bus", err, "ResourceNotFoundException", "Event bus nobus does not exist.")
	_, err = c.UpdateArchive(ctx, &eventbridge.UpdateArchiveInput{ArchiveName: aws.String("a")})
	wantAPIError(t, "UpdateArchive of nothing", err, "ValidationException", "At least one of EventPattern, RetentionDays or Description must be provided.")
	up, err := c.UpdateArchive(ctx, &eventbridge.UpdateArchiveInput{ArchiveName: aws.String("a"), RetentionDays: aws.Int32(2), EventPattern: aws.String(testPattern)})
	if err != nil || up.State != ebtypes.ArchiveStateEnabled || aws.ToString(up.ArchiveArn) != aws.ToString(a.ArchiveArn) {
		t.Fatalf("UpdateArchive: %+v %v", up, err)
	}
	if d, err := c.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("a")}); err != nil ||
		aws.ToInt32(d.RetentionDays) != 2 || aws.ToString(d.EventPattern) != testPattern {
		t.Fatalf("after UpdateArchive: %+v %v", d, err)
	}
	_, err = c.UpdateArchive(ctx, &eventbridge.UpdateArchiveInput{ArchiveName: aws.String("nope"), RetentionDays: aws.Int32(2)})
	wantAPIError(t, "UpdateArchive of an unknown archive", err, "ResourceNotFoundException", "Archive nope does not exist.")
	// The archive counts as a rule of its bus.
	_, err = c.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(archiveBus)})
	wantAPIError(t, "DeleteEventBus of a bus with an archive", err, "ValidationException", "EventBus can't be deleted since it has rules.")

	now := time.Now()
	replay := func(name, archiveARN, dest string, start, end time.Time) error {
		_, err := c.StartReplay(ctx, &eventbridge.StartReplayInput{ReplayName: aws.String(name), EventSourceArn: aws.String(archiveARN),
			EventStartTime: aws.Time(start), EventEndTime: aws.Time(end), Destination: &ebtypes.ReplayDestination{Arn: aws.String(dest)}})
		return err
	}
	wantAPIError(t, "a replay that ends before it starts", replay("r", aws.ToString(a.ArchiveArn), archiveBusARN(archiveBus), now, now),
		"ValidationException", "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
	wantAPIError(t, "a replay of an unknown archive", replay("r", "arn:aws:events:us-east-1:000000000000:archive/nope", archiveBusARN(archiveBus), now.Add(-time.Minute), now),
		"ValidationException", "Parameter EventSourceArn is not valid. Reason: Archive nope does not exist.")
	wantAPIError(t, "a replay to another bus", replay("r", aws.ToString(a.ArchiveArn), archiveBusARN("other"), now.Add(-time.Minute), now),
		"ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
	wantAPIError(t, "a replay to a bus that does not exist", replay("r", aws.ToString(a.ArchiveArn), archiveBusARN("nobus"), now.Add(-time.Minute), now),
		"ResourceNotFoundException", "Event bus nobus does not exist.")
	if err := replay("r", aws.ToString(a.ArchiveArn), archiveBusARN(archiveBus), now.Add(-time.Minute), now); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "a second replay of that name", replay("r", aws.ToString(a.ArchiveArn), archiveBusARN(archiveBus), now.Add(-time.Minute), now),
		"ResourceAlreadyExistsException", "Replay r already exists.")
	_, err = c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("nope")})
	wantAPIError(t, "DescribeReplay of an unknown replay", err, "ResourceNotFoundException", "Replay nope does not exist.")

	// The bus is not started: the replay waits, STARTING, and can be
	// cancelled; the scheduler then makes it CANCELLED, and it replays nothing.
	cr, err := c.CancelReplay(ctx, &eventbridge.CancelReplayInput{ReplayName: aws.String("r")})
	if err != nil || cr.State != ebtypes.ReplayStateCancelling {
		t.Fatalf("CancelReplay: %+v %v", cr, err)
	}
	if d, err := c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("r")}); err != nil || d.State != ebtypes.ReplayStateCancelling {
		t.Fatalf("after CancelReplay: %+v %v", d, err)
	}
	b.Start(ctx)
	defer b.Close()
	eventually(t, "the replay cancelled", func() bool {
		d, err := c.DescribeReplay(ctx, &eventbridge.DescribeReplayInput{ReplayName: aws.String("r")})
		return err == nil && d.State == ebtypes.ReplayStateCancelled
	})
	_, err = c.CancelReplay(ctx, &eventbridge.CancelReplayInput{ReplayName: aws.String("r")})
	wantAPIError(t, "CancelReplay of a cancelled replay", err, "IllegalStatusException", "Replay r is not in a valid state for this operation.")

	if _, err := c.DeleteArchive(ctx, &eventbridge.DeleteArchiveInput{ArchiveName: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteArchive(ctx, &eventbridge.DeleteArchiveInput{ArchiveName: aws.String("a")})
	wantAPIError(t, "DeleteArchive of a deleted archive", err, "ResourceNotFoundException", "Archive a does not exist.")
	if l, err := c.ListArchives(ctx, &eventbridge.ListArchivesInput{}); err != nil || len(l.Archives) != 0 {
		t.Fatalf("ListArchives after delete: %+v %v", l, err)
	}
}
