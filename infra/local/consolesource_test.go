package local

import (
	"testing"
	"time"

	"loanflow/consumers/tokenstore"
)

// A PENDING record is of an ended task only when its task was open at
// neither read and the record was written before the first: one written
// since may be for a task that opened after that read (and even closed
// before the second), and one open at either read was waited for while the
// page was built.
func TestTaskEnded(t *testing.T) {
	readAt := time.Date(2026, 12, 5, 16, 0, 0, 0, time.UTC)
	old := readAt.Add(-time.Minute)
	open := map[string]bool{"t": true}
	none := map[string]bool{}
	for _, c := range []struct {
		what          string
		created       time.Time
		before, after map[string]bool
		want          bool
	}{
		{"open at both reads", old, open, open, false},
		{"resolved while the records were read", old, open, none, false},
		{"opened after the first read", old, none, open, false},
		{"open at neither read, written long before", old, none, none, true},
		{"open at neither read, written since the first read", readAt.Add(10 * time.Millisecond), none, none, false},
		{"open at neither read, written just before the first read", readAt.Add(-500 * time.Millisecond), none, none, false},
	} {
		r := tokenstore.Record{TaskToken: "t", CreatedAt: c.created}
		if got := taskEnded(r, c.before, c.after, readAt); got != c.want {
			t.Errorf("%s: ended = %t, want %t", c.what, got, c.want)
		}
	}
}
