package eventbus_test

import (
	"context"
	"encoding/json"
	"go/build"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/sqlitedb"
)

// The twin is generic: its protocol types are its own, so it imports no
// loanflow package outside the local stack's building blocks.
func TestTheTwinImportsNoProjectPackage(t *testing.T) {
	p, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, "loanflow/") && !strings.HasPrefix(imp, "loanflow/infra/local/") {
			t.Errorf("eventbus imports %s", imp)
		}
	}
}

var clock = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func fixedClockBus(t *testing.T) *eventbus.Bus {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	f := newFake()
	b, err := eventbus.New(context.Background(), db, eventbus.Options{Logger: quiet(), AccountID: "123456789012", Region: "eu-west-2",
		Now: func() time.Time { return clock }}, f, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recentEvents returns the events the bus accepted, oldest first.
func recentEvents(t *testing.T, b *eventbus.Bus) []eventbus.Event {
	t.Helper()
	recent, err := b.Recent(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]eventbus.Event, len(recent))
	for i, r := range recent {
		if err := json.Unmarshal([]byte(r.Envelope), &out[len(recent)-1-i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestPutEventsThroughTheSDK(t *testing.T) {
	b := fixedClockBus(t)
	c := client(t, b)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	out, err := c.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("wire.test"), DetailType: aws.String("Timed"), Detail: aws.String(`{"n":1}`), Time: aws.Time(at),
			Resources: []string{"arn:aws:states:eu-west-2:123456789012:execution:m:e"}, TraceHeader: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")},
		{Source: aws.String("wire.test"), DetailType: aws.String("Untimed"), Detail: aws.String(`{"n":2}`), EventBusName: aws.String("default")},
		{Source: aws.String("wire.test"), DetailType: aws.String("Bad"), Detail: aws.String(`[1]`)},
		{Source: aws.String("wire.test"), DetailType: aws.String("Nowhere"), Detail: aws.String(`{}`), EventBusName: aws.String("nope")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 1 || len(out.Entries) != 4 {
		t.Fatalf("FailedEntryCount %d, %d entries; want 1 of 4", out.FailedEntryCount, len(out.Entries))
	}
	if aws.ToString(out.Entries[0].EventId) == "" || aws.ToString(out.Entries[1].EventId) == "" {
		t.Fatalf("accepted entries without an EventId: %+v", out.Entries)
	}
	if e := out.Entries[2]; aws.ToString(e.ErrorCode) != "MalformedDetail" || aws.ToString(e.ErrorMessage) != "Detail is malformed." || e.EventId != nil {
		t.Fatalf("a detail that is no object: %+v", e)
	}
	// An entry for a bus that does not exist is accepted and dropped, as
	// EventBridge does (LocalStack's test_put_events_nonexistent_event_bus).
	if e := out.Entries[3]; aws.ToString(e.EventId) == "" || e.ErrorCode != nil {
		t.Fatalf("an unknown bus: %+v", e)
	}

	evs := recentEvents(t, b)
	if len(evs) != 2 {
		t.Fatalf("%d events recorded, want 2", len(evs))
	}
	timed, untimed := evs[0], evs[1]
	if timed.ID != aws.ToString(out.Entries[0].EventId) || timed.Version != "0" || timed.Source != "wire.test" || timed.DetailType != "Timed" ||
		timed.Account != "123456789012" || timed.Region != "eu-west-2" || string(timed.Detail) != `{"n":1}` {
		t.Fatalf("event: %+v", timed)
	}
	// The SDK sends Time as epoch seconds; the event carries it.
	if timed.Time != "2026-03-04T05:06:07Z" {
		t.Fatalf("time %q, want the entry's 2026-03-04T05:06:07Z", timed.Time)
	}
	if len(timed.Resources) != 1 || timed.Resources[0] != "arn:aws:states:eu-west-2:123456789012:execution:m:e" {
		t.Fatalf("resources %v", timed.Resources)
	}
	if untimed.Time != "2026-11-25T10:00:00Z" || untimed.Resources == nil || len(untimed.Resources) != 0 {
		t.Fatalf("an entry without Time or Resources: time %q (want the call's), resources %#v (want [])", untimed.Time, untimed.Resources)
	}
}

// putEventsRaw posts a PutEvents body as the CLI would and returns the
// status and the decoded answer.
func putEventsRaw(t *testing.T, srv *httptest.Server, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return resp.StatusCode, out
}

func TestPutEventsTimeIsEpochSecondsOrText(t *testing.T) {
	b := fixedClockBus(t)
	srv := httptest.NewServer(awsjson.NewMux(quiet(), b.Service()))
	t.Cleanup(srv.Close)
	entry := func(detailType, time string) string {
		return `{"Source":"wire.test","DetailType":"` + detailType + `","Detail":"{}","Time":` + time + `}`
	}
	status, out := putEventsRaw(t, srv, `{"Entries":[`+entry("Seconds", "1772600767")+`,`+entry("Fraction", "1772600767.75")+`,`+
		entry("Text", `"2026-03-04T05:06:07+01:00"`)+`,`+entry("Unreadable", `"last tuesday"`)+`],"EndpointId":"abcde.veo"}`)
	if status != http.StatusOK || out["FailedEntryCount"] != float64(0) {
		t.Fatalf("status %d, answer %v", status, out)
	}
	if es, _ := out["Entries"].([]any); len(es) != 4 {
		t.Fatalf("answer %v: want 4 entries", out)
	}
	want := map[string]string{
		"Seconds":    "2026-03-04T05:06:07Z",
		"Fraction":   "2026-03-04T05:06:07Z",
		"Text":       "2026-03-04T04:06:07Z",
		"Unreadable": "2026-11-25T10:00:00Z", // text that is no RFC 3339 time: the call's time
	}
	for _, ev := range recentEvents(t, b) {
		if ev.Time != want[ev.DetailType] {
			t.Errorf("%s: time %q, want %q", ev.DetailType, ev.Time, want[ev.DetailType])
		}
	}

	status, out = putEventsRaw(t, srv, `{"Entries":[`+entry("Bool", "true")+`]}`)
	if status != http.StatusBadRequest || !strings.HasSuffix(out["__type"].(string), "SerializationException") ||
		!strings.Contains(out["message"].(string), "Time: must be a timestamp (epoch seconds or RFC 3339)") {
		t.Fatalf("Time true: status %d, answer %v", status, out)
	}
}
