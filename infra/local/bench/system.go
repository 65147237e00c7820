package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/consumers/signature"
	"loanflow/consumers/tokenstore"
	"loanflow/contracts"
	"loanflow/infra/config"
	"loanflow/infra/local"
	"loanflow/infra/local/sfn"
	"loanflow/infra/scenarios"
)

// SystemOptions size the end-to-end figures measured on a local stack.
type SystemOptions struct {
	// Loans is the number of happy-path loans for loans per second (default
	// 10,000; quick 1,000), started InFlight at a time (default 200).
	Loans, InFlight int
	// Samples is the number of webhook-to-resume measurements (default 500;
	// quick 100), as many again for the direct SendTaskSuccess baseline.
	Samples int
	// Dir holds the stack's state (default a temporary directory).
	Dir string
	// Log receives the stack's logs (default discarded).
	Log io.Writer
	// FunctionsOverSockets sends the functions' calls to the stack over TCP
	// (local.Options.FunctionsOverSockets).
	FunctionsOverSockets bool
}

// SystemResult holds the end-to-end measurements.
type SystemResult struct {
	Loans                  int
	Elapsed                time.Duration
	LoansPerSec            float64
	BareExecsPerSec        float64
	WebhookP50, WebhookP99 time.Duration
	DirectP50, DirectP99   time.Duration
	// Per happy-path loan, from its history and the function counters.
	Transitions       int
	LambdaInvocations float64
	// LoanCPU is the process's CPU time (every thread: the stack, its
	// functions and the load) per loan over the loan phase (Elapsed), on a
	// machine of Cores; zero where the process's CPU time cannot be read.
	LoanCPU        time.Duration
	Cores          int
	CostPerMillion float64
	CostLines      []string
}

func (o *SystemOptions) defaults(quick bool) {
	if o.Loans <= 0 {
		o.Loans = 10000
		if quick {
			o.Loans = 1000
		}
	}
	if o.InFlight <= 0 {
		o.InFlight = 200
	}
	if o.Samples <= 0 {
		o.Samples = 500
		if quick {
			o.Samples = 100
		}
	}
}

// RunSystem starts a local stack (zero valuation delay) and measures loans
// per second end to end against bare one-state executions on the same
// engine, webhook-to-resume latency against a direct SendTaskSuccess, and the
// cloud cost of one loan.
func RunSystem(ctx context.Context, quick bool, opts SystemOptions, w io.Writer) (SystemResult, []Figure, error) {
	opts.defaults(quick)
	var res SystemResult
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "loanflow-bench-")
		if err != nil {
			return res, nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	// The local defaults (2 s HTTP timeouts, 10 s consumer), no valuation delay.
	cfg := config.Local()
	cfg.CallbackTimeout = 10 * time.Minute
	cfg.Mock.CallbackDelay = 0
	cfg.Queue.MaxConcurrency = 64
	cfg.Functions.LogLevel = "WARN"
	s, err := local.Start(ctx, local.Options{Addr: "127.0.0.1:0", StateDir: dir, Reset: true, Config: &cfg,
		FunctionsOverSockets: opts.FunctionsOverSockets,
		Logger:               slog.New(slog.NewJSONHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return res, nil, fmt.Errorf("start local stack: %w", err)
	}
	defer s.Close()

	fmt.Fprintf(w, "system: %d happy-path loans, %d at a time...\n", opts.Loans, opts.InFlight)
	if err := loansPerSecond(ctx, s, opts, &res); err != nil {
		return res, nil, err
	}
	fmt.Fprintf(w, "system: %d webhook-to-resume samples...\n", opts.Samples)
	if err := resumeLatency(ctx, s, opts.Samples, &res); err != nil {
		return res, nil, err
	}
	figs := systemFigures(res)
	return res, figs, nil
}

// runAll starts n executions of arn (input from in(i)), at most inFlight
// running at once, and waits for all to close, each SUCCEEDED with an output
// that want accepts (nil: any). It returns the wall time.
func runAll(ctx context.Context, e *sfn.Engine, arn, prefix string, n, inFlight int, in func(i int) string, want func(output string) error) (time.Duration, error) {
	execPrefix := strings.Replace(arn, ":stateMachine:", ":execution:", 1) + ":"
	sem := make(chan struct{}, inFlight)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			// Watched before it starts, the execution needs no read until
			// it has closed (WaitExecution reads it once first).
			name := fmt.Sprintf("%s-%d", prefix, i)
			w := e.WatchExecution(execPrefix + name)
			defer w.Stop()
			x, _, err := e.StartExecution(ctx, arn, name, in(i))
			if err == nil && x != execPrefix+name {
				err = fmt.Errorf("started %s, watched %s", x, execPrefix+name)
			}
			if err == nil {
				var d *sfn.Execution
				d, err = w.Wait(ctx)
				if err == nil && d.Status != "SUCCEEDED" {
					err = fmt.Errorf("execution %s ended %s (%s)", x, d.Status, deref(d.Error))
				}
				if err == nil && want != nil {
					if werr := want(deref(d.Output)); werr != nil {
						err = fmt.Errorf("execution %s: %w", x, werr)
					}
				}
			}
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}(i)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return time.Since(start), nil
}

func loansPerSecond(ctx context.Context, s *local.Stack, opts SystemOptions, res *SystemResult) error {
	e := s.Engine
	bare, _, err := e.CreateStateMachine(ctx, "BenchBare", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		"arn:aws:iam::000000000000:role/bench", "STANDARD")
	if err != nil {
		return fmt.Errorf("bare state machine: %w", err)
	}
	happy := scenarios.All()[0]
	loanInput := func(i int) string {
		b, _ := json.Marshal(happy.Loan("bench", i))
		return string(b)
	}
	before := invocations(s)
	cpu0, cpuOK := processCPU()
	took, err := runAll(ctx, e, s.Outputs.LoanProcessorARN, "bench", opts.Loans, opts.InFlight, loanInput,
		func(output string) error {
			// A loan that went down another path (a lost or mixed-up callback
			// ends in the timeout path) is not a happy-path loan.
			var o scenarios.Outcome
			if err := json.Unmarshal([]byte(output), &o); err != nil || o.Decision != happy.Expect.Decision || o.Reason != happy.Expect.Reason {
				return fmt.Errorf("output %.200s, want decision %s (%s)", output, happy.Expect.Decision, happy.Expect.Reason)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("loans: %w", err)
	}
	after := invocations(s)
	res.Loans, res.Elapsed = opts.Loans, took
	if cpu1, ok := processCPU(); ok && cpuOK && took > 0 {
		res.LoanCPU = (cpu1 - cpu0) / time.Duration(opts.Loans)
		res.Cores = runtime.NumCPU()
	}
	res.LoansPerSec = float64(opts.Loans) / took.Seconds()
	res.LambdaInvocations = float64(after-before) / float64(opts.Loans)
	bareTook, err := runAll(ctx, e, bare, "bare", opts.Loans, opts.InFlight, func(int) string { return `{"a":1}` }, nil)
	if err != nil {
		return fmt.Errorf("bare executions: %w", err)
	}
	res.BareExecsPerSec = float64(opts.Loans) / bareTook.Seconds()
	// State transitions billed for one happy-path loan: the states it entered.
	hist, _, err := e.GetExecutionHistory(ctx, sfn.HistoryInput{ExecutionARN: strings.Replace(s.Outputs.LoanProcessorARN, ":stateMachine:", ":execution:", 1) + ":bench-0", MaxResults: 1000})
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	for _, ev := range hist {
		if strings.HasSuffix(ev.Type, "StateEntered") {
			res.Transitions++
		}
	}
	res.CostPerMillion, res.CostLines = cloudCost(res.Transitions, res.LambdaInvocations)
	return nil
}

// invocations counts the processor's own function invocations (the request
// consumer and the resolver; the mock service is someone else's bill).
func invocations(s *local.Stack) int64 {
	var n int64
	for _, f := range s.Functions.All() {
		if f.Name == local.FnValuationRequest || f.Name == local.FnValuationCallback {
			n += f.Invocations
		}
	}
	return n
}

// cloudCost prices one million loans at AWS list prices (us-east-1, on-demand,
// as published in 2025); the assumptions are printed with it.
func cloudCost(transitions int, lambdas float64) (float64, []string) {
	const (
		perTransition    = 0.025 / 1000 // Step Functions Standard
		perLambdaRequest = 0.20 / 1e6   // Lambda requests
		perGBSecond      = 0.0000133334 // Lambda arm64 duration
		lambdaGBs        = 0.25 * 0.1   // assumed 256 MB x 100 ms billed per invocation
		perSQSRequest    = 0.40 / 1e6   // SQS standard
		sqsRequests      = 3            // send, receive, delete (no batching: an upper bound)
		perWRU           = 0.625 / 1e6  // DynamoDB on-demand write request unit
		wrus             = 4 * 2        // put, reference, claim, resolve; ~1.5 KB items = 2 WRU each
		perRRU           = 0.125 / 1e6  // DynamoDB on-demand read request unit (strongly consistent <= 4 KB)
		rrus             = 2            // the resolver's get, and the consumer's on redelivery
		perEvent         = 1.00 / 1e6   // EventBridge custom event
		perAPIRequest    = 3.50 / 1e6   // API Gateway REST API
	)
	items := []struct {
		name string
		usd  float64
	}{
		{fmt.Sprintf("Step Functions: %d transitions", transitions), float64(transitions) * perTransition},
		{fmt.Sprintf("Lambda: %.2f invocations (requests + 256 MB x 100 ms each)", lambdas), lambdas * (perLambdaRequest + lambdaGBs*perGBSecond)},
		{"SQS: 3 requests", sqsRequests * perSQSRequest},
		{"DynamoDB: 8 WRU + 2 RRU", wrus*perWRU + rrus*perRRU},
		{"EventBridge: 1 custom event", perEvent},
		{"API Gateway: 1 REST request", perAPIRequest},
	}
	total := 0.0
	var lines []string
	for _, it := range items {
		total += it.usd * 1e6
		lines = append(lines, fmt.Sprintf("%s = $%.2f per million loans", it.name, it.usd*1e6))
	}
	return total, lines
}

// resumeLatency parks 2 x samples loans on a valuation that never calls back,
// then resumes them one at a time, alternating: through the webhook (signed
// POST -> bus -> resolver -> SendTaskSuccess) and by a direct SendTaskSuccess
// with the same output (the engine's floor).
func resumeLatency(ctx context.Context, s *local.Stack, samples int, res *SystemResult) error {
	waitScenario := scenarios.Scenario{Name: "latency", Marker: "mock:no-callback", LoanAmount: 25000000}
	n := 2 * samples
	for i := 0; i < n; i++ {
		b, _ := json.Marshal(waitScenario.Loan("lat", i))
		if _, _, err := s.Engine.StartExecution(ctx, s.Outputs.LoanProcessorARN, fmt.Sprintf("lat-%d", i), string(b)); err != nil {
			return fmt.Errorf("start: %w", err)
		}
	}
	ddb := dynamodb.NewFromConfig(aws.Config{Region: s.Region, BaseEndpoint: aws.String(s.Outputs.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("b", "b", "")})
	var recs []tokenstore.Record
	deadline := time.Now().Add(2 * time.Minute)
	for {
		recs = recs[:0]
		var start map[string]ddbtypes.AttributeValue
		for {
			page, err := ddb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(local.TableName), ExclusiveStartKey: start})
			if err != nil {
				return fmt.Errorf("scan tokens: %w", err)
			}
			for _, it := range page.Items {
				if r, err := tokenstore.RecordFromItem(it); err == nil && r.Status == tokenstore.StatusPending &&
					r.ValuationReference != "" && strings.Contains(r.ExecutionID, ":lat-") {
					recs = append(recs, r)
				}
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			start = page.LastEvaluatedKey
		}
		if len(recs) >= n {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d loans are waiting on their callback", len(recs), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var viaHook, direct []time.Duration
	for i, r := range recs[:n] {
		resp := contracts.ValuationResponse{ValuationReference: r.ValuationReference, Status: contracts.StatusCompleted,
			PropertyValue: 40000000, Currency: "GBP"}
		body, _ := json.Marshal(resp)
		t0 := time.Now()
		if i%2 == 0 {
			ts, sig := signature.Sign(t0, signature.Message{CallbackID: r.CallbackID, Body: body}, s.Secret())
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.Outputs.Endpoint+"/valuations/"+r.CallbackID, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(contracts.HeaderAPIKey, s.WebhookAPIKey())
			req.Header.Set(contracts.HeaderSignatureTimestamp, ts)
			req.Header.Set(contracts.HeaderSignature, sig)
			hr, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("webhook: %w", err)
			}
			_, _ = io.Copy(io.Discard, hr.Body)
			hr.Body.Close()
			if hr.StatusCode != http.StatusAccepted {
				return fmt.Errorf("webhook answered %d", hr.StatusCode)
			}
		} else {
			out, _ := json.Marshal(contracts.ValuationResult{ValuationReference: r.ValuationReference, PropertyValue: 40000000,
				Currency: "GBP", LoanToValueBps: contracts.LoanToValueBps(r.LoanAmount, 40000000)})
			if err := s.Engine.SendTaskSuccess(ctx, r.TaskToken, string(out)); err != nil {
				return fmt.Errorf("direct SendTaskSuccess: %w", err)
			}
		}
		if err := waitClosed(ctx, s.Engine, r.ExecutionID); err != nil {
			return err
		}
		if i%2 == 0 {
			viaHook = append(viaHook, time.Since(t0))
		} else {
			direct = append(direct, time.Since(t0))
		}
		if err := waitSettled(ctx, s); err != nil {
			return err
		}
	}
	res.WebhookP50, res.WebhookP99 = percentile(viaHook, 50), percentile(viaHook, 99)
	res.DirectP50, res.DirectP99 = percentile(direct, 50), percentile(direct, 99)
	return nil
}

// waitClosed waits until the execution closes. It is woken by the engine
// when the close has committed (WaitExecution) rather than polling
// DescribeExecution: a tight poll would take CPU from the path it measures,
// and more of it the longer that path is.
func waitClosed(ctx context.Context, e *sfn.Engine, arn string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	x, err := e.WaitExecution(ctx, arn)
	if err != nil {
		return fmt.Errorf("%s did not resume within 30 s: %w", arn, err)
	}
	if x.Status != "SUCCEEDED" {
		return fmt.Errorf("%s ended %s", arn, x.Status)
	}
	return nil
}

// waitSettled waits, after a sample, until the stack has no event delivery
// pending and no function running: what a sample leaves behind after its
// execution closed (the resolver marking its record, the bus removing its
// delivery, the decision event's delivery) must not run into the next
// sample, which would slow that one instead.
func waitSettled(ctx context.Context, s *local.Stack) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending, err := s.Bus.Pending(ctx)
		if err != nil {
			return fmt.Errorf("pending deliveries: %w", err)
		}
		running := 0
		for _, f := range s.Functions.All() {
			running += f.InFlight
		}
		if pending == 0 && running == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the stack did not settle within 30 s: %d deliveries pending, %d functions running", pending, running)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return s[i-1]
}

func systemFigures(r SystemResult) []Figure {
	met := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "NO"
	}
	return []Figure{
		{Name: fmt.Sprintf("Loans end to end (%s, zero service delay)", thousands(r.Loans)),
			Value: fmt.Sprintf("%.0f loans/s", r.LoansPerSec), Baseline: fmt.Sprintf("%.0f bare executions/s", r.BareExecsPerSec),
			Ratio: fmt.Sprintf("%.2f", r.LoansPerSec/r.BareExecsPerSec), Goal: ">= 1,000 loans/s", Met: met(r.LoansPerSec >= 1000),
			Note: "ratio = loans/s over one-Pass-state executions/s on the same engine in the same run" + loanCPUNote(r)},
		{Name: "Webhook-to-resume latency p50 / p99", Value: fmt.Sprintf("%s / %s", fmtDuration(r.WebhookP50), fmtDuration(r.WebhookP99)),
			Baseline: fmt.Sprintf("direct SendTaskSuccess %s / %s", fmtDuration(r.DirectP50), fmtDuration(r.DirectP99)),
			Ratio:    fmt.Sprintf("%.1f / %.1f", durRatio(r.WebhookP50, r.DirectP50), durRatio(r.WebhookP99, r.DirectP99)),
			Goal:     fmt.Sprintf("p99 <= %gx direct SendTaskSuccess (same run)", webhookP99Goal), Met: met(webhookGoalMet(r)),
			Note: "signed POST -> validation -> bus -> rule -> resolver (DynamoDB claim, SendTaskSuccess, resolve) -> execution closed; " +
				"direct = SendTaskSuccess on the engine with the same output -> execution closed; samples alternate"},
		{Name: "Cloud cost per happy-path loan", Value: fmt.Sprintf("$%.2f per million loans", r.CostPerMillion),
			Baseline: fmt.Sprintf("%d transitions, %.2f Lambda invocations", r.Transitions, r.LambdaInvocations), Ratio: "-", Met: "-",
			Note: "us-east-1 list prices (2025); " + strings.Join(r.CostLines, "; ")},
	}
}

// loanCPUNote says what the loan phase cost the process in CPU and how much
// of the machine it kept busy: a phase that keeps every core busy is
// CPU-bound, and only less CPU per loan makes it faster. Empty where the
// process's CPU time was not measured.
func loanCPUNote(r SystemResult) string {
	if r.LoanCPU <= 0 || r.Cores <= 0 {
		return ""
	}
	return fmt.Sprintf("; process CPU %.2f ms per loan, %.1f of %d cores busy on average over the loan phase",
		float64(r.LoanCPU)/float64(time.Millisecond), r.coresBusy(), r.Cores)
}

// coresBusy is the loan phase's CPU time over its wall time: how many cores
// it kept busy on average; zero where either was not measured.
func (r SystemResult) coresBusy() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.LoanCPU) * float64(r.Loans) / float64(r.Elapsed)
}

// webhookP99Goal is issue 20's goal: the webhook path's p99 at most this
// many times the direct SendTaskSuccess p99 measured in the same run.
const webhookP99Goal = 2.0

// webhookGoalMet says whether the run met webhookP99Goal; a run without a
// direct figure has not.
func webhookGoalMet(r SystemResult) bool {
	return r.DirectP99 > 0 && durRatio(r.WebhookP99, r.DirectP99) <= webhookP99Goal
}

func durRatio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
