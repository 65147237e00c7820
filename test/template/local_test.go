package template

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/config"
	"loanflow/infra/local"
	"loanflow/infra/local/audit"
	"loanflow/infra/local/sqs"
	"loanflow/infra/scenarios"
)

// closers close what the tests share, once they have all run.
var (
	closersMu sync.Mutex
	closers   []func()
)

func closeShared() {
	closersMu.Lock()
	defer closersMu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
}

// startStack starts a local stack in the scratch directory, its log in a
// file beside it; the stack is closed after every test has run.
func startStack(name string, cfg config.Config, rec *audit.Recorder) (*local.Stack, string, error) {
	dir := filepath.Join(scratch, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	logPath := filepath.Join(dir, "stack.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	log := slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: filepath.Join(dir, "state"),
		Config: &cfg, Logger: log, Audit: rec})
	if err != nil {
		f.Close()
		return nil, "", err
	}
	closersMu.Lock()
	closers = append(closers, func() { s.Close(); f.Close() })
	closersMu.Unlock()
	return s, logPath, nil
}

// auditedRun is a local stack that has run the scenarios with every AWS
// call recorded.
type auditedRun struct {
	stack *local.Stack
	calls []audit.Entry
}

var (
	auditOnce sync.Once
	audited   *auditedRun
	auditErr  error
)

// auditScenarios are the scenarios whose loans make every distinct call:
// a resolved valuation (the request consumer's writes and its signed call
// to the mock, the mock's execution, parameter and secrets, the webhook's
// PutEvents, the resolver's reads and SendTaskSuccess), a failed one
// (SendTaskFailure, and the referral published to the topic with the
// rule's role), a duplicate (a second callback) and a service that keeps
// failing (the consumer's own SendTaskFailure). The rest (timeouts, late,
// unknown, forged) make the same calls and wait out a timeout.
var auditScenarios = []string{"happy path", "failed valuation", "duplicate callback", "valuation service 5xx"}

// auditConfig is the local config with waits short enough for the
// service-5xx loan to fail within seconds: two receives, 18 seconds apart.
func auditConfig() config.Config {
	c := config.Local()
	c.CallbackTimeout = 90 * time.Second
	c.Queue.ConsumerTimeout = 3 * time.Second
	c.Queue.MaxReceiveCount = 2
	c.ValuationService.RequestTimeout = time.Second
	c.ValuationService.Attempts = 2
	c.Mock.CallbackDelay = 200 * time.Millisecond
	return c
}

// startRecordedRun starts the recorded run without waiting for it.
func startRecordedRun() { go auditOnce.Do(runAuditedOnce) }

func runAuditedOnce() { audited, auditErr = runAudited() }

// recordedRun runs the scenarios once on a stack that records every call.
func recordedRun(t *testing.T) *auditedRun {
	t.Helper()
	auditOnce.Do(runAuditedOnce)
	if auditErr != nil {
		t.Fatalf("local run: %v", auditErr)
	}
	return audited
}

func runAudited() (*auditedRun, error) {
	rec := audit.New()
	s, logPath, err := startStack("audited", auditConfig(), rec)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	cfg := clientConfig(s)
	var list []scenarios.Scenario
	for _, sc := range scenarios.All() {
		for _, name := range auditScenarios {
			if sc.Name == name {
				list = append(list, sc)
			}
		}
	}
	if len(list) != len(auditScenarios) {
		return nil, fmt.Errorf("scenarios %v: found %d of them in scenarios.All()", auditScenarios, len(list))
	}
	r := &scenarios.Runner{SFN: sfn.NewFromConfig(cfg), SQS: awssqs.NewFromConfig(cfg), StateMachineARN: s.Outputs.LoanProcessorARN,
		DLQURL: s.Outputs.DLQURL, Counters: s.Metrics.Snapshot, Deadline: 3 * time.Minute, Poll: 100 * time.Millisecond}
	results, err := r.Run(ctx, "iam", list, 1)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, res := range results {
		if !res.OK() {
			problems = append(problems, fmt.Sprintf("%s: %v", res.Scenario.Name, res.Problems))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the scenarios did not end as expected: %s\nstack log tail:\n%s", strings.Join(problems, "; "), logTail(logPath))
	}
	// The referrals reach the topic after their executions end.
	for deadline := time.Now().Add(time.Minute); ; {
		n, err := s.Bus.Pending(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d event deliveries still pending", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &auditedRun{stack: s, calls: rec.Calls()}, nil
}

// logTail is the end of a log file, for a failure message (the scratch
// directory is removed when the tests end).
func logTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 10000 {
		b = b[len(b)-10000:]
	}
	return string(b)
}

func clientConfig(s *local.Stack) aws.Config {
	return aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)}
}

// world binds the templates to a local stack: each named template resource
// to its local counterpart's names and ARNs.
func world(tpls Templates, names []named, s *local.Stack) *World {
	w := &World{Templates: tpls, Bindings: map[ResourceID]Binding{}, Region: s.Region, Account: local.AccountID}
	arn := func(service, resource string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, s.Region, local.AccountID, resource)
	}
	for _, n := range names {
		var b Binding
		switch n.kind {
		case kindQueue:
			b = Binding{Ref: s.Queues.QueueURL(n.local), Attrs: map[string]string{"Arn": s.Queues.QueueARN(n.local),
				"QueueName": n.local, "QueueUrl": s.Queues.QueueURL(n.local)}}
		case kindTable:
			b = Binding{Ref: n.local, Attrs: map[string]string{"Arn": arn("dynamodb", "table/"+n.local)}}
		case kindBus:
			b = Binding{Ref: n.local, Attrs: map[string]string{"Arn": s.Bus.BusARN(n.local), "Name": n.local}}
		case kindRule:
			bus := s.Config.EventBusName
			b = Binding{Ref: bus + "|" + n.local, Attrs: map[string]string{"Arn": s.Bus.RuleARN(bus, n.local)}}
		case kindStateMachine:
			a := arn("states", "stateMachine:"+n.local)
			b = Binding{Ref: a, Attrs: map[string]string{"Arn": a, "Name": n.local}}
		case kindFunction:
			b = Binding{Ref: n.local, Attrs: map[string]string{"Arn": s.Functions.ARN(n.local)}}
		case kindSecret:
			a, _ := s.Secrets.ARNOf(n.local)
			b = Binding{Ref: a, Attrs: map[string]string{"Id": a}}
		case kindTopic:
			a := arn("sns", n.local)
			b = Binding{Ref: a, Attrs: map[string]string{"TopicArn": a, "TopicName": n.local}}
		case kindParameter:
			b = Binding{Ref: n.local}
		case kindRestAPI:
			b = Binding{Ref: n.local}
		case kindHTTPAPI:
			b = Binding{Ref: n.local, Attrs: map[string]string{"ApiId": n.local,
				"ApiEndpoint": s.Outputs.Endpoint + local.MockServicePathPrefix}}
		case kindRole:
			b = Binding{Ref: roleName(n.principal), Attrs: map[string]string{"Arn": roleARN(n.principal)}}
		}
		w.Bindings[n.id] = b
	}
	return w
}

// roleARN is the ARN a principal's role has locally: the rule target's
// own, or one named after the principal.
func roleARN(p audit.Principal) string {
	if p.Kind == audit.KindTargetRole {
		return p.Name
	}
	return "arn:aws:iam::" + local.AccountID + ":role/" + roleName(p)
}

func roleName(p audit.Principal) string {
	if p.Kind == audit.KindTargetRole {
		return p.Name[strings.LastIndexByte(p.Name, '/')+1:]
	}
	return p.Kind + "-" + p.Name
}

// principals maps the recorder's principals to the templates' roles. A
// state machine's role is assumed for that state machine (its trust
// policy may say so with aws:SourceArn); a rule target's for its rule,
// which the recorded call names.
func principals(names []named, s *local.Stack) Principals {
	roles := map[audit.Principal]named{}
	for _, n := range names {
		if n.kind == kindRole {
			roles[n.principal] = n
		}
	}
	return func(p audit.Principal) (Who, bool) {
		if p.Kind == audit.KindService {
			return Who{Service: p.Name}, true
		}
		n, ok := roles[p]
		if !ok {
			return Who{}, false
		}
		who := Who{Role: n.id, RoleARN: roleARN(p), AssumedBy: n.assumedBy}
		if p.Kind == audit.KindStateMachine {
			who.AssumedFor = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, local.AccountID, p.Name)
		}
		return who, true
	}
}

// deployment reads the local stack's deployment for the parity check.
func deployment(ctx context.Context, s *local.Stack) (Deployment, error) {
	d := Deployment{Queues: map[string]map[string]string{}, Rules: map[string]Rule{}, Functions: map[string]Function{},
		StateMachines: map[string]StateMachine{}, Outputs: map[string]map[string]string{}}
	for _, u := range s.Queues.ListQueues("") {
		name := sqs.NameFromURL(u)
		attrs, err := s.Queues.Attributes(ctx, name, []string{"All"})
		if err != nil {
			return d, err
		}
		d.Queues[s.Queues.QueueARN(name)] = attrs
	}
	for _, m := range s.EventSourceMappings {
		d.Mappings = append(d.Mappings, Mapping{FunctionARN: m.Function.ARN, QueueARN: s.Queues.QueueARN(m.Queue), BatchSize: m.BatchSize,
			WindowSeconds: int(m.MaxBatchingWindow / time.Second), MaxConcurrency: m.MaxConcurrency, ReportBatchItemFailures: m.ReportBatchItemFailures})
	}
	buses, err := s.Bus.Buses(ctx)
	if err != nil {
		return d, err
	}
	for _, bus := range buses {
		for _, r := range s.Bus.Rules(bus) {
			ts, err := s.Bus.Targets(ctx, bus, r.Name)
			if err != nil {
				return d, err
			}
			rule := Rule{Bus: bus, Name: r.Name, Pattern: r.Pattern, State: r.State}
			for _, t := range ts {
				tt := Target{ARN: t.ARN, RoleARN: t.RoleARN, DeadLetterARN: t.DeadLetterARN, Input: t.Input, InputPath: t.InputPath,
					MaxRetryAttempts: t.RetryPolicy.MaximumRetryAttempts, MaxEventAgeSeconds: t.RetryPolicy.MaximumEventAgeInSeconds}
				if t.InputTransformer != nil {
					b, _ := json.Marshal(t.InputTransformer)
					tt.InputTransformer = string(b)
				}
				rule.Targets = append(rule.Targets, tt)
			}
			d.Rules[r.ARN] = rule
		}
	}
	for _, st := range s.Functions.All() {
		f, _ := s.Functions.Lookup(st.Name)
		var env []string
		for k, v := range f.Environment {
			if v != "" {
				env = append(env, k)
			}
		}
		d.Functions[f.ARN] = Function{Name: f.Name, TimeoutSeconds: int(f.Timeout / time.Second), Env: env}
	}
	sms, err := s.Engine.ListStateMachines(ctx)
	if err != nil {
		return d, err
	}
	for _, sm := range sms {
		full, err := s.Engine.DescribeStateMachine(ctx, sm.ARN)
		if err != nil {
			return d, err
		}
		d.StateMachines[sm.ARN] = StateMachine{Definition: full.Definition, Type: full.Type}
	}
	for _, name := range []string{StackLoanProcessor, StackValuationService} {
		if o, ok := s.CloudFormation.Outputs(name); ok {
			d.Outputs[name] = o
		}
	}
	return d, nil
}
