// Package bench measures the local ASL engine (loanflow/infra/local/asl)
// against baselines taken in the same run, because the machines it runs on
// are noisy: every figure is reported with its baseline and their ratio.
//
// The figures:
//
//   - Engine speed: LoanMapDefinition (an inline Map over 1,000 loan
//     applications through Pass, Choice and intrinsic functions) on our
//     engine and on the npm peer aws-local-stepfunctions 3.0.0, same input,
//     outputs compared as JSON values; runs interleaved; the median ratio
//     peer/ours. Goal: at least 10.
//   - Memory per waiting execution: N executions parked on task tokens;
//     heap and RSS growth over the idle engine, per execution. Goal: at most
//     2 KiB.
//   - Restart to ready with those N waiting: open the file, Start, and
//     complete one execution by SendTaskSuccess; against an empty engine's
//     start. Goal: at most 2 s with 100,000 waiting.
//   - State transitions per second with durable checkpoints, database on
//     disk against the same on tmpfs (the disk's cost).
//   - Whole process (a process per run of the built binary, as a user runs
//     it): `loanflow run-definition` of a one-state Pass machine, median
//     wall and CPU against `loanflow help` (process start and package
//     init), goal at most 20 ms; and the Map above, `loanflow
//     run-definition` against `node run.mjs` running it once, goal at least
//     25 times faster.
//
// Run prints the table; `loanflow bench` calls it. The package's Go
// benchmarks measure each figure on its own (go test -bench . ./infra/local/bench).
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Options select what Run measures and how much.
type Options struct {
	// Quick makes a short run: 10,000 waiting executions instead of
	// 100,000, fewer executions and fewer rounds.
	Quick bool
	// Peer runs the comparison with the npm peer. When node or the package
	// is missing the figure is reported as skipped, not as an error.
	Peer bool
	// Node is the node binary (default "node" on PATH).
	Node string
	// PeerDir is the npm prefix the peer is installed under (default
	// $LOANFLOW_PEER_DIR, else tools/peer at the module root).
	PeerDir string

	// MapItems is the number of loan applications of the Map figure
	// (default MapItems; AWS's 25,000-event history limit caps it near 1,300).
	MapItems int
	// MapRuns is the number of timed, interleaved runs per engine (default
	// 5, quick 3), after one warm-up run each.
	MapRuns int
	// Waiting is the number of executions parked on task tokens (default
	// 100,000, quick 10,000).
	Waiting int
	// Executions is the number of executions per round of the transitions
	// figure (default 20,000, quick 2,000), over TransitionRounds rounds
	// (default 3, quick 1).
	Executions       int
	TransitionRounds int

	// Dir holds the benchmark databases (default the system temporary
	// directory); TmpfsDir the baseline's (default /dev/shm if present).
	Dir      string
	TmpfsDir string

	// Binary is the loanflow executable the whole-process figures run
	// (`loanflow bench` passes itself); "" reports them as skipped.
	Binary string
	// ProcessRuns is the number of timed runs of the one-state machine as a
	// process (default 20, quick 10); the whole-process Map takes MapRuns.
	ProcessRuns int

	// Skip figures: for the Go benchmarks, which measure one at a time.
	SkipMap, SkipWaiting, SkipTransitions, SkipProcess bool
}

func (o Options) withDefaults() Options {
	def := func(v *int, full, quick int) {
		if *v <= 0 {
			*v = full
			if o.Quick {
				*v = quick
			}
		}
	}
	def(&o.MapItems, MapItems, MapItems)
	def(&o.MapRuns, 5, 3)
	def(&o.Waiting, 100000, 10000)
	def(&o.Executions, 20000, 2000)
	def(&o.TransitionRounds, 3, 1)
	def(&o.ProcessRuns, 20, 10)
	o.TmpfsDir = tmpfsDir(o.TmpfsDir)
	return o
}

// Figure is one row of the table.
type Figure struct {
	Name     string
	Value    string // what we measured
	Baseline string // what it is compared with, measured in the same run
	Ratio    string // the comparison, as the row's note explains
	Goal     string // "" when the figure has no goal
	Met      string // "yes", "NO", "skipped" or "-" (no goal)
	Note     string // how to read the ratio, caveats
}

// Report is the outcome of Run: the rows and the measurements behind them
// (nil for figures not measured).
type Report struct {
	Figures     []Figure
	Map         *MapResult
	Waiting     *WaitingResult
	Transitions *TransitionsResult
	Process     *ProcessResult
}

// Run measures the figures opts selects, prints the table to w and returns
// the report. A failed measurement (including a peer whose output differs
// from ours) is an error; a missing peer is not.
func Run(ctx context.Context, opts Options, w io.Writer) (Report, error) {
	opts = opts.withDefaults()
	var rep Report
	dir, err := os.MkdirTemp(opts.Dir, "loanflow-bench-")
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	mode := "full"
	if opts.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "loanflow engine benchmarks (%s run)\n", mode)

	// Memory first, while the process is small and clean.
	if !opts.SkipWaiting {
		fmt.Fprintf(w, "  parking %d executions on task tokens...\n", opts.Waiting)
		wr, err := measureWaiting(ctx, dir, opts.Waiting)
		if err != nil {
			return rep, fmt.Errorf("bench: waiting executions: %w", err)
		}
		rep.Waiting = &wr
		rep.Figures = append(rep.Figures, waitingFigures(wr)...)
	}
	if !opts.SkipTransitions {
		fmt.Fprintf(w, "  running %d executions x %d rounds for transitions/s...\n", opts.Executions, opts.TransitionRounds)
		tr, err := measureTransitions(ctx, dir, opts.TmpfsDir, opts.Executions, opts.TransitionRounds)
		if err != nil {
			return rep, fmt.Errorf("bench: transitions: %w", err)
		}
		rep.Transitions = &tr
		rep.Figures = append(rep.Figures, transitionsFigure(tr))
	}
	if !opts.SkipMap {
		fmt.Fprintf(w, "  running the %d-item Map, %d runs per engine...\n", opts.MapItems, opts.MapRuns)
		mr, err := measureMap(ctx, dir, opts.MapItems, opts.MapRuns, opts.Peer, opts.Node, opts.PeerDir)
		if err != nil {
			return rep, fmt.Errorf("bench: map vs peer: %w", err)
		}
		rep.Map = &mr
		rep.Figures = append(rep.Figures, mapFigure(mr))
	}
	if !opts.SkipProcess {
		if opts.Binary == "" {
			rep.Figures = append(rep.Figures, skippedProcessFigures("no loanflow binary to run (Options.Binary; `loanflow bench` passes itself)")...)
		} else {
			fmt.Fprintf(w, "  running %s run-definition as a process: one state x %d, the %d-item Map x %d per engine...\n", opts.Binary, opts.ProcessRuns, opts.MapItems, opts.MapRuns)
			pr, err := measureProcess(ctx, dir, opts.Binary, opts.ProcessRuns, opts.MapItems, opts.MapRuns, opts.Peer, opts.Node, opts.PeerDir)
			if err != nil {
				return rep, fmt.Errorf("bench: whole process: %w", err)
			}
			rep.Process = &pr
			rep.Figures = append(rep.Figures, processFigures(pr)...)
		}
	}
	if err := WriteTable(w, rep.Figures); err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	return rep, nil
}

// WriteTable prints figures as an aligned table followed by their notes.
func WriteTable(w io.Writer, figures []Figure) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFIGURE\tVALUE\tBASELINE\tRATIO\tGOAL\tMET?")
	for _, f := range figures {
		goal := f.Goal
		if goal == "" {
			goal = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Value, f.Baseline, f.Ratio, goal, f.Met)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	var notes []string
	for _, f := range figures {
		if f.Note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", f.Name, f.Note))
		}
	}
	if len(notes) > 0 {
		if _, err := fmt.Fprintf(w, "\nNotes:\n%s\n", strings.Join(notes, "\n")); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	return nil
}

func mapFigure(m MapResult) Figure {
	f := Figure{
		Name:  fmt.Sprintf("Map of %s loans: engine vs %s %s", thousands(m.Items), PeerPackage, PeerVersion),
		Value: fmtDuration(m.OursMedian),
		Goal:  ">= 10x",
	}
	if m.PeerSkipped != "" {
		f.Baseline, f.Ratio, f.Met = "skipped", "-", "skipped"
		f.Note = "peer skipped: " + m.PeerSkipped
		return f
	}
	f.Baseline = fmtDuration(m.PeerMedian)
	f.Ratio = fmt.Sprintf("%.1fx faster", m.Ratio)
	f.Met = yesNo(m.Ratio >= 10)
	f.Note = fmt.Sprintf("median of %d interleaved runs of peer time / our time (node %s); outputs equal as JSON; ours = start to output read, durable; peer = JSON.parse + run + JSON.stringify in node", m.Runs, m.PeerNode)
	return f
}

func waitingFigures(r WaitingResult) []Figure {
	n := thousands(r.N)
	const goal = 2048
	heap := Figure{
		Name:     fmt.Sprintf("Heap per waiting execution (%s waiting)", n),
		Value:    fmtBytes(r.HeapPerExec),
		Baseline: fmtBytes(float64(r.Idle.Heap)) + " idle",
		Ratio:    fmt.Sprintf("%.2fx idle heap", ratio(float64(r.Parked.Heap), float64(r.Idle.Heap))),
		Goal:     "<= 2 KiB",
		Met:      yesNo(r.HeapPerExec <= goal),
		Note:     fmt.Sprintf("(heap with N waiting - idle heap) / N after GC; %+d goroutines while waiting; parking took %s", r.ExtraGoroutines, fmtDuration(r.Park)),
	}
	rss := Figure{
		Name:     fmt.Sprintf("RSS per waiting execution (%s waiting)", n),
		Value:    fmtBytes(r.RSSPerExec),
		Baseline: fmtBytes(float64(r.Idle.RSS)) + " idle",
		Ratio:    fmt.Sprintf("%.2fx idle RSS", ratio(float64(r.Parked.RSS), float64(r.Idle.RSS))),
		Goal:     "<= 2 KiB",
		Met:      yesNo(r.RSSPerExec <= goal),
		Note:     "(VmRSS with N waiting - idle VmRSS) / N, after GC and FreeOSMemory; includes SQLite's page cache",
	}
	if r.Idle.RSS == 0 {
		rss.Value, rss.Ratio, rss.Met = "unknown", "-", "skipped"
		rss.Note = "no /proc/self/status VmRSS on this system"
	}
	rs := Figure{
		Name:     fmt.Sprintf("Restart to ready (%s waiting)", n),
		Value:    fmtDuration(r.Restart),
		Baseline: fmtDuration(r.EmptyStart) + " empty",
		Ratio:    fmt.Sprintf("%.1fx empty start", ratio(r.Restart.Seconds(), r.EmptyStart.Seconds())),
		Goal:     "<= 2 s at 100,000",
		Met:      yesNo(r.Restart <= 2*time.Second),
		Note:     fmt.Sprintf("open + New + Start (%s) + SendTaskSuccess until that execution closed; baseline = open + New + Start on a database with no executions (median of 3)", fmtDuration(r.RestartStart)),
	}
	if r.N < 100000 {
		rs.Met += " (at " + n + ")"
	}
	return []Figure{heap, rss, rs}
}

func transitionsFigure(t TransitionsResult) Figure {
	f := Figure{
		Name:  "State transitions/s, durable, database on disk",
		Value: fmt.Sprintf("%.0f/s", t.Disk),
		Met:   "-",
		Note:  fmt.Sprintf("%s executions of %d states per round, median of %d rounds; database in %s", thousands(t.Executions), statesPerExecution, t.Rounds, t.DiskDir),
	}
	if t.TmpfsDir == "" {
		f.Baseline, f.Ratio = "no tmpfs", "-"
		return f
	}
	f.Baseline = fmt.Sprintf("%.0f/s tmpfs", t.Tmpfs)
	f.Ratio = fmt.Sprintf("%.2fx tmpfs", ratio(t.Disk, t.Tmpfs))
	f.Note += "; baseline: the same on " + t.TmpfsDir + " (no disk cost)"
	return f
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func fmtBytes(b float64) string {
	switch {
	case b >= 1<<20 || b <= -(1<<20):
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	case b >= 10*1024 || b <= -10*1024:
		return fmt.Sprintf("%.1f KiB", b/1024)
	default:
		return fmt.Sprintf("%.0f B", b)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
