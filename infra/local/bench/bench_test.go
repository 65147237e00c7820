package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/sfn"
)

var (
	flagWaiting = flag.Int("waiting", 10000, "executions parked on task tokens in BenchmarkWaitingMemory and BenchmarkRestart")
	flagExecs   = flag.Int("execs", 2000, "executions per round in BenchmarkTransitions")
)

// smallBatch is a hand-made batch that walks every branch of the Map
// definition, including the boundaries of its Choice rules.
var smallBatch = Batch{
	Batch:    "B-test",
	BaseBps:  400,
	Products: products,
	Applications: []Application{
		{Score: 750, AmountK: 300, Product: 0}, // prime
		{Score: 750, AmountK: 700, Product: 4}, // near-prime (too large for prime), heloc surcharge
		{Score: 600, AmountK: 450, Product: 2}, // subprime over 400k: declined
		{Score: 639, AmountK: 400, Product: 4}, // subprime at 400k: approved, heloc
		{Score: 720, AmountK: 600, Product: 1}, // prime at both boundaries
		{Score: 640, AmountK: 50, Product: 3},  // near-prime at its boundary
	},
}

// smallExpected is smallBatch's output, computed by hand from the
// definition (base 400 bps; prime -25, near-prime +40, subprime +175; heloc
// +75).
const smallExpected = `{
  "batch": "B-test",
  "count": 6,
  "first": "0:P:fixed30:375:A",
  "summary": "batch B-test scored 6 applications",
  "decisions": [
    "0:P:fixed30:375:A",
    "1:N:heloc:515:A",
    "2:S:arm5:575:D",
    "3:S:heloc:650:A",
    "4:P:fixed15:375:A",
    "5:N:arm7:440:A"
  ]
}`

func runMap(t *testing.T, b Batch) sfn.Result {
	t.Helper()
	input, err := MarshalBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := sfn.RunDefinition(ctx, LoanMapDefinition, input, nil)
	if err != nil {
		t.Fatalf("run map definition: %v", err)
	}
	return res
}

func TestMapDefinitionHandComputed(t *testing.T) {
	res := runMap(t, smallBatch)
	if res.Status != "SUCCEEDED" {
		t.Fatalf("status %s: %s: %s", res.Status, res.Error, res.Cause)
	}
	same, diff, err := SameJSON(res.Output, []byte(smallExpected))
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Fatalf("output differs from the hand-computed one at %s\ngot %s", diff, res.Output)
	}
	// The Go oracle used by the benchmark agrees with the hand computation.
	oracle, err := json.Marshal(ExpectedOutput(smallBatch))
	if err != nil {
		t.Fatal(err)
	}
	if same, diff, _ := SameJSON(oracle, []byte(smallExpected)); !same {
		t.Fatalf("ExpectedOutput differs from the hand-computed output at %s", diff)
	}
}

func TestMapDefinitionEmptyBatch(t *testing.T) {
	res := runMap(t, Batch{Batch: "B-empty", BaseBps: 400, Products: products, Applications: []Application{}})
	if res.Status != "FAILED" || res.Error != "Batch.Empty" {
		t.Fatalf("got %+v, want FAILED Batch.Empty", res)
	}
}

func TestMapDefinitionGenerated(t *testing.T) {
	b := GenerateBatch(300)
	res := runMap(t, b)
	want, err := json.Marshal(ExpectedOutput(b))
	if err != nil {
		t.Fatal(err)
	}
	if same, diff, err := SameJSON(res.Output, want); err != nil || !same {
		t.Fatalf("output differs from ExpectedOutput at %s (%v)", diff, err)
	}
}

func TestGenerateBatch(t *testing.T) {
	a, err := MarshalBatch(GenerateBatch(MapItems))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalBatch(GenerateBatch(MapItems))
	if !bytes.Equal(a, b) {
		t.Fatal("GenerateBatch is not deterministic")
	}
	if len(a) > 256*1024 {
		t.Fatalf("the %d-item input is %d bytes, over AWS's 256 KiB limit", MapItems, len(a))
	}
	out, err := json.Marshal(ExpectedOutput(GenerateBatch(MapItems)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 256*1024 {
		t.Fatalf("the %d-item output is %d bytes, over AWS's 256 KiB limit", MapItems, len(out))
	}
}

func TestSameJSON(t *testing.T) {
	same, _, err := SameJSON([]byte(`{"a":[1,2.0],"b":"x"}`), []byte(`{"b":"x","a":[1.0,2]}`))
	if err != nil || !same {
		t.Fatalf("equal documents reported different (%v)", err)
	}
	same, diff, err := SameJSON([]byte(`{"a":[1,2]}`), []byte(`{"a":[1,3]}`))
	if err != nil || same || diff != "$.a[1]: 2 vs 3" {
		t.Fatalf("got same=%v diff=%q err=%v", same, diff, err)
	}
}

// TestPeerSameOutput runs a small batch on the npm peer and on our engine
// and compares the outputs; it skips when node or the package is missing.
func TestPeerSameOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	b := GenerateBatch(200)
	input, err := MarshalBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := startPeer(ctx, "", "", LoanMapDefinition, input)
	if errors.Is(err, ErrPeerUnavailable) {
		t.Skipf("peer comparison skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	_, pout, err := p.run(true)
	if err != nil {
		t.Fatal(err)
	}
	res := runMap(t, b)
	if same, diff, err := SameJSON(res.Output, pout); err != nil || !same {
		t.Fatalf("peer output differs from ours at %s (%v)", diff, err)
	}
}

// TestRunTiny runs every figure at a tiny size and checks the table.
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var buf bytes.Buffer
	rep, err := Run(ctx, Options{Quick: true, MapItems: 200, MapRuns: 1, Waiting: 300, Executions: 200, Dir: t.TempDir(), TmpfsDir: t.TempDir()}, &buf)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, buf.String())
	}
	if len(rep.Figures) != 7 || rep.Map == nil || rep.Waiting == nil || rep.Transitions == nil {
		t.Fatalf("report incomplete: %+v", rep)
	}
	out := buf.String()
	for _, want := range []string{"FIGURE", "Map of 200 loans", "Heap per waiting execution (300 waiting)", "Restart to ready", "State transitions/s", "skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if rep.Transitions.Disk <= 0 || rep.Waiting.Restart <= 0 || rep.Map.OursMedian <= 0 {
		t.Errorf("implausible figures: %+v %+v %+v", rep.Transitions, rep.Waiting, rep.Map)
	}
	t.Log("\n" + out)
}

// BenchmarkMapEngine times our engine alone on the MapItems-item Map.
func BenchmarkMapEngine(b *testing.B) {
	ctx := context.Background()
	batch := GenerateBatch(MapItems)
	input, err := MarshalBatch(batch)
	if err != nil {
		b.Fatal(err)
	}
	h, err := openEngine(ctx, b.TempDir()+"/map.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer h.close()
	smARN, _, err := h.e.CreateStateMachine(ctx, "bench-loan-map", string(LoanMapDefinition), roleARN, "STANDARD")
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		x, err := h.run(ctx, smARN, "map-"+itoa(i), string(input))
		if err != nil {
			b.Fatal(err)
		}
		if x.Status != "SUCCEEDED" {
			b.Fatalf("map execution %s", x.Status)
		}
	}
	b.ReportMetric(float64(MapItems)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkMapVsPeer is the engine-versus-peer figure; it skips when the
// peer is not installed.
func BenchmarkMapVsPeer(b *testing.B) {
	if err := PeerAvailable("", ""); err != nil {
		b.Skipf("peer comparison skipped: %v", err)
	}
	ctx := context.Background()
	for b.Loop() {
		m, err := measureMap(ctx, b.TempDir(), MapItems, 3, true, "", "")
		if err != nil {
			b.Fatal(err)
		}
		if m.PeerSkipped != "" {
			b.Skipf("peer comparison skipped: %s", m.PeerSkipped)
		}
		b.ReportMetric(m.Ratio, "x-faster-than-peer")
		b.ReportMetric(float64(m.OursMedian)/1e6, "ours-ms")
		b.ReportMetric(float64(m.PeerMedian)/1e6, "peer-ms")
	}
}

// BenchmarkWaitingMemory parks -waiting executions on task tokens and
// reports heap and RSS bytes per waiting execution.
func BenchmarkWaitingMemory(b *testing.B) {
	for b.Loop() {
		r, err := measureWaiting(context.Background(), b.TempDir(), *flagWaiting)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.HeapPerExec, "heap-B/waiting-exec")
		b.ReportMetric(r.RSSPerExec, "rss-B/waiting-exec")
		b.ReportMetric(float64(r.ExtraGoroutines), "extra-goroutines")
	}
}

// BenchmarkRestart reports restart-to-ready with -waiting executions
// waiting and its ratio to an empty engine's start.
func BenchmarkRestart(b *testing.B) {
	for b.Loop() {
		r, err := measureWaiting(context.Background(), b.TempDir(), *flagWaiting)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Restart)/1e6, "restart-ms")
		b.ReportMetric(float64(r.EmptyStart)/1e6, "empty-start-ms")
		b.ReportMetric(ratio(r.Restart.Seconds(), r.EmptyStart.Seconds()), "x-empty-start")
	}
}

// BenchmarkTransitions reports durable state transitions per second with
// the database on disk and on tmpfs, and their ratio.
func BenchmarkTransitions(b *testing.B) {
	mem := tmpfsDir("")
	if mem == "" {
		b.Log("no tmpfs: baseline skipped")
	}
	for b.Loop() {
		r, err := measureTransitions(context.Background(), b.TempDir(), mem, *flagExecs, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Disk, "transitions/s")
		if mem != "" {
			b.ReportMetric(r.Tmpfs, "tmpfs-transitions/s")
			b.ReportMetric(ratio(r.Disk, r.Tmpfs), "x-tmpfs")
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

var flagReport = flag.String("report", "", `run the whole benchmark and print its table: "quick" or "full" (go test ./infra/local/bench -run TestReport -v -timeout 0 -args -report=quick)`)

// TestReport runs Run when -report is given: the one-command benchmark until
// `loanflow bench` is wired.
func TestReport(t *testing.T) {
	if *flagReport == "" {
		t.Skip("no -report: the full benchmark runs only on request")
	}
	opts := Options{Peer: true}
	switch *flagReport {
	case "quick":
		opts.Quick = true
	case "full":
	default:
		t.Fatalf("-report=%q: want quick or full", *flagReport)
	}
	if _, err := Run(context.Background(), opts, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
