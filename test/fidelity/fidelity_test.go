package fidelity

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"loanflow/infra/local"
)

// reportFlag makes TestFidelity report the score and the mismatches
// without failing (also LOANFLOW_FIDELITY_REPORT=1).
var reportFlag = flag.Bool("fidelity.report", false, "report the fidelity score without failing on mismatches")

// caseTimeout bounds one case, every wait inside it included.
const caseTimeout = 90 * time.Second

// workers is how many cases run at once: most of a case's time is spent
// waiting (visibility timeouts, long polls, deliveries), not computing.
const workers = 6

// fcase is one documented AWS behaviour and its check.
type fcase struct {
	// name is "<service>/<Behaviour>", e.g. "sqs/PurgeQueueTwiceWithin60sIsPurgeQueueInProgress".
	name string
	// fact is the AWS behaviour checked and where it is documented.
	fact string
	// check returns nil when the stack answers as AWS does, and otherwise
	// an error saying what was expected and what came back.
	check func(ctx context.Context, e *env) error
}

func (c fcase) service() string { return strings.SplitN(c.name, "/", 2)[0] }

// env is the one local stack the cases run against and its SDK clients.
type env struct {
	stack    *local.Stack
	endpoint string
	region   string
	account  string
	cfg      aws.Config
	sqs      *sqs.Client
	ddb      *dynamodb.Client
	sfn      *sfn.Client
	evb      *eventbridge.Client
	sns      *sns.Client
	sts      *sts.Client
	http     *http.Client
	run      string
	seq      atomic.Int64
}

var (
	shared     *env
	sharedErr  error
	sharedOnce sync.Once
	sharedDir  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if shared != nil {
		shared.stack.Close()
	}
	if sharedDir != "" {
		_ = os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// stackEnv starts the shared local stack on first use.
func stackEnv(t *testing.T) *env {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "loanflow-fidelity-")
		if sharedErr != nil {
			return
		}
		logFile, err := os.Create(filepath.Join(sharedDir, "stack.log"))
		if err != nil {
			sharedErr = err
			return
		}
		log := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
		s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: sharedDir, Logger: log})
		if err != nil {
			sharedErr = fmt.Errorf("start the local stack: %w", err)
			return
		}
		cfg := aws.Config{
			Region:       s.Region,
			Credentials:  credentials.NewStaticCredentialsProvider("fidelity", "fidelity", ""),
			BaseEndpoint: aws.String(s.Outputs.Endpoint),
			// One call, one answer: AWS's own answer to each request is
			// what a case checks, not what retries make of it.
			Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		}
		shared = &env{
			stack: s, endpoint: s.Outputs.Endpoint, region: s.Region, account: local.AccountID, cfg: cfg,
			sqs: sqs.NewFromConfig(cfg, func(o *sqs.Options) {
				// The cases compute the MD5s themselves and say which differs.
				o.DisableMessageChecksumValidation = true
			}),
			ddb:  dynamodb.NewFromConfig(cfg),
			sfn:  sfn.NewFromConfig(cfg),
			evb:  eventbridge.NewFromConfig(cfg),
			sns:  sns.NewFromConfig(cfg),
			sts:  sts.NewFromConfig(cfg),
			http: &http.Client{Timeout: 30 * time.Second},
			run:  randomHex(3),
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// name is a resource name unique to this run and call.
func (e *env) name(prefix string) string {
	return fmt.Sprintf("fid-%s-%s-%d", prefix, e.run, e.seq.Add(1))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// rawJSON sends an AWS JSON protocol request as the SDKs do (SigV4-signed),
// with a body of the caller's choosing, and returns the status and body.
func (e *env) rawJSON(ctx context.Context, service, jsonVersion, target, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint+"/", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-"+jsonVersion)
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256([]byte(body))
	creds, err := e.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, e.region, time.Now()); err != nil {
		return 0, nil, err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// reportOnly says whether mismatches are reported rather than failed.
func reportOnly() bool {
	return *reportFlag || os.Getenv("LOANFLOW_FIDELITY_REPORT") == "1"
}

// knownGaps reads known-gaps.txt: one case name per line, then its reason;
// blank lines and lines starting with # are ignored.
func knownGaps(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("known-gaps.txt")
	if err != nil {
		t.Fatalf("read known-gaps.txt: %v", err)
	}
	defer f.Close()
	gaps := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		reason = strings.TrimSpace(reason)
		if reason == "" {
			t.Fatalf("known-gaps.txt:%d: %s has no reason", n, name)
		}
		if _, dup := gaps[name]; dup {
			t.Fatalf("known-gaps.txt:%d: %s is listed twice", n, name)
		}
		gaps[name] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read known-gaps.txt: %v", err)
	}
	return gaps
}

// outcome is what one case's run found.
type outcome struct {
	name string
	err  error
}

// runCases runs every case as a subtest of t, workers at a time, holds each
// to known-gaps.txt, and logs the score under label.
func runCases(t *testing.T, label string, cases []fcase, gaps map[string]string, e func(t *testing.T) *env) {
	t.Helper()
	var (
		mu  sync.Mutex
		out []outcome
	)
	t.Run("cases", func(t *testing.T) {
		next := make(chan fcase)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range next {
					t.Run(c.name, func(t *testing.T) {
						err := runOne(t, c, e(t))
						mu.Lock()
						out = append(out, outcome{name: c.name, err: err})
						mu.Unlock()
						judge(t, c, err, gaps)
					})
				}
			}()
		}
		for _, c := range cases {
			next <- c
		}
		close(next)
		wg.Wait()
	})
	logScore(t, label, out, gaps)
}

// runOne runs a case's check under its own deadline, a panic being a mismatch.
func runOne(t *testing.T, c fcase, e *env) (err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check panicked: %v", r)
		}
	}()
	return c.check(ctx, e)
}

// judge fails a case that does not match AWS unless it is a listed gap, and a
// listed gap that now matches; in report mode it only logs.
func judge(t *testing.T, c fcase, err error, gaps map[string]string) {
	t.Helper()
	reason, gap := gaps[c.name]
	fail := t.Errorf
	if reportOnly() {
		fail = t.Logf
	}
	switch {
	case err == nil && gap:
		fail("listed in known-gaps.txt (%s) but now matches AWS: remove it from the list", reason)
	case err != nil && gap:
		t.Logf("known gap (%s)\nAWS: %s\nmismatch: %v", reason, c.fact, err)
	case err != nil:
		fail("does not match AWS\nAWS: %s\nmismatch: %v", c.fact, err)
	}
}

// logScore logs "fidelity: P/N cases match AWS (S services)" and the score of
// each service, and in report mode every mismatch, one line each.
func logScore(t *testing.T, label string, out []outcome, gaps map[string]string) {
	t.Helper()
	type tally struct{ pass, total int }
	per := map[string]*tally{}
	pass := 0
	for _, o := range out {
		svc := strings.SplitN(o.name, "/", 2)[0]
		if label != "" {
			svc = strings.SplitN(strings.TrimPrefix(o.name, label+"/"), "/", 2)[0]
		}
		if per[svc] == nil {
			per[svc] = &tally{}
		}
		per[svc].total++
		if o.err == nil {
			per[svc].pass++
			pass++
		}
	}
	svcs := make([]string, 0, len(per))
	for s := range per {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	prefix := "fidelity"
	if label != "" {
		prefix += " (" + label + ")"
	}
	for _, s := range svcs {
		t.Logf("%s: %s %d/%d", prefix, s, per[s].pass, per[s].total)
	}
	t.Logf("%s: %d/%d cases match AWS (%d services)", prefix, pass, len(out), len(svcs))
	if reportOnly() {
		slices.SortFunc(out, func(a, b outcome) int { return strings.Compare(a.name, b.name) })
		for _, o := range out {
			if o.err != nil {
				_, gap := gaps[o.name]
				t.Logf("MISMATCH %s (listed: %v): %s", o.name, gap, strings.ReplaceAll(o.err.Error(), "\n", " "))
			}
		}
	}
}

// allCases is the Go SDK table, every service's cases.
func allCases() []fcase {
	var cs []fcase
	cs = append(cs, sqsCases()...)
	cs = append(cs, dynamodbCases()...)
	cs = append(cs, sfnCases()...)
	cs = append(cs, sfnActivityCases()...)
	cs = append(cs, sfnTestStateCases()...)
	cs = append(cs, sfnRedriveCases()...)
	cs = append(cs, eventsCases()...)
	cs = append(cs, stsCases()...)
	cs = append(cs, snsCases()...)
	return cs
}

// TestFidelity runs every Go SDK case against the local stack.
func TestFidelity(t *testing.T) {
	gaps := knownGaps(t)
	cases := allCases()
	checkGapNames(t, gaps, cases, boto3CaseNames())
	runCases(t, "", cases, gaps, stackEnv)
}

// checkGapNames fails on a known-gaps.txt line that names no case: a typo, or
// a case renamed or removed without its gap.
func checkGapNames(t *testing.T, gaps map[string]string, cases []fcase, more []string) {
	t.Helper()
	names := map[string]bool{}
	for _, c := range cases {
		names[c.name] = true
	}
	for _, n := range more {
		names[n] = true
	}
	for g := range gaps {
		if !names[g] {
			t.Errorf("known-gaps.txt lists %s, which is not a case", g)
		}
	}
}

// TestCaseTable holds the table to its rules without a stack: at least 150
// cases, unique "<service>/<Behaviour>" names, each with its fact and check.
func TestCaseTable(t *testing.T) {
	cases := allCases()
	if len(cases) < 150 {
		t.Errorf("the table has %d cases, want at least 150", len(cases))
	}
	services := map[string]bool{"sqs": true, "dynamodb": true, "sfn": true, "events": true, "sts": true, "sns": true}
	seen := map[string]bool{}
	check := func(name, fact string, hasCheck bool) {
		if seen[name] {
			t.Errorf("%s: duplicate name", name)
		}
		seen[name] = true
		svc, _, _ := strings.Cut(strings.TrimPrefix(name, "boto3/"), "/")
		if !services[svc] || strings.ContainsAny(name, " \t") || strings.Count(strings.TrimPrefix(name, "boto3/"), "/") != 1 {
			t.Errorf("%s: want [boto3/]<service>/<Behaviour> with service one of sqs, dynamodb, sfn, events, sts, sns", name)
		}
		if strings.TrimSpace(fact) == "" || strings.Contains(fact, "\n") {
			t.Errorf("%s: want a one-line fact", name)
		}
		if !hasCheck {
			t.Errorf("%s: no check", name)
		}
	}
	per := map[string]int{}
	for _, c := range cases {
		check(c.name, c.fact, c.check != nil)
		per[c.service()]++
	}
	t.Logf("%d Go SDK cases: %v; %d boto3 cases", len(cases), per, len(boto3Cases()))
	botoSvcs := map[string]bool{}
	for _, c := range boto3Cases() {
		check(c.name, c.fact, strings.TrimSpace(c.py) != "")
		svc, _, _ := strings.Cut(strings.TrimPrefix(c.name, "boto3/"), "/")
		botoSvcs[svc] = true
	}
	for svc := range services {
		if !botoSvcs[svc] {
			t.Errorf("no boto3 case for %s: want at least one per service", svc)
		}
	}
}
