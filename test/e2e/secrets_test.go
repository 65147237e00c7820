package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/infra/scenarios"
)

// secret is a whole value no log line and no console page may hold.
type secret struct {
	kind, value string
}

// Task tokens, callback ids and signatures are secrets everywhere: after a
// run of every scenario, with one loan still waiting, neither the logs of the
// stack and its functions nor any console page holds one whole.
func TestNoWholeSecretInTheLogsOrTheConsole(t *testing.T) {
	defaultLog := captureDefaultLogger(t)
	e := start(t, 8*time.Second)
	ctx := context.Background()
	r := &scenarios.Runner{SFN: e.sfn, SQS: e.sqs, StateMachineARN: e.stack.Outputs.LoanProcessorARN, DLQURL: e.stack.Outputs.DLQURL,
		Counters: e.stack.Metrics.Snapshot, Deadline: time.Minute}
	results, err := r.Run(ctx, "secrets", scenarios.All(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if !res.OK() {
			t.Logf("%s did not end as expected (TestEveryScenarioEndsAsExpected says more): %v", res.Scenario.Name, res.Problems)
		}
	}
	waiting, _, _ := e.startWaiting(t, "secrets-waiting")

	secrets := e.secrets(t)
	count := map[string]int{}
	for _, s := range secrets {
		count[s.kind]++
	}
	t.Logf("looking for %d task tokens, %d callback ids and %d signatures", count["task token"], count["callback id"], count["signature"])
	if loans := len(results) + 1; count["task token"] < loans || count["callback id"] < loans {
		t.Fatalf("the token table holds %d tokens and %d callback ids, want at least one per loan (%d)", count["task token"], count["callback id"], loans)
	}
	if count["signature"] < 5 {
		t.Fatalf("the bus saw %d signatures, want at least 5: the scenarios sent no callbacks?", count["signature"])
	}

	pages := e.crawlConsole(t)
	if len(pages) < 20 {
		t.Fatalf("crawled %d console pages, want at least 20", len(pages))
	}
	runningPage := pages["/executions/detail?arn="+url.QueryEscape(waiting)]
	if rec, ok := e.records(t)[waiting]; !ok || !strings.Contains(runningPage, lambdalog.Token(rec.TaskToken)) {
		t.Errorf("the waiting execution's page does not show its task token's prefix: was it crawled (%d bytes)?", len(runningPage))
	}

	// One finding per page, or per logging call and attribute, with how
	// many whole secrets it showed.
	leaks := map[string]int{}
	targets := make([]string, 0, len(pages))
	for target := range pages {
		targets = append(targets, target)
	}
	sort.Strings(targets)
	for _, target := range targets {
		body, text := pages[target], html.UnescapeString(pages[target])
		for _, s := range secrets {
			if strings.Contains(body, s.value) || strings.Contains(text, s.value) {
				leaks[fmt.Sprintf("console %s shows a whole %s", target, s.kind)]++
			}
		}
	}
	for _, file := range []string{filepath.Join(e.dir, "stack.log"), defaultLog} {
		grepLog(t, file, secrets, leaks)
	}
	findings := make([]string, 0, len(leaks))
	for f := range leaks {
		findings = append(findings, f)
	}
	sort.Strings(findings)
	for _, f := range findings {
		t.Errorf("%s (%d times)", f, leaks[f])
	}
}

// secrets lists every task token and callback id of the token table, and
// every signature and callback id the bus carried.
func (e *env) secrets(t *testing.T) []secret {
	t.Helper()
	seen := map[string]bool{}
	var out []secret
	add := func(kind, v string) {
		if len(v) > 8 && !seen[v] {
			seen[v] = true
			out = append(out, secret{kind, v})
		}
	}
	for _, r := range e.records(t) {
		add("task token", r.TaskToken)
		add("callback id", r.CallbackID)
	}
	evs, err := e.stack.Bus.Recent(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		var env struct {
			Detail struct {
				CallbackID string `json:"callbackId"`
				Signature  struct {
					Value string `json:"value"`
				} `json:"signature"`
			} `json:"detail"`
		}
		if json.Unmarshal([]byte(ev.Envelope), &env) != nil {
			continue
		}
		add("callback id", env.Detail.CallbackID)
		add("signature", env.Detail.Signature.Value)
		for _, v := range strings.Split(env.Detail.Signature.Value, ",") {
			add("signature", strings.TrimSpace(v))
		}
	}
	return out
}

var hrefs = regexp.MustCompile(`href="(/[^"#]*)"`)

// crawlConsole fetches every console page: those the overview links to,
// transitively, and every execution of both state machines, each whole and
// as its live fragment.
func (e *env) crawlConsole(t *testing.T) map[string]string {
	t.Helper()
	queue := []string{"/", "/executions"}
	for _, sm := range []string{e.stack.Outputs.LoanProcessorARN, e.stack.Outputs.ValuationServiceMachineARN} {
		p := sfn.NewListExecutionsPaginator(e.sfn, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm)})
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range out.Executions {
				queue = append(queue, "/executions/detail?arn="+url.QueryEscape(aws.ToString(x.ExecutionArn)))
			}
		}
	}
	pages := map[string]string{}
	fetch := func(target string) string {
		resp, err := http.Get(e.stack.Outputs.Endpoint + target)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", target, resp.Status)
		}
		return string(b)
	}
	for len(queue) > 0 && len(pages) < 2000 {
		target := queue[0]
		queue = queue[1:]
		if _, done := pages[target]; done || strings.Contains(target, "redriven=") {
			continue
		}
		body := fetch(target)
		pages[target] = body
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		pages[target+sep+"fragment=1"] = fetch(target + sep + "fragment=1")
		for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
			queue = append(queue, html.UnescapeString(m[1]))
		}
	}
	return pages
}

// grepLog counts in leaks the lines of a JSON log that hold a whole
// secret, by the call that logged them and the attribute that holds it.
func grepLog(t *testing.T, file string, secrets []secret, leaks map[string]int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	lines := 0
	for sc.Scan() {
		lines++
		line := sc.Text()
		for _, s := range secrets {
			if !strings.Contains(line, s.value) {
				continue
			}
			var rec map[string]any
			_ = json.Unmarshal([]byte(line), &rec)
			src, _ := rec["source"].(map[string]any)
			leaks[fmt.Sprintf("%s: %v:%v (function %v, msg %q): %s holds a whole %s", filepath.Base(file),
				relPath(src["file"]), src["line"], rec["function"], rec["msg"], strings.Join(holding(rec, s.value, ""), ", "), s.kind)]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	if strings.HasSuffix(file, "stack.log") && lines < 50 {
		t.Errorf("%s has %d lines: are the stack's and the functions' logs captured?", file, lines)
	}
}

// holding names the attributes of a log record whose value holds v.
func holding(rec any, v, path string) []string {
	switch x := rec.(type) {
	case map[string]any:
		var out []string
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = append(out, holding(e, v, p)...)
		}
		sort.Strings(out)
		return out
	case []any:
		var out []string
		for i, e := range x {
			out = append(out, holding(e, v, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case string:
		if strings.Contains(x, v) {
			return []string{path}
		}
	}
	return nil
}

// relPath shortens a source file path to the part under the module.
func relPath(file any) string {
	s, _ := file.(string)
	root, err := filepath.Abs("../..")
	if err != nil {
		return s
	}
	if rel, err := filepath.Rel(root, s); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return s
}

// captureDefaultLogger sends what anything logs through slog's and log's
// defaults to a file for the length of the test, and returns its path.
func captureDefaultLogger(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "default.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{AddSource: true, Level: slog.LevelDebug})))
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
		f.Close()
	})
	return path
}
