package bench

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var flagLoanflow = flag.String("loanflow", "", "the loanflow binary of the whole-process tests and benchmarks (default: build ./cmd/loanflow)")

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliDir  string
)

// TestMain removes the binary built for the whole-process tests.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// loanflowBinary returns -loanflow, or builds cmd/loanflow once per test
// process (skipping when the go tool is missing).
func loanflowBinary(tb testing.TB) string {
	tb.Helper()
	if *flagLoanflow != "" {
		return *flagLoanflow
	}
	cliOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			cliErr = err
			return
		}
		if cliDir, err = os.MkdirTemp("", "loanflow-bench-cli-"); err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(cliDir, "loanflow")
		out, err := exec.Command(goTool, "build", "-o", cliPath, "loanflow/cmd/loanflow").CombinedOutput()
		if err != nil {
			cliErr = &buildError{err: err, out: string(out)}
		}
	})
	if _, ok := cliErr.(*buildError); ok {
		tb.Fatalf("build cmd/loanflow: %v", cliErr)
	}
	if cliErr != nil {
		tb.Skipf("no go tool to build cmd/loanflow: %v", cliErr)
	}
	return cliPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// TestProcessFigures runs the whole-process figures at a small size: every
// output (ours and, when installed, the peer's) is checked inside.
func TestProcessFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := loanflowBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := measureProcess(ctx, t.TempDir(), bin, 3, 50, 1, true, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.PassWall) != 3 || len(p.StartWall) != 3 || p.PassWallMedian <= 0 || p.PassCPUMedian <= 0 || p.StartWallMedian <= 0 || p.MapOursMedian <= 0 {
		t.Fatalf("implausible figures: %+v", p)
	}
	if p.Init.Total <= 0 || p.Init.Bytes <= 0 || len(p.Init.Modules) == 0 {
		t.Fatalf("no package init traced: %+v", p.Init)
	}
	if p.PeerSkipped == "" && (p.MapPeerMedian <= 0 || p.MapRatio <= 0 || p.PeerNode == "") {
		t.Fatalf("peer ran but its figures are implausible: %+v", p)
	}
	figs := processFigures(p)
	var buf strings.Builder
	if err := WriteTable(&buf, figs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one-state Pass machine, whole process", "<= 20 ms", "Map of 50 loans, whole process", ">= 25x", "floor: `loanflow help`", "of which package init"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
	t.Log("\n" + buf.String())
}

// TestProcessFiguresCatchWrongOutput: a binary whose output differs from the
// expected one fails the figure instead of being timed.
func TestProcessFiguresCatchWrongOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "loanflow")
	script := "#!/bin/sh\nif [ \"$1\" = help ]; then exit 0; fi\necho '{\"status\":\"SUCCEEDED\",\"output\":{\"loan\":\"L-2\"}}'\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := measureProcess(context.Background(), dir, fake, 1, 10, 1, false, "", "")
	if err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("got %v, want an output mismatch", err)
	}
}

// BenchmarkRunDefinitionProcess runs `loanflow run-definition` of a
// one-state Pass machine as a user does, a process per iteration, and
// reports the median wall and CPU time.
func BenchmarkRunDefinitionProcess(b *testing.B) {
	bin := loanflowBinary(b)
	dir := b.TempDir()
	paths, err := writeFiles(dir, map[string][]byte{"pass.asl.json": []byte(passDefinition), "in.json": []byte(passInput)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wall, cpu []time.Duration
	for b.Loop() {
		r, err := runProcess(ctx, nil, bin, "run-definition", paths["pass.asl.json"], "--input", paths["in.json"])
		if err != nil {
			b.Fatal(err)
		}
		if err := runDefinitionOutput(r.stdout, []byte(passInput)); err != nil {
			b.Fatal(err)
		}
		wall = append(wall, r.wall)
		cpu = append(cpu, r.cpu)
	}
	b.ReportMetric(float64(medianDuration(wall))/1e6, "median-wall-ms")
	b.ReportMetric(float64(medianDuration(cpu))/1e6, "median-cpu-ms")
}

// BenchmarkMapProcessVsPeer is the whole-process Map figure: `loanflow
// run-definition` against `node run.mjs`, a process per run each side.
func BenchmarkMapProcessVsPeer(b *testing.B) {
	bin := loanflowBinary(b)
	if err := PeerAvailable("", ""); err != nil {
		b.Skipf("peer comparison skipped: %v", err)
	}
	for b.Loop() {
		p, err := measureProcess(context.Background(), b.TempDir(), bin, 5, MapItems, 5, true, "", "")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(p.MapRatio, "x-faster-than-peer")
		b.ReportMetric(float64(p.MapOursMedian)/1e6, "ours-ms")
		b.ReportMetric(float64(p.MapPeerMedian)/1e6, "peer-ms")
		b.ReportMetric(float64(p.PassWallMedian)/1e6, "one-state-ms")
	}
}
