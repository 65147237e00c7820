package scenarios_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/consumers/mockvaluation"
	"loanflow/infra/functionspec"
	"loanflow/infra/local"
	"loanflow/infra/scenarios"
)

// The fast config's budgets leave a busy machine room: every budget for
// something that should succeed is seconds, and no fault depends on one
// timer beating another by a hair.
func TestFastConfigBudgetsHoldOnABusyMachine(t *testing.T) {
	c := scenarios.FastConfig(scenarios.DefaultCallbackTimeout, scenarios.DefaultValuationDelay)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// A busy machine takes a second or two where a quiet one takes a few
	// milliseconds; each budget below leaves at least that.
	const hop = 2 * time.Second
	vs := c.ValuationService
	if vs.RequestTimeout < c.Mock.SlowResponse+hop {
		t.Errorf("RequestTimeout %s leaves a slow answer (%s) less than %s", vs.RequestTimeout, c.Mock.SlowResponse, hop)
	}
	if vs.Attempts < 2 {
		t.Errorf("Attempts %d: a flaky service's 503 should be retried within the invocation", vs.Attempts)
	}
	// The consumer keeps 750 ms of its invocation for the work after the call.
	if need := time.Duration(vs.Attempts)*(vs.RequestTimeout+2*vs.BaseBackoff) + time.Second; c.Queue.ConsumerTimeout < need {
		t.Errorf("ConsumerTimeout %s cannot hold %d attempts of %s and the consumer's reserve (%s)", c.Queue.ConsumerTimeout, vs.Attempts, vs.RequestTimeout, need)
	}
	if c.Callback.Timeout < hop || c.Signature.Tolerance < time.Minute {
		t.Errorf("resolver timeout %s, signature tolerance %s: too tight for a busy machine", c.Callback.Timeout, c.Signature.Tolerance)
	}
	if c.Callback.RetryAttempts < 3 {
		t.Errorf("Callback.RetryAttempts %d: a resolver that fails once on a busy machine must be retried, not dead-lettered", c.Callback.RetryAttempts)
	}
	if err := scenarios.CheckCallbackTimeout(c); err != nil {
		t.Error(err)
	}
	// The token records outlive the run: a late callback finds its record
	// (late, not unknown) however slowly it comes.
	if c.TokenGrace < scenarios.RunDeadline(c) {
		t.Errorf("TokenGrace %s is shorter than a run may take (%s)", c.TokenGrace, scenarios.RunDeadline(c))
	}
	// A late callback is late by construction, not by a race: the mock's
	// survey waits longer than the callback timeout, in whole seconds, and
	// starts after the loan's task did.
	mock, err := mockvaluation.ConfigFromEnv(functionspec.MockAPI(c, functionspec.MockResources{}).Environment.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if late := mock.LateDelay.Truncate(time.Second); late <= c.CallbackTimeout {
		t.Errorf("the mock's late survey (%s, whole seconds) does not outlast the callback timeout %s", late, c.CallbackTimeout)
	}
	if mock.SlowResponse != c.Mock.SlowResponse {
		t.Errorf("the mock's slow response is %s, the config's %s", mock.SlowResponse, c.Mock.SlowResponse)
	}
}

func TestCheckCallbackTimeoutRefusesATimeoutTheRedeliveryCannotBeat(t *testing.T) {
	c := scenarios.FastConfig(scenarios.DefaultCallbackTimeout, 0)
	short := c.Queue.VisibilityTimeout() // the 5xx loans' last receive comes this long after the first
	c = scenarios.FastConfig(short, 0)
	err := scenarios.CheckCallbackTimeout(c)
	if err == nil || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("CheckCallbackTimeout(%s) = %v", short, err)
	}
	if scenarios.MinCallbackTimeout(c) > scenarios.DefaultCallbackTimeout {
		t.Fatalf("MinCallbackTimeout %s exceeds the default %s", scenarios.MinCallbackTimeout(c), scenarios.DefaultCallbackTimeout)
	}
}

// slowLog is the log sink of a machine so busy that every line a function
// writes takes a whole second. A function's work takes that much longer
// each time, by the same amount every run: the mock valuation service logs
// as it accepts a request, so the consumer waits at least a second for each
// answer, where the old fast config gave it 250 ms.
type slowLog struct {
	next    slog.Handler
	delay   time.Duration
	fn      string
	delayed *atomic.Int64 // lines of the mock service's API
}

func (h *slowLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *slowLog) Handle(ctx context.Context, r slog.Record) error {
	time.Sleep(h.delay)
	if h.fn == local.FnServiceAPI {
		h.delayed.Add(1)
	}
	return h.next.Handle(ctx, r)
}

func (h *slowLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	for _, a := range as {
		if a.Key == "function" {
			c.fn = a.Value.String()
		}
	}
	return &c
}

func (h *slowLog) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// Every scenario ends as expected when every function is slow: the flake of
// a loaded machine (15 of 36 loans FAILED ValuationServiceUnavailable),
// reproduced without loading it.
func TestEveryScenarioOnABusyMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for the callback timeout")
	}
	cfg := scenarios.FastConfig(scenarios.DefaultCallbackTimeout, scenarios.DefaultValuationDelay)
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	stackLog := slog.New(slog.NewJSONHandler(logFile, nil))
	var delayed atomic.Int64
	fnLog := slog.New(&slowLog{next: slog.NewJSONHandler(logFile, nil), delay: time.Second, delayed: &delayed})
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: dir, Config: &cfg,
		Logger: stackLog, FunctionLogger: fnLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("stack log tail:\n%s", b)
		}
	})
	ac := aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)}
	r := &scenarios.Runner{SFN: sfn.NewFromConfig(ac), SQS: sqs.NewFromConfig(ac), StateMachineARN: s.Outputs.LoanProcessorARN,
		DLQURL: s.Outputs.DLQURL, Counters: s.Metrics.Snapshot, Deadline: scenarios.RunDeadline(cfg)}
	list := scenarios.All()
	results, err := r.Run(context.Background(), "busy", list, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		if !res.OK() {
			t.Errorf("%s: %d/%d as expected on a busy machine; %v", res.Scenario.Name, res.Passed, len(res.Loans), res.Problems)
		}
	}
	// Every loan asked the mock at least once, and each answer was slowed.
	if n := delayed.Load(); n < int64(len(list)) {
		t.Errorf("the mock service's API wrote %d slowed lines, want at least one per loan (%d): was the machine busy?", n, len(list))
	}
}
