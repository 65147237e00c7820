package console

import (
	"context"
	"strings"
	"testing"
)

// activitySource is the fake Source that also lists activities.
type activitySource struct {
	*fakeSource
	acts []Activity
}

func (s activitySource) Activities(context.Context) ([]Activity, error) { return s.acts, nil }

func TestOverviewShowsActivities(t *testing.T) {
	src := activitySource{fakeSource: newFakeSource(), acts: []Activity{
		{Name: "valuer", ARN: "arn:aws:states:us-east-1:000000000000:activity:valuer", Waiting: 2, InProgress: 1},
	}}
	code, body := get(t, newTestConsole(src, nil), "/")
	if code != 200 {
		t.Fatalf("GET / = %d:\n%s", code, text(body))
	}
	mustContain(t, "activities", text(body), "valuer arn:aws:states:us-east-1:000000000000:activity:valuer 2 1")

	// A Source that lists no activities shows no such card.
	_, body = get(t, newTestConsole(newFakeSource(), nil), "/")
	if strings.Contains(body, `id="h-activities"`) {
		t.Error("the activities card shows without an ActivityLister")
	}
}
