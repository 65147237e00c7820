package eventbus

import (
	"testing"
	"time"
)

// The expressions AWS accepts and refuses, as LocalStack recorded them
// against AWS (test_events_schedule.py: tests_put_rule_with_schedule_cron,
// tests_put_rule_with_invalid_schedule_cron,
// test_put_rule_with_invalid_schedule_rate).
func TestParseScheduleAcceptsAndRefusesAsAWS(t *testing.T) {
	for _, ok := range []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(2 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 2 ? * SAT *)", "cron(0 12 * * ? *)", "cron(5,35 14 * * ? *)", "cron(15 10 ? * 6L 2002-2005)",
		"cron(0 2 ? * SAT#3 *)", "cron(* * ? * SAT#3 *)", "cron(0/5 5 ? JAN 1-5 2022)", "cron(0 10 * * ? *)",
		"cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)", "cron(0/15 * * * ? *)",
		"cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0/30 20-23 ? * MON-FRI *)",
		"cron(0/30 0-2 ? * MON-FRI *)", "cron(0 20 * * ? *)", "cron(0 9 L * ? *)", "cron(0 9 15W * ? *)", "cron(0 9 LW * ? *)",
		"cron(1/10 * * * ? *)", "cron(* * ? * mon-sun *)",
	} {
		if _, err := parseSchedule(ok); err != nil {
			t.Errorf("%s: refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)", "rate(10 minute)",
		"rate(10 hour)", "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)", "rate(foo minutes)", "rate(0 minutes)",
		"rate(-10 minutes)", "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
		"cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)", "cron(71 8 1 * ? *)",
		"cron(0 1 ? * ? *)", "cron(0 24 * * ? *)", "cron(0 1 32 * ? *)", "cron(0 1 ? 13 * *)", "cron(0 1 ? * 8 *)",
		"cron(0 1 * * ? 1969)", "cron(0 1 * * ? 2200)", "cron(0/0 * * * ? *)", "cron(0 1 ? * MON#6 *)", "cron(0 1 * * ?)",
		"at(2026-01-01T00:00:00)", "",
	} {
		if _, err := parseSchedule(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleNextFiringTimes(t *testing.T) {
	created := utc("2026-03-02T10:00:30Z") // a Monday
	for _, tc := range []struct {
		expr, after string
		want        []string // the next firings, in order
	}{
		// A rate counts from when the rule was put.
		{"rate(5 minutes)", "2026-03-02T10:00:30Z", []string{"2026-03-02T10:05:30Z", "2026-03-02T10:10:30Z"}},
		{"rate(1 day)", "2026-03-02T10:00:30Z", []string{"2026-03-03T10:00:30Z"}},
		{"cron(0/15 * * * ? *)", "2026-03-02T10:00:30Z", []string{"2026-03-02T10:15:00Z", "2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z", "2026-03-02T11:00:00Z"}},
		{"cron(1/10 * * * ? *)", "2026-03-02T10:00:30Z", []string{"2026-03-02T10:01:00Z", "2026-03-02T10:11:00Z"}},
		{"cron(5,35 14 * * ? *)", "2026-03-02T14:10:00Z", []string{"2026-03-02T14:35:00Z", "2026-03-03T14:05:00Z"}},
		{"cron(0 18 ? * MON-FRI *)", "2026-03-06T18:00:00Z", []string{"2026-03-09T18:00:00Z"}}, // Friday 18:00 -> Monday
		{"cron(0 2 ? * SAT#3 *)", "2026-03-02T00:00:00Z", []string{"2026-03-21T02:00:00Z", "2026-04-18T02:00:00Z"}},
		{"cron(15 10 ? * 6L *)", "2026-03-02T00:00:00Z", []string{"2026-03-27T10:15:00Z", "2026-04-24T10:15:00Z"}}, // last Fridays
		{"cron(0 9 L * ? *)", "2026-02-01T00:00:00Z", []string{"2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z"}},
		// 2026-08-15 is a Saturday: the nearest weekday is Friday the 14th;
		// 2026-11-01 is a Sunday and 1W may not leave the month: Monday the 2nd.
		{"cron(0 9 15W * ? *)", "2026-08-01T00:00:00Z", []string{"2026-08-14T09:00:00Z"}},
		{"cron(0 9 1W * ? *)", "2026-10-02T00:00:00Z", []string{"2026-11-02T09:00:00Z"}},
		// The last weekday of May 2026 (the 31st is a Sunday): Friday the 29th.
		{"cron(0 9 LW * ? *)", "2026-05-01T00:00:00Z", []string{"2026-05-29T09:00:00Z"}},
		{"cron(0 0 29 2 ? *)", "2026-01-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"cron(0 0 ? * SAT-MON *)", "2026-03-02T00:00:00Z", []string{"2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z"}},
		{"cron(0/5 5 ? JAN 1-5 2022)", "2026-01-01T00:00:00Z", nil}, // in the past: never again
	} {
		s, err := parseSchedule(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		anchor, at := created, utc(tc.after)
		for i, want := range tc.want {
			got, ok := s.next(anchor, at)
			if !ok || !got.Equal(utc(want)) {
				t.Fatalf("%s firing %d after %s: %s (ok %v), want %s", tc.expr, i+1, at.Format(time.RFC3339), got.Format(time.RFC3339), ok, want)
			}
			anchor, at = got, got
		}
		if tc.want == nil {
			if got, ok := s.next(anchor, at); ok {
				t.Fatalf("%s fires at %s, want never", tc.expr, got)
			}
		}
	}
	// A rate that missed firings (the stack was down) resumes on its beat.
	s, _ := parseSchedule("rate(5 minutes)")
	if got, _ := s.next(utc("2026-03-02T10:05:30Z"), utc("2026-03-02T11:02:00Z")); !got.Equal(utc("2026-03-02T11:05:30Z")) {
		t.Fatalf("after a gap: %s", got)
	}
}

// Any expression is accepted or refused without a panic, and an accepted
// one's next firing comes after the time asked about, on a whole minute.
func FuzzParseSchedule(f *testing.F) {
	for _, seed := range []string{"rate(5 minutes)", "cron(0/15 * * * ? *)", "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)",
		"cron(0 9 LW * ? *)", "cron(0 9 15W * ? *)", "cron(0 0 ? * SAT-MON *)", "cron(5,35 14 * * ? *)", "cron(0 0 31 2 ? *)"} {
		f.Add(seed)
	}
	at := utc("2026-03-02T10:00:30Z")
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := parseSchedule(expr)
		if err != nil {
			return
		}
		next, ok := s.next(at, at)
		if !ok {
			return
		}
		if !next.After(at) {
			t.Fatalf("%s: next %s is not after %s", expr, next, at)
		}
		if _, cron := s.(*cronSchedule); cron && (next.Second() != 0 || next.Nanosecond() != 0) {
			t.Fatalf("%s: next %s is not on a minute", expr, next)
		}
	})
}
