package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// InitTrace is what the Go runtime reports (GODEBUG=inittrace=1) about the
// package initialisation of one start of a binary: the part of every
// command's start-up that no command can avoid.
type InitTrace struct {
	Total time.Duration // clock time of every package's init
	Ours  time.Duration // of this module's packages (loanflow/...)
	Bytes int64         // heap allocated by all of them
	// OursBytes is the heap allocated by this module's packages: unlike
	// clock time it does not vary from start to start.
	OursBytes int64
	// Modules are the costs per module (the standard library as "std"),
	// largest first.
	Modules []ModuleInit
}

// ModuleInit is the init time of one module's packages.
type ModuleInit struct {
	Module string
	Clock  time.Duration
}

// measureInit starts binary with `help` runs times under GODEBUG=inittrace=1
// and returns the start whose total init time is the median. A binary that
// prints no trace (not a Go binary) gives a zero InitTrace.
func measureInit(ctx context.Context, binary string, runs int) (InitTrace, error) {
	var traces []InitTrace
	for range max(runs, 1) {
		cmd := exec.CommandContext(ctx, binary, "help")
		godebug := "inittrace=1"
		if v := os.Getenv("GODEBUG"); v != "" {
			godebug = v + "," + godebug
		}
		cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Run(); err != nil {
			return InitTrace{}, fmt.Errorf("trace the init of %s help: %w", binary, err)
		}
		traces = append(traces, parseInitTrace(errOut.Bytes()))
	}
	slices.SortFunc(traces, func(a, b InitTrace) int { return cmp.Compare(a.Total, b.Total) })
	return traces[len(traces)/2], nil
}

// parseInitTrace reads the runtime's lines
// "init PKG @T ms, C ms clock, B bytes, N allocs"; other lines are skipped.
func parseInitTrace(stderr []byte) InitTrace {
	var t InitTrace
	byModule := map[string]time.Duration{}
	for line := range strings.Lines(string(stderr)) {
		f := strings.Fields(line)
		if len(f) < 9 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," {
			continue
		}
		ms, err1 := strconv.ParseFloat(f[4], 64)
		b, err2 := strconv.ParseInt(f[7], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		d := time.Duration(ms * float64(time.Millisecond))
		t.Total += d
		t.Bytes += b
		mod := moduleOf(f[1])
		if mod == "loanflow" {
			t.Ours += d
			t.OursBytes += b
		}
		byModule[mod] += d
	}
	for m, d := range byModule {
		t.Modules = append(t.Modules, ModuleInit{Module: m, Clock: d})
	}
	slices.SortFunc(t.Modules, func(a, b ModuleInit) int {
		return cmp.Or(cmp.Compare(b.Clock, a.Clock), cmp.Compare(a.Module, b.Module))
	})
	return t
}

// moduleOf guesses the module of a package path: "std" for the standard
// library, host/owner/repo for github.com and golang.org/x, host/name for
// other hosts, the first element for this module.
func moduleOf(pkg string) string {
	parts := strings.Split(pkg, "/")
	switch {
	case !strings.Contains(parts[0], "."):
		if parts[0] == "loanflow" {
			return "loanflow"
		}
		return "std"
	case (parts[0] == "github.com" || parts[0] == "golang.org") && len(parts) >= 3:
		return strings.Join(parts[:3], "/")
	case len(parts) >= 2:
		return strings.Join(parts[:2], "/")
	}
	return pkg
}

// largestModules formats the n modules with the most init time.
func (t InitTrace) largestModules(n int) string {
	var s []string
	for _, m := range t.Modules[:min(n, len(t.Modules))] {
		s = append(s, m.Module+" "+fmtDuration(m.Clock))
	}
	return strings.Join(s, ", ")
}
