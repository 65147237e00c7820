package sfn

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/conformance"
)

type conformanceCase struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Expected   struct {
		Status Status          `json:"status"`
		Output json.RawMessage `json:"output"`
		Error  *string         `json:"error"`
		Cause  *string         `json:"cause"`
	} `json:"expected"`
	IgnorePaths []string `json:"ignore_paths"`
}

func conformanceDir(*testing.T) string { return conformance.Dir("asl") }

func loadKnownGaps(t *testing.T) map[string]string {
	f, err := os.Open(filepath.Join("testdata", "known-gaps.txt"))
	if err != nil {
		t.Fatalf("open known gaps: %v", err)
	}
	defer f.Close()
	gaps := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		gaps[name] = strings.TrimSpace(reason)
	}
	return gaps
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if dir == "" || len(files) == 0 {
		t.Skipf("conformance corpus not found at %q (set LOANFLOW_CONFORMANCE_DIR)", dir)
	}
	sort.Strings(files)
	gaps := loadKnownGaps(t)
	fake := NewFakeClock(time.Now())
	fake.SetAutoAdvance(true)
	e := newTestEngine(t, Options{Clock: horizonClock{fake, 24 * time.Hour}})
	pass, known, total := map[string]int{}, map[string]int{}, map[string]int{}
	var unexpected, fixed []string
	for i, file := range files {
		base := filepath.Base(file)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var c conformanceCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		lang := "JSONPath"
		if strings.Contains(string(c.Definition), `"JSONata"`) {
			lang = "JSONata"
		}
		problem := runConformanceCase(e, fmt.Sprintf("case-%d", i), &c)
		_, isGap := gaps[base]
		total[lang]++
		switch {
		case problem == "" && isGap:
			fixed = append(fixed, base)
			pass[lang]++
		case problem == "":
			pass[lang]++
		case isGap:
			known[lang]++
		default:
			unexpected = append(unexpected, base+": "+problem)
		}
	}
	for _, lang := range []string{"JSONPath", "JSONata"} {
		t.Logf("conformance %s: %d passed, %d known gaps, %d total", lang, pass[lang], known[lang], total[lang])
	}
	t.Logf("conformance: %d unexpected failures, %d cases", len(unexpected), len(files))
	if n := total["JSONata"]; n > 0 && pass["JSONata"]*100 < n*95 {
		t.Errorf("JSONata conformance %d/%d is below 95%%", pass["JSONata"], n)
	}
	for _, f := range fixed {
		t.Logf("known gap now passes (remove it from testdata/known-gaps.txt): %s", f)
	}
	for _, u := range unexpected {
		t.Errorf("%s", u)
	}
}

// horizonClock auto-advances through the timers a case sets (Wait states,
// retry backoffs: AWS recorded these cases in real time, so none waits for
// more than minutes) but never through one further than horizon away: the
// scheduler sleeps until the one-year deadline of a running execution, and
// jumping there would time out the execution it is watching.
type horizonClock struct {
	*FakeClock
	horizon time.Duration
}

func (c horizonClock) NewTimer(d time.Duration) Timer {
	if d > c.horizon {
		return neverTimer{}
	}
	return c.FakeClock.NewTimer(d)
}

// neverTimer is a timer that does not fire.
type neverTimer struct{}

func (neverTimer) C() <-chan time.Time { return nil }
func (neverTimer) Stop() bool          { return true }

func runConformanceCase(e *Engine, smName string, c *conformanceCase) (problem string) {
	defer func() {
		if p := recover(); p != nil {
			problem = fmt.Sprintf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	input := c.Input
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	res, err := e.runOnce(ctx, smName, c.Definition, input)
	if err != nil {
		return "run: " + err.Error()
	}
	if res.Status != c.Expected.Status {
		return fmt.Sprintf("status %s (error %q cause %q), want %s", res.Status, res.Error, res.Cause, c.Expected.Status)
	}
	if res.Status == StatusSucceeded {
		got, err := expr.Decode(res.Output)
		if err != nil {
			return "decode output: " + err.Error()
		}
		want, err := expr.Decode(c.Expected.Output)
		if err != nil {
			return "decode expected output: " + err.Error()
		}
		for _, p := range c.IgnorePaths {
			got, want = deletePath(got, p), deletePath(want, p)
		}
		if !expr.Equal(got, want) {
			return fmt.Sprintf("output %s, want %s", asl.EncodeJSON(got), asl.EncodeJSON(want))
		}
		return ""
	}
	wantErr, wantCause := "", ""
	if c.Expected.Error != nil {
		wantErr = *c.Expected.Error
	}
	if c.Expected.Cause != nil {
		wantCause = *c.Expected.Cause
	}
	if res.Error != wantErr {
		return fmt.Sprintf("error %q (cause %q), want %q", res.Error, res.Cause, wantErr)
	}
	if slicesContains(c.IgnorePaths, "$.cause") {
		return ""
	}
	if !placeholderMatch(wantCause, res.Cause) {
		return fmt.Sprintf("cause %q, want %q", res.Cause, wantCause)
	}
	return ""
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var placeholderRE = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_:-]*>`)

// placeholderMatch compares a cause with AWS's, where normalisation
// placeholders such as <json-input:1> or <ArnPart_0idx> stand for any text.
func placeholderMatch(want, got string) bool {
	if want == got {
		return true
	}
	parts := placeholderRE.Split(want, -1)
	if len(parts) == 1 {
		return false
	}
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re, err := regexp.Compile("^(?s)" + strings.Join(parts, ".*") + "$")
	return err == nil && re.MatchString(got)
}

var pathSegRE = regexp.MustCompile(`\.([^.\[]+)|\[(\d+)\]|\['([^']+)'\]`)

// deletePath removes the value at a simple JSONPath ($.a.b[0].c) from v.
func deletePath(v any, path string) any {
	segs := pathSegRE.FindAllStringSubmatch(strings.TrimPrefix(path, "$"), -1)
	if len(segs) == 0 {
		return v
	}
	cur := v
	for i, s := range segs {
		last := i == len(segs)-1
		switch node := cur.(type) {
		case map[string]any:
			key := s[1] + s[3]
			if last {
				delete(node, key)
				return v
			}
			cur = node[key]
		case []any:
			idx, err := strconv.Atoi(s[2])
			if err != nil || idx >= len(node) {
				return v
			}
			if last {
				node[idx] = nil
				return v
			}
			cur = node[idx]
		default:
			return v
		}
	}
	return v
}
