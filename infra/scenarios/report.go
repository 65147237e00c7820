package scenarios

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteResults prints results as a table of expected and actual outcomes
// with median times, then each problem, then a one-line verdict with took.
// It reports whether every scenario ended as expected.
func WriteResults(w io.Writer, results []Result, took time.Duration) (bool, error) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSCENARIO\tLOANS\tEXPECTED\tACTUAL\tMEDIAN\tOK")
	all := true
	for _, r := range results {
		mark := "yes"
		if !r.OK() {
			mark, all = "NO", false
		}
		extra := ""
		if r.Scenario.Counter != "" {
			extra = " + " + strings.TrimPrefix(r.Scenario.Counter, "Callbacks") + " counted"
		}
		if r.Scenario.DeadLetters {
			extra = " + in DLQ"
		}
		fmt.Fprintf(tw, "%s\t%d/%d\t%s%s\t%s\t%s\t%s\n", r.Scenario.Name, r.Passed, len(r.Loans), r.Scenario.Expect, extra, r.Actual(),
			r.Median().Round(10*time.Millisecond), mark)
	}
	if err := tw.Flush(); err != nil {
		return false, fmt.Errorf("write results: %w", err)
	}
	for _, r := range results {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s: %s\n", r.Scenario.Name, p)
		}
	}
	verdict := "Every scenario ended as expected"
	if !all {
		verdict = "Some scenarios did not end as expected"
	}
	if _, err := fmt.Fprintf(w, "\n%s (%s).\n", verdict, took.Round(100*time.Millisecond)); err != nil {
		return false, fmt.Errorf("write results: %w", err)
	}
	return all, nil
}

// Progress shows how many loans of a run have ended: a one-line bar
// redrawn in place on a terminal, a line per tenth of the run otherwise
// (a log file or a pipe). Its Update method is a Runner's Progress.
type Progress struct {
	w        io.Writer
	tty      bool
	lastTick int
}

// NewProgress returns a Progress writing to w, a bar when w is a terminal.
func NewProgress(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		fi, err := f.Stat()
		tty = err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	return &Progress{w: w, tty: tty}
}

// Update shows that done of total loans have ended.
func (p *Progress) Update(done, total int) {
	if total <= 0 {
		return
	}
	if p.tty {
		const width = 30
		n := done * width / total
		fmt.Fprintf(p.w, "\r  [%s%s] %d/%d loans", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		return
	}
	tick := done * 10 / total
	if tick > p.lastTick || done == total {
		p.lastTick = tick
		fmt.Fprintf(p.w, "  %d/%d loans done\n", done, total)
	}
}

// Done ends the bar's line on a terminal.
func (p *Progress) Done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
