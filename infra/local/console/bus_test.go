package console

import (
	"context"
	"strings"
	"testing"
	"time"
)

// busSource is the fake Source that also describes its buses' rules,
// archives and replays.
type busSource struct {
	*fakeSource
	bus BusOverview
}

func (s busSource) EventBus(context.Context) (BusOverview, error) { return s.bus, nil }

func TestOverviewShowsRulesArchivesAndReplays(t *testing.T) {
	src := busSource{fakeSource: newFakeSource(), bus: BusOverview{
		Rules: []BusRule{
			{Bus: "loanflow-valuations", Name: "valuation-completed", State: "ENABLED", Targets: 1},
			{Bus: "default", Name: "nightly-sweep", State: "DISABLED", Schedule: "cron(0 2 * * ? *)", Targets: 2, NextFire: now.Add(16 * time.Hour)},
		},
		Archives: []Archive{{Name: "valuation-callbacks", Bus: "loanflow-valuations", EventCount: 7, RetentionDays: 30}},
		Replays:  []Replay{{Name: "after-incident", Archive: "valuation-callbacks", State: "COMPLETED", Started: now.Add(-5 * time.Minute)}},
	}}
	code, body := get(t, newTestConsole(src, nil), "/")
	if code != 200 {
		t.Fatalf("GET / = %d:\n%s", code, text(body))
	}
	page := text(body)
	mustContain(t, "rules", page, "valuation-completed loanflow-valuations enabled event pattern 1",
		"nightly-sweep default disabled cron(0 2 * * ? *) next in 16h 00m 2")
	mustContain(t, "archives and replays", page, "Archives: valuation-callbacks of loanflow-valuations (7 events, kept 30 days).",
		"Replays: after-incident of valuation-callbacks completed 5m 00s ago.")

	// A Source that does not describe its buses shows no such card.
	_, body = get(t, newTestConsole(newFakeSource(), nil), "/")
	if strings.Contains(body, `id="h-rules"`) {
		t.Error("the rules card shows without a BusDescriber")
	}
}
