package scenarios_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"loanflow/infra/scenarios"
)

// cells marks the table's column breaks (two spaces or more) with "|".
func cells(s string) string {
	return regexp.MustCompile(` {2,}`).ReplaceAllString(s, "|")
}

func TestWriteResultsShowsEachScenarioAndTheVerdict(t *testing.T) {
	all := scenarios.All()
	happy, late, fivexx := all[0], all[5], all[len(all)-1]
	if late.Counter != scenarios.MetricLate || !fivexx.DeadLetters {
		t.Fatalf("catalogue changed: %+v, %+v", late, fivexx)
	}
	ok := []scenarios.Result{
		{Scenario: happy, Passed: 2, Loans: []scenarios.Loan{{Actual: happy.Expect, Took: time.Second}, {Actual: happy.Expect, Took: 3 * time.Second}}},
		{Scenario: late, Passed: 1, Loans: []scenarios.Loan{{Actual: late.Expect, Took: 2 * time.Minute}}},
	}
	var out bytes.Buffer
	passed, err := scenarios.WriteResults(&out, ok, 2500*time.Millisecond)
	if err != nil || !passed {
		t.Fatalf("WriteResults = %v, %v on outcomes all as expected", passed, err)
	}
	for _, want := range []string{
		"\nSCENARIO|LOANS|EXPECTED|ACTUAL|MEDIAN|OK\n",
		// The median of 1 s and 3 s is the upper middle one.
		"\nhappy path|2/2|APPROVED (LTV_WITHIN_POLICY)|APPROVED (LTV_WITHIN_POLICY)|3s|yes\n",
		"\nlate callback|1/1|REFERRED (VALUATION_TIMED_OUT) + Late counted|REFERRED (VALUATION_TIMED_OUT)|2m0s|yes\n",
		"\n\nEvery scenario ended as expected (2.5s).\n",
	} {
		if !strings.Contains(cells(out.String()), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	bad := append(ok, scenarios.Result{Scenario: fivexx, Passed: 0, Problems: []string{"DLQ depth 0, want 1"},
		Loans: []scenarios.Loan{{Err: errors.New("describe: boom")}}})
	out.Reset()
	passed, err = scenarios.WriteResults(&out, bad, time.Minute)
	if err != nil || passed {
		t.Fatalf("WriteResults = %v, %v with a failed scenario", passed, err)
	}
	for _, want := range []string{
		"\nvaluation service 5xx|0/1|FAILED ValuationServiceUnavailable + in DLQ|error: describe: boom|0s|NO\n",
		"\n|valuation service 5xx: DLQ depth 0, want 1\n",
		"\n\nSome scenarios did not end as expected (1m0s).\n",
	} {
		if !strings.Contains(cells(out.String()), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProgressWritesATenthAtATimeOffATerminal(t *testing.T) {
	var out bytes.Buffer
	p := scenarios.NewProgress(&out)
	for done := 1; done <= 20; done++ {
		p.Update(done, 20)
	}
	p.Done()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 || lines[0] != "  2/20 loans done" || lines[9] != "  20/20 loans done" {
		t.Fatalf("progress off a terminal wrote %d lines:\n%s", len(lines), out.String())
	}
	out.Reset()
	p = scenarios.NewProgress(&out)
	p.Update(1, 3)
	p.Update(3, 3)
	if got := out.String(); got != "  1/3 loans done\n  3/3 loans done\n" {
		t.Fatalf("a short run's progress: %q", got)
	}
}
