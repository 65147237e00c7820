package eventpattern

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"loanflow/infra/local/internal/conformance"
)

// conformanceCase is one file of the shared event-pattern corpus; see
// shared/conformance/README.md.
type conformanceCase struct {
	Name            string          `json:"name"`
	Pattern         json.RawMessage `json:"pattern"`
	Event           json.RawMessage `json:"event"`
	Expected        string          `json:"expected"`
	AWSErrorMessage string          `json:"aws_error_message"`
}

func conformanceDir(*testing.T) string { return conformance.Dir("event-patterns") }

// knownGaps reads testdata/known-gaps.txt: one case name per line, then
// whitespace and the reason; '#' starts a comment.
func knownGaps(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "known-gaps.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
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
	if err := sc.Err(); err != nil {
		t.Fatalf("read known gaps: %v", err)
	}
	return gaps
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if dir == "" || len(files) == 0 {
		t.Skipf("event-pattern conformance corpus not found (looked in %q; set LOANFLOW_CONFORMANCE_DIR to the conformance root)", dir)
	}
	sort.Strings(files)
	gaps := knownGaps(t)
	passed := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		var c conformanceCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("decode %s: %v", file, err)
		}
		if c.Name == "" {
			c.Name = strings.TrimSuffix(filepath.Base(file), ".json")
		}
		ok := t.Run(c.Name, func(t *testing.T) {
			if reason, gap := gaps[c.Name]; gap {
				t.Skipf("known gap: %s", reason)
			}
			runConformanceCase(t, c)
		})
		if ok {
			passed++
		}
	}
	t.Logf("conformance: %d/%d cases passed or skipped as known gaps (%d known gaps listed)", passed, len(files), len(gaps))
}

func runConformanceCase(t *testing.T, c conformanceCase) {
	t.Helper()
	patternText := []byte(c.Pattern)
	var raw string
	if err := json.Unmarshal(c.Pattern, &raw); err == nil {
		patternText = []byte(raw) // raw pattern text, passed unchanged
	}
	p, err := Compile(patternText)
	if c.Expected == "invalid" {
		var ipe *InvalidPatternError
		if !errors.As(err, &ipe) {
			t.Fatalf("Compile(%s) = %v, want *InvalidPatternError", patternText, err)
		}
		if c.AWSErrorMessage != "" && ipe.Message != c.AWSErrorMessage {
			t.Errorf("message = %q\n          want %q", ipe.Message, c.AWSErrorMessage)
		}
		return
	}
	if err != nil {
		t.Fatalf("Compile(%s): %v", patternText, err)
	}
	want := c.Expected == "match"
	got, err := p.Match(c.Event)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if got != want {
		t.Errorf("Match = %v, want %v (expected %q)\npattern: %s\nevent: %s", got, want, c.Expected, patternText, c.Event)
	}

	// The decoded form must agree, with json.Number and with float64.
	var withNumber any
	dec := json.NewDecoder(strings.NewReader(string(c.Event)))
	dec.UseNumber()
	if err := dec.Decode(&withNumber); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	if got := p.MatchValue(withNumber); got != want {
		t.Errorf("MatchValue(UseNumber) = %v, want %v", got, want)
	}
	var withFloat any
	if err := json.Unmarshal(c.Event, &withFloat); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	if got := p.MatchValue(withFloat); got != want {
		t.Errorf("MatchValue(float64) = %v, want %v", got, want)
	}
}
