package console

import (
	"net/http"
	"strings"
	"testing"
)

// A FIFO queue's page shows its message groups: how many messages each
// holds and which is locked with a message in flight.
func TestQueuePageShowsFIFOGroups(t *testing.T) {
	src := newFakeSource()
	src.queues = append(src.queues, Queue{Name: "claims.fifo", Visible: 2, InFlight: 1, FIFO: true, GroupCount: 3,
		Groups: []QueueGroup{{ID: "loan-7", Messages: 2, InFlight: 1}, {ID: "loan-9", Messages: 1}}})
	code, body := get(t, newTestConsole(src, nil), "/queues/detail?name=claims.fifo")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, text(body))
	}
	mustContain(t, "FIFO queue page", text(body), "claims.fifo FIFO", "Message groups 3", "1 locked in flight · the first 2",
		"loan-7 2 1 locked in flight", "loan-9 1 0 available")

	_, body = get(t, newTestConsole(newFakeSource(), nil), "/queues/detail?name=valuation-requests")
	if strings.Contains(text(body), "Message groups") {
		t.Error("a standard queue's page shows message groups")
	}
}
