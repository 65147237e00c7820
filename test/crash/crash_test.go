// Package crash is the crash-recovery test: it runs happy-path loans through a
// `loanflow up` subprocess, kills it with SIGKILL at random moments and
// restarts it on the same state, then checks that every loan ended exactly
// once as it should, that no valuation was ordered twice and that no message
// was lost.
//
// The default run is short (60 loans, 2 kills) so that it fits in `go test
// ./...`; the long run is
//
//	go test ./test/crash -run Crash -v -timeout 30m -args -loans=1000 -kills=5
package crash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"loanflow/consumers/tokenstore"
	"loanflow/infra/config"
	"loanflow/infra/local"
	"loanflow/infra/scenarios"
)

var (
	flagLoans    = flag.Int("loans", 60, "happy-path loans to run (the long run: 1000)")
	flagKills    = flag.Int("kills", 2, "SIGKILLs of the stack, at random moments (the long run: 5)")
	flagRate     = flag.Float64("rate", 0, "loans started per second (0: loans/3 + 10, so that starts span a few seconds)")
	flagDeadline = flag.Duration("deadline", 150*time.Second, "how long to wait, after the last start, for every execution to end "+
		"(enough for a message received by a killed process to come back after its visibility timeout; "+
		"less than the callback timeout, so that an execution resumed only by its timeout timer is caught)")
	flagSeed = flag.Uint64("seed", 0, "random seed for the kill moments (0: from the clock)")
)

const region = "us-east-1"

// callbackTimeout is RequestValuation's timeout in the config `loanflow up` runs.
var callbackTimeout = config.Local().CallbackTimeout

// stack is the `loanflow up` subprocess, started and killed by the test.
type stack struct {
	t        *testing.T
	bin, dir string
	addr     string
	starts   int
	cmd      *exec.Cmd
	logs     []string
	exited   chan struct{}
}

func (s *stack) endpoint() string { return "http://" + s.addr }

// start runs `loanflow up` and waits until it serves (its "Serving" line is
// printed after every resource is deployed and every worker started) and its
// Step Functions endpoint answers.
func (s *stack) start(ctx context.Context, sfnc *sfn.Client, reset bool) {
	s.t.Helper()
	s.starts++
	logPath := filepath.Join(s.dir, fmt.Sprintf("stack-%d.log", s.starts))
	logFile, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	args := []string{"up", "--addr", s.addr, "--state", filepath.Join(s.dir, "state")}
	if reset {
		args = append(args, "--reset")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), "AWS_REGION="+region)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		s.t.Fatalf("start %s: %v", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	s.logs = append(s.logs, logPath)

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			s.t.Fatalf("loanflow up (start %d) exited before serving: %s\n%s", s.starts, cmd.ProcessState, tail(logPath, 4000))
		default:
		}
		if b, _ := os.ReadFile(logPath); bytes.Contains(b, []byte("\nServing;")) {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := sfnc.ListStateMachines(cctx, &sfn.ListStateMachinesInput{})
			cancel()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("loanflow up (start %d) not serving after 60s\n%s", s.starts, tail(logPath, 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (s *stack) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// stop stops the stack gracefully (cleanup), killing it if it does not stop.
func (s *stack) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
		s.cmd = nil
	case <-time.After(10 * time.Second):
		s.kill()
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// retryable says whether a call failed because the stack is down or
// restarting (transport errors, 5xx, throttling), rather than on its merits.
func retryable(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return true
	}
	return ae.ErrorFault() == smithy.FaultServer || strings.Contains(ae.ErrorCode(), "Throttl")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

type clients struct {
	sfn *sfn.Client
	sqs *sqs.Client
	ddb *dynamodb.Client
	// start makes one attempt per call: the test retries StartExecution itself.
	start *sfn.Client
}

func newClients(endpoint string) clients {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: tr, Timeout: 30 * time.Second},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.RateLimiter = ratelimit.None
			})
		},
	}
	one := cfg.Copy()
	one.HTTPClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	one.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return clients{sfn: sfn.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), start: sfn.NewFromConfig(one)}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash-recovery test starts and kills a stack")
	}
	n, kills := *flagLoans, *flagKills
	if n < 1 || kills < 0 {
		t.Fatalf("-loans must be >= 1 and -kills >= 0")
	}
	if *flagDeadline >= callbackTimeout {
		t.Fatalf("-deadline must be less than the callback timeout (%v)", callbackTimeout)
	}
	rate := *flagRate
	if rate <= 0 {
		rate = float64(n)/3 + 10
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	began := time.Now()
	ctx := context.Background()

	// Not t.TempDir: the stack's logs and state stay for a failed run.
	tmp, err := os.MkdirTemp("", "loanflow-crash-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "loanflow")
	build := exec.Command("go", "build", "-o", bin, "./cmd/loanflow")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/loanflow: %v\n%s", err, out)
	}
	built := time.Now()

	st := &stack{t: t, bin: bin, dir: tmp, addr: freeAddr(t)}
	c := newClients(st.endpoint())
	t.Cleanup(func() {
		st.stop()
		if t.Failed() {
			for _, l := range st.logs {
				t.Logf("%s: %d ERROR lines", filepath.Base(l), countErrors(l))
			}
			if len(st.logs) > 0 {
				last := st.logs[len(st.logs)-1]
				t.Logf("tail of %s:\n%s", filepath.Base(last), tail(last, 6000))
			}
			t.Logf("state and logs kept in %s (rerun with -seed=%d)", tmp, seed)
			return
		}
		_ = os.RemoveAll(tmp)
	})
	st.start(ctx, c.sfn, true)

	lpARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, local.AccountID, local.LoanProcessorName)
	vsARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", region, local.AccountID, local.ValuationServiceName)
	queueURL := st.endpoint() + "/" + local.AccountID + "/" + local.QueueName
	dlqURL := st.endpoint() + "/" + local.AccountID + "/" + local.DLQName
	cbDLQURL := st.endpoint() + "/" + local.AccountID + "/" + local.CallbackDLQName
	execARN := func(name string) string {
		return strings.Replace(lpARN, ":stateMachine:", ":execution:", 1) + ":" + name
	}

	happy := scenarios.All()[0]
	type loan struct {
		name, input, arn string
		attempts         int
	}
	loans := make([]loan, n)
	for i := range loans {
		app := happy.Loan("crash", i)
		in, err := json.Marshal(app)
		if err != nil {
			t.Fatal(err)
		}
		loans[i] = loan{name: app.ApplicationID, input: string(in), arn: execARN(app.ApplicationID)}
	}

	// Start the loans at a steady rate, each retried until the stack takes it.
	startWindow := time.Duration(float64(n) / rate * float64(time.Second))
	var started, retried, alreadyExisted atomic.Int64
	var startErr error
	var startErrOnce sync.Once
	startDeadline := time.Now().Add(startWindow + 3*time.Minute)
	todo := make(chan int, n)
	var starters sync.WaitGroup
	for w := 0; w < 16; w++ {
		starters.Go(func() {
			for i := range todo {
				l := &loans[i]
				for {
					l.attempts++
					sctx, cancel := context.WithDeadline(ctx, startDeadline)
					_, err := c.start.StartExecution(sctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(lpARN),
						Name: aws.String(l.name), Input: aws.String(l.input)})
					cancel()
					var ae smithy.APIError
					switch {
					case err == nil:
					case errors.As(err, &ae) && ae.ErrorCode() == "ExecutionAlreadyExists":
						// The previous attempt reached the stack, the execution already ended.
						alreadyExisted.Add(1)
					case retryable(err) && time.Now().Before(startDeadline):
						retried.Add(1)
						_ = sleepCtx(ctx, time.Duration(20+rand.IntN(80))*time.Millisecond)
						continue
					default:
						startErrOnce.Do(func() { startErr = fmt.Errorf("StartExecution %s (attempt %d): %w", l.name, l.attempts, err) })
					}
					break
				}
				started.Add(1)
			}
		})
	}
	go func() {
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		for i := 0; i < n; i++ {
			todo <- i
			if i < n-1 {
				<-tick.C
			}
		}
		close(todo)
	}()

	// Kill the stack at random moments spread over the starts and the
	// callbacks that follow them (the mock values a property in about 1 s),
	// restarting it each time on the same state and port.
	span := startWindow + 3*time.Second
	runStart := time.Now()
	type killRec struct {
		at      time.Duration
		started int64
		down    time.Duration
	}
	var killLog []killRec
	for k := 0; k < kills; k++ {
		gap := time.Duration(200+rng.IntN(int(2*span/time.Duration(kills)/time.Millisecond)+1)) * time.Millisecond
		_ = sleepCtx(ctx, gap)
		at := time.Since(runStart)
		s := started.Load()
		st.kill()
		t0 := time.Now()
		st.start(ctx, c.sfn, false)
		killLog = append(killLog, killRec{at: at, started: s, down: time.Since(t0)})
	}
	starters.Wait()
	for i, k := range killLog {
		t.Logf("kill %d at %v (%d/%d loans started); serving again after %v", i+1, k.at.Round(time.Millisecond), k.started, n, k.down.Round(time.Millisecond))
	}
	t.Logf("started %d loans in %v (%d StartExecution retries, %d ExecutionAlreadyExists)",
		started.Load(), time.Since(runStart).Round(time.Millisecond), retried.Load(), alreadyExisted.Load())
	if startErr != nil {
		t.Fatal(startErr)
	}

	// Wait until every execution has ended, the request queue has drained
	// (a message received by a killed process comes back after its visibility
	// timeout and is then consumed as a duplicate) and no token record is
	// left CLAIMED: a kill between a resolver's SendTaskSuccess and its mark
	// leaves the record CLAIMED under an ended execution until the callback
	// event's delivery, cut short by the kill, is made again at the restart.
	waitFrom := time.Now()
	deadline := waitFrom.Add(*flagDeadline)
	lastReport := time.Now()
	for {
		running, err := countExecutions(ctx, c.sfn, lpARN, sfntypes.ExecutionStatusRunning)
		if err != nil {
			t.Fatal(err)
		}
		mockRunning, err := countExecutions(ctx, c.sfn, vsARN, sfntypes.ExecutionStatusRunning)
		if err != nil {
			t.Fatal(err)
		}
		depth, err := depth(ctx, c.sqs, queueURL)
		if err != nil {
			t.Fatal(err)
		}
		claimed := 0
		if running == 0 && mockRunning == 0 && depth == 0 {
			recs, err := records(ctx, c.ddb)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.Status == tokenstore.StatusClaimed {
					claimed++
				}
			}
			if claimed == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("after %v: %d LoanProcessor executions still RUNNING, %d ValuationService executions RUNNING, %d messages in %s, %d token records CLAIMED",
				*flagDeadline, running, mockRunning, depth, local.QueueName, claimed)
			break
		}
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			t.Logf("waiting: %d loans running, %d valuations running, %d messages in %s", running, mockRunning, depth, local.QueueName)
		}
		_ = sleepCtx(ctx, 200*time.Millisecond)
	}
	t.Logf("every execution ended and every callback settled %v after the last start", time.Since(waitFrom).Round(time.Millisecond))

	p := &problems{}
	defer p.report(t)

	// 1. Every loan has exactly one execution, SUCCEEDED and APPROVED, whose
	// RequestValuation resumed exactly once, and well before the callback
	// timeout (an execution resumed only by its timer was not resumed by
	// its callback).
	all, err := listExecutions(ctx, c.sfn, lpARN, "")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, e := range all {
		names[aws.ToString(e.Name)]++
	}
	if len(all) != n {
		p.add("ListExecutions(LoanProcessor) does not list exactly one execution per loan", fmt.Sprintf("%d listed, want %d", len(all), n))
	}
	for name, k := range names {
		if k != 1 {
			p.add("execution listed more than once", fmt.Sprintf("%s x%d", name, k))
		}
	}
	type verdict struct {
		status, decision string
		took             time.Duration
		taskSucceeded    int
		otherTaskEnds    int
		err              error
	}
	verdicts := make([]verdict, n)
	parallel(n, 8, func(i int) {
		l := loans[i]
		v := &verdicts[i]
		d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(l.arn)})
		if err != nil {
			v.err = err
			return
		}
		v.status = string(d.Status)
		if d.StartDate != nil && d.StopDate != nil {
			v.took = d.StopDate.Sub(*d.StartDate)
		}
		var out struct {
			Decision string `json:"decision"`
		}
		if d.Output != nil {
			_ = json.Unmarshal([]byte(*d.Output), &out)
		}
		v.decision = out.Decision
		v.taskSucceeded, v.otherTaskEnds, v.err = taskEnds(ctx, c.sfn, l.arn)
	})
	outcomes := map[string]int{}
	resumedOnce := 0
	var longest time.Duration
	for i, v := range verdicts {
		l := loans[i]
		if names[l.name] == 0 {
			p.add("loan without an execution", l.name)
		}
		if v.err != nil {
			p.add("cannot read the execution", l.name+": "+v.err.Error())
			continue
		}
		outcomes[v.status+" "+v.decision]++
		if v.status != "SUCCEEDED" || v.decision != "APPROVED" {
			p.add("execution not SUCCEEDED with decision APPROVED", l.name+": "+v.status+" "+v.decision)
		}
		if v.taskSucceeded != 1 || v.otherTaskEnds != 0 {
			p.add("RequestValuation not resumed exactly once (one TaskSucceeded)",
				fmt.Sprintf("%s: %d TaskSucceeded, %d TaskFailed/TaskTimedOut", l.name, v.taskSucceeded, v.otherTaskEnds))
		} else {
			resumedOnce++
		}
		if v.took >= callbackTimeout {
			p.add("execution took the callback timeout or longer", fmt.Sprintf("%s: %v", l.name, v.took.Round(time.Second)))
		}
		longest = max(longest, v.took)
	}
	t.Logf("outcomes: %v; RequestValuation resumed exactly once in %d/%d executions; longest execution %v",
		outcomes, resumedOnce, n, longest.Round(time.Millisecond))

	// 2. No valuation ordered twice: one token record per loan, holding one
	// valuation reference, and exactly one mock service execution (one per
	// accepted order, named by its reference) per loan's callback id.
	recs, err := records(ctx, c.ddb)
	if err != nil {
		t.Fatal(err)
	}
	byExec := map[string][]tokenstore.Record{}
	for _, r := range recs {
		byExec[r.ExecutionID] = append(byExec[r.ExecutionID], r)
	}
	refs := map[string]string{}      // reference -> loan
	callbacks := map[string]string{} // callback id -> loan
	recStatus := map[tokenstore.Status]int{}
	for _, l := range loans {
		rs := byExec[l.arn]
		delete(byExec, l.arn)
		if len(rs) != 1 {
			p.add("loan without exactly one token record", fmt.Sprintf("%s: %d records", l.name, len(rs)))
			continue
		}
		r := rs[0]
		recStatus[r.Status]++
		callbacks[r.CallbackID] = l.name
		if r.Status != tokenstore.StatusResolved {
			p.add("token record not RESOLVED", fmt.Sprintf("%s: %s (%s)", l.name, r.Status, r.Reason))
		}
		if r.ValuationReference == "" {
			p.add("token record without a valuation reference", fmt.Sprintf("%s: callback id %s, %s", l.name, r.CallbackID, r.Status))
			continue
		}
		if other, dup := refs[r.ValuationReference]; dup {
			p.add("valuation reference shared by two loans", fmt.Sprintf("%s: %s and %s", r.ValuationReference, other, l.name))
		}
		refs[r.ValuationReference] = l.name
	}
	for id, rs := range byExec {
		p.add("token records of no loan of this run", fmt.Sprintf("%q x%d", id, len(rs)))
	}
	valuations, err := listExecutions(ctx, c.sfn, vsARN, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(valuations) != n {
		p.add("ValuationService executions (valuations ordered) not exactly one per loan", fmt.Sprintf("%d, want %d", len(valuations), n))
	}
	ordered := make([]string, len(valuations)) // callback id each valuation calls back on
	orderErrs := make([]error, len(valuations))
	parallel(len(valuations), 8, func(i int) {
		d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: valuations[i].ExecutionArn})
		if err != nil {
			orderErrs[i] = err
			return
		}
		var in struct {
			CallbackURL string `json:"callbackUrl"`
		}
		_ = json.Unmarshal([]byte(aws.ToString(d.Input)), &in)
		ordered[i] = in.CallbackURL[strings.LastIndexByte(in.CallbackURL, '/')+1:]
	})
	perLoan := map[string]int{}
	vstatus := map[string]int{}
	for i, v := range valuations {
		ref := aws.ToString(v.Name)
		vstatus[string(v.Status)]++
		if orderErrs[i] != nil {
			p.add("cannot read a ValuationService execution", ref+": "+orderErrs[i].Error())
			continue
		}
		name, ok := callbacks[ordered[i]]
		if !ok {
			p.add("valuation ordered on a callback id of no loan", ref+": "+ordered[i])
			continue
		}
		perLoan[name]++
		if owner, ok := refs[ref]; ok && owner != name {
			p.add("valuation reference recorded for another loan", fmt.Sprintf("%s: ordered for %s, recorded for %s", ref, name, owner))
		}
	}
	for _, l := range loans {
		if k := perLoan[l.name]; k != 1 {
			p.add("loan without exactly one valuation ordered", fmt.Sprintf("%s: %d", l.name, k))
		}
	}
	t.Logf("token records: %d %v, distinct valuation references: %d; ValuationService executions: %d %v",
		len(recs), recStatus, len(refs), len(valuations), vstatus)

	// 3. No message lost or stuck: the request queue and both DLQs are empty.
	for _, q := range []string{queueURL, dlqURL, cbDLQURL} {
		d, err := depth(ctx, c.sqs, q)
		if err != nil {
			t.Fatal(err)
		}
		if d != 0 {
			p.add("queue not empty", fmt.Sprintf("%s: %d messages", q, d))
		}
	}
	t.Logf("%d loans, %d kills, seed %d: build %v, total %v", n, kills, seed, built.Sub(began).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// problems groups failed checks by kind, so that a run with many failing
// loans reports each kind once, with a count and a few examples.
type problems struct {
	kinds  []string
	byKind map[string][]string
}

func (p *problems) add(kind, example string) {
	if p.byKind == nil {
		p.byKind = map[string][]string{}
	}
	if _, ok := p.byKind[kind]; !ok {
		p.kinds = append(p.kinds, kind)
	}
	p.byKind[kind] = append(p.byKind[kind], example)
}

func (p *problems) report(t *testing.T) {
	t.Helper()
	for _, k := range p.kinds {
		ex := p.byKind[k]
		more := ""
		if len(ex) > 8 {
			ex, more = ex[:8], fmt.Sprintf(", and %d more", len(ex)-8)
		}
		t.Errorf("%s: %d (%s%s)", k, len(p.byKind[k]), strings.Join(ex, "; "), more)
	}
}

func countErrors(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	k := 0
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"level":"ERROR"`)) {
			k++
		}
	}
	return k
}

// parallel runs fn(0..n-1) on w goroutines.
func parallel(n, w int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

func listExecutions(ctx context.Context, c *sfn.Client, smARN string, status sfntypes.ExecutionStatus) ([]sfntypes.ExecutionListItem, error) {
	var out []sfntypes.ExecutionListItem
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(smARN), StatusFilter: status, MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListExecutions %s: %w", smARN, err)
		}
		out = append(out, page.Executions...)
	}
	return out, nil
}

func countExecutions(ctx context.Context, c *sfn.Client, smARN string, status sfntypes.ExecutionStatus) (int, error) {
	l, err := listExecutions(ctx, c, smARN, status)
	return len(l), err
}

// taskEnds counts how RequestValuation ended in an execution's history:
// TaskSucceeded events, and TaskFailed or TaskTimedOut events.
func taskEnds(ctx context.Context, c *sfn.Client, arn string) (succeeded, other int, err error) {
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("GetExecutionHistory: %w", err)
		}
		for _, ev := range page.Events {
			// RequestValuation's events only (its resource is SQS), not
			// PublishDecision's.
			switch {
			case ev.TaskSucceededEventDetails != nil:
				if aws.ToString(ev.TaskSucceededEventDetails.ResourceType) == "sqs" {
					succeeded++
				}
			case ev.TaskFailedEventDetails != nil:
				if aws.ToString(ev.TaskFailedEventDetails.ResourceType) == "sqs" {
					other++
				}
			case ev.TaskTimedOutEventDetails != nil:
				if aws.ToString(ev.TaskTimedOutEventDetails.ResourceType) == "sqs" {
					other++
				}
			}
		}
	}
	return succeeded, other, nil
}

func records(ctx context.Context, c *dynamodb.Client) ([]tokenstore.Record, error) {
	var out []tokenstore.Record
	var start map[string]ddbtypes.AttributeValue
	for {
		page, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(local.TableName), ExclusiveStartKey: start})
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", local.TableName, err)
		}
		for _, item := range page.Items {
			r, err := tokenstore.RecordFromItem(item)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

// depth is a queue's visible, in-flight and delayed messages.
func depth(ctx context.Context, c *sqs.Client, url string) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		return 0, fmt.Errorf("GetQueueAttributes %s: %w", url, err)
	}
	k := 0
	for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		v, _ := strconv.Atoi(out.Attributes[a])
		k += v
	}
	return k, nil
}
