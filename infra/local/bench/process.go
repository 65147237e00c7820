package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Whole-process figures: `loanflow run-definition` run as a user runs it, a
// process per run of the built binary, so that process start, package
// initialisation, opening the throwaway database and closing it all count.

// passDefinition is the one-state machine of the start-to-end figure, and
// passInput its input (echoed as its output).
const (
	passDefinition = `{"StartAt":"Echo","States":{"Echo":{"Type":"Pass","End":true}}}`
	passInput      = `{"loan":"L-1","amountK":250}`
)

// passGoal is the goal of the one-state figure (issue 20).
const passGoal = 20 * time.Millisecond

// ProcessResult holds the whole-process figures.
type ProcessResult struct {
	Binary string // the loanflow executable run
	Runs   int    // timed runs of the one-state machine (after one warm-up)

	// PassWall and PassCPU are the wall and CPU (user + system) time of each
	// `loanflow run-definition` of the one-state Pass machine.
	PassWall, PassCPU             []time.Duration
	PassWallMedian, PassCPUMedian time.Duration
	// StartWall is the wall time of each `loanflow help`, interleaved with
	// the runs: the same binary starting and exiting (the runtime's and the
	// packages' initialisation), the floor under any command.
	StartWall       []time.Duration
	StartWallMedian time.Duration
	// Init is the package initialisation of `loanflow help` (the start whose
	// total is the median of a few traced starts): with process creation,
	// the runtime's start and exit, it is the floor under any command.
	Init InitTrace

	Items   int // loan applications of the Map figure
	MapRuns int // timed, interleaved runs of each engine (after one warm-up)
	// MapOurs is the wall time of each `loanflow run-definition` of
	// LoanMapDefinition; MapPeer of each `node run.mjs` running it once.
	MapOurs, MapPeer             []time.Duration
	MapOursMedian, MapPeerMedian time.Duration
	// MapRatio is the median over rounds of peer time / our time.
	MapRatio float64
	// PeerSkipped says why the peer did not run ("" if it did).
	PeerSkipped string
	PeerNode    string // the node version the peer ran on
}

// processRun is one finished process.
type processRun struct {
	wall, cpu time.Duration
	stdout    []byte
}

// runProcess runs name with args to its end; stdin, if not nil, is written
// to it. Wall time is from just before the start to the end of Wait.
func runProcess(ctx context.Context, stdin []byte, name string, args ...string) (processRun, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return processRun{}, fmt.Errorf("run %s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return processRun{wall: wall, cpu: cpu, stdout: out.Bytes()}, nil
}

// runDefinitionOutput checks the JSON `loanflow run-definition` printed: a
// SUCCEEDED execution whose output equals want.
func runDefinitionOutput(stdout, want []byte) error {
	var res struct {
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
		Error  string          `json:"error"`
		Cause  string          `json:"cause"`
	}
	if err := json.Unmarshal(stdout, &res); err != nil {
		return fmt.Errorf("decode run-definition output: %w", err)
	}
	if res.Status != "SUCCEEDED" {
		return fmt.Errorf("run-definition: %s (%s: %s)", res.Status, res.Error, res.Cause)
	}
	same, diff, err := SameJSON(res.Output, want)
	if err != nil {
		return fmt.Errorf("check run-definition output: %w", err)
	}
	if !same {
		return fmt.Errorf("run-definition output differs from the expected output at %s", diff)
	}
	return nil
}

// writeFiles writes each name's data under dir and returns their paths.
func writeFiles(dir string, files map[string][]byte) (map[string]string, error) {
	paths := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		paths[name] = p
	}
	return paths, nil
}

// measureProcess times the one-state machine (runs runs, interleaved with
// `loanflow help`) and the Map of items applications against the npm peer
// (mapRuns runs, interleaved), each run a process of its own. Every output
// is checked: ours against the expected output, the peer's against it too.
func measureProcess(ctx context.Context, dir, binary string, runs, items, mapRuns int, withPeer bool, node, peerDir string) (ProcessResult, error) {
	res := ProcessResult{Binary: binary, Runs: runs, Items: items, MapRuns: mapRuns}
	dir, err := os.MkdirTemp(dir, "process-")
	if err != nil {
		return res, fmt.Errorf("process figures: %w", err)
	}
	defer os.RemoveAll(dir)
	batch := GenerateBatch(items)
	mapInput, err := MarshalBatch(batch)
	if err != nil {
		return res, err
	}
	mapWant, err := json.Marshal(ExpectedOutput(batch))
	if err != nil {
		return res, fmt.Errorf("encode expected output: %w", err)
	}
	paths, err := writeFiles(dir, map[string][]byte{
		"pass.asl.json": []byte(passDefinition), "pass-input.json": []byte(passInput),
		"map.asl.json": LoanMapDefinition, "map-input.json": mapInput,
		"run.mjs": peerScript,
	})
	if err != nil {
		return res, fmt.Errorf("process figures: %w", err)
	}

	pass := func() (processRun, error) {
		r, err := runProcess(ctx, nil, binary, "run-definition", paths["pass.asl.json"], "--input", paths["pass-input.json"])
		if err != nil {
			return r, err
		}
		return r, runDefinitionOutput(r.stdout, []byte(passInput))
	}
	start := func() (processRun, error) { return runProcess(ctx, nil, binary, "help") }
	if _, err := pass(); err != nil { // warm-up: the binary into the page cache
		return res, err
	}
	if _, err := start(); err != nil {
		return res, err
	}
	for i := range runs {
		var p, s processRun
		var err error
		if i%2 == 0 {
			if p, err = pass(); err == nil {
				s, err = start()
			}
		} else {
			if s, err = start(); err == nil {
				p, err = pass()
			}
		}
		if err != nil {
			return res, err
		}
		res.PassWall = append(res.PassWall, p.wall)
		res.PassCPU = append(res.PassCPU, p.cpu)
		res.StartWall = append(res.StartWall, s.wall)
	}
	res.PassWallMedian = medianDuration(res.PassWall)
	res.PassCPUMedian = medianDuration(res.PassCPU)
	res.StartWallMedian = medianDuration(res.StartWall)
	if res.Init, err = measureInit(ctx, binary, min(runs, 5)); err != nil {
		return res, err
	}

	ours := func() (time.Duration, error) {
		r, err := runProcess(ctx, nil, binary, "run-definition", paths["map.asl.json"], "--input", paths["map-input.json"])
		if err != nil {
			return 0, err
		}
		return r.wall, runDefinitionOutput(r.stdout, mapWant)
	}
	var peer func() (time.Duration, error)
	if !withPeer {
		res.PeerSkipped = "not requested"
	} else if nodePath, entry, err := locatePeer(node, peerDir); errors.Is(err, ErrPeerUnavailable) {
		res.PeerSkipped = err.Error()
	} else if err != nil {
		return res, err
	} else {
		outPath := filepath.Join(dir, "peer-output.json")
		req := []byte(`{"output":` + jsonString(outPath) + "}\n")
		peer = func() (time.Duration, error) {
			os.Remove(outPath)
			r, err := runProcess(ctx, req, nodePath, paths["run.mjs"], entry, paths["map.asl.json"], paths["map-input.json"])
			if err != nil {
				return 0, err
			}
			if err := peerAnswered(r.stdout, &res.PeerNode); err != nil {
				return 0, err
			}
			out, err := os.ReadFile(outPath)
			if err != nil {
				return 0, fmt.Errorf("read peer output: %w", err)
			}
			same, diff, err := SameJSON(out, mapWant)
			if err != nil {
				return 0, fmt.Errorf("check peer output: %w", err)
			}
			if !same {
				return 0, fmt.Errorf("the peer's map output differs from the expected output at %s", diff)
			}
			return r.wall, nil
		}
	}
	if _, err := ours(); err != nil {
		return res, err
	}
	if peer != nil {
		if _, err := peer(); err != nil {
			return res, err
		}
	}
	var ratios []float64
	for i := range mapRuns {
		var do, dp time.Duration
		var err error
		peerFirst := peer != nil && i%2 == 1
		if peerFirst {
			if dp, err = peer(); err != nil {
				return res, err
			}
		}
		if do, err = ours(); err != nil {
			return res, err
		}
		if peer != nil && !peerFirst {
			if dp, err = peer(); err != nil {
				return res, err
			}
		}
		res.MapOurs = append(res.MapOurs, do)
		if peer != nil {
			res.MapPeer = append(res.MapPeer, dp)
			ratios = append(ratios, dp.Seconds()/do.Seconds())
		}
	}
	res.MapOursMedian = medianDuration(res.MapOurs)
	if peer != nil {
		res.MapPeerMedian = medianDuration(res.MapPeer)
		res.MapRatio = median(ratios)
	}
	return res, nil
}

// locatePeer returns the node binary and the peer's entry point, or an
// error wrapping ErrPeerUnavailable.
func locatePeer(node, peerDir string) (nodePath, entry string, err error) {
	if node == "" {
		node = "node"
	}
	if nodePath, err = exec.LookPath(node); err != nil {
		return "", "", fmt.Errorf("find node (%s): %w: %w", node, err, ErrPeerUnavailable)
	}
	prefix, err := findPeerDir(peerDir)
	if err != nil {
		return "", "", err
	}
	entry, err = peerEntry(prefix)
	return nodePath, entry, err
}

// peerAnswered checks run.mjs's output lines (ready, then one answer) and
// records the node version.
func peerAnswered(stdout []byte, nodeVersion *string) error {
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	if len(lines) != 2 {
		return fmt.Errorf("peer printed %d lines, want 2: %q", len(lines), stdout)
	}
	var ready struct {
		Ready bool   `json:"ready"`
		Node  string `json:"node"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &ready); err != nil || !ready.Ready {
		return fmt.Errorf("peer not ready (%v): %q", err, lines[0])
	}
	*nodeVersion = ready.Node
	var resp struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &resp); err != nil {
		return fmt.Errorf("decode peer answer %q: %w", lines[1], err)
	}
	if resp.Error != "" {
		return fmt.Errorf("peer run failed: %s", resp.Error)
	}
	return nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// processFigures are the whole-process rows of the table.
func processFigures(p ProcessResult) []Figure {
	pass := Figure{
		Name:     "run-definition of a one-state Pass machine, whole process",
		Value:    fmt.Sprintf("%s (CPU %s)", fmtDuration(p.PassWallMedian), fmtDuration(p.PassCPUMedian)),
		Baseline: fmtDuration(p.StartWallMedian) + " help",
		Ratio:    fmt.Sprintf("%.1fx help", ratio(p.PassWallMedian.Seconds(), p.StartWallMedian.Seconds())),
		Goal:     "<= 20 ms",
		Met:      yesNo(p.PassWallMedian <= passGoal),
		Note:     fmt.Sprintf("median wall (and user+system CPU) of %d runs of `%s run-definition`, a process each, output checked; baseline: `loanflow help` interleaved (process start and package init)", p.Runs, filepath.Base(p.Binary)) + floorNote(p),
	}
	m := Figure{
		Name:  fmt.Sprintf("Map of %s loans, whole process: run-definition vs node %s", thousands(p.Items), PeerPackage),
		Value: fmtDuration(p.MapOursMedian),
		Goal:  ">= 25x",
	}
	if p.PeerSkipped != "" {
		m.Baseline, m.Ratio, m.Met = "skipped", "-", "skipped"
		m.Note = "peer skipped: " + p.PeerSkipped
		return []Figure{pass, m}
	}
	m.Baseline = fmtDuration(p.MapPeerMedian)
	m.Ratio = fmt.Sprintf("%.1fx faster", p.MapRatio)
	m.Met = yesNo(p.MapRatio >= 25)
	m.Note = fmt.Sprintf("median of %d interleaved rounds of peer/ours, a process per run each side: `loanflow run-definition FILE --input FILE` vs `node run.mjs` running the definition once (node %s); both outputs checked against the expected output", p.MapRuns, p.PeerNode)
	if p.StartWallMedian > 0 {
		m.Note += fmt.Sprintf("; the start-up floor (`loanflow help`, %s) bounds the ratio: a Map taking no time at all would be %.1fx", fmtDuration(p.StartWallMedian), ratio(p.MapPeerMedian.Seconds(), p.StartWallMedian.Seconds()))
	}
	return []Figure{pass, m}
}

// floorNote says what the start-up floor is made of: the package init
// traced, the rest being process creation, the runtime's start and exit.
func floorNote(p ProcessResult) string {
	if p.Init.Total <= 0 {
		return "; floor: no init trace (not a Go binary?)"
	}
	note := fmt.Sprintf("; floor: `loanflow help` %s, of which package init %s (%s allocated; ours %s; largest: %s), the rest process creation, runtime start and exit",
		fmtDuration(p.StartWallMedian), fmtDuration(p.Init.Total), fmtBytes(float64(p.Init.Bytes)), fmtDuration(p.Init.Ours), p.Init.largestModules(4))
	if p.StartWallMedian > passGoal {
		note += ": the goal is below this floor while these libraries are linked"
	}
	return note
}

// skippedProcessFigures are the whole-process rows when no binary is given.
func skippedProcessFigures(why string) []Figure {
	return []Figure{
		{Name: "run-definition of a one-state Pass machine, whole process", Value: "-", Baseline: "-", Ratio: "-", Goal: "<= 20 ms", Met: "skipped", Note: why},
		{Name: "Map, whole process: run-definition vs node " + PeerPackage, Value: "-", Baseline: "-", Ratio: "-", Goal: ">= 25x", Met: "skipped", Note: why},
	}
}
