// Package local is the local stack: the whole loanflow system on one machine,
// in one process, on one SQLite file and one HTTP port, behind AWS's own JSON
// protocols. It deploys from the same sources as the CDK app (the ASL files,
// the rule patterns in events/, the typed config) and runs the same Lambda
// handlers in-process, their AWS SDK clients pointed at its own endpoint.
package local

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"loanflow/infra/config"
	"loanflow/infra/local/asl"
	"loanflow/infra/local/dynamo"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/integrations"
	"loanflow/infra/local/secretsmgr"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

// AccountID is the account of every local resource.
const AccountID = "000000000000"

// Names of the locally deployed resources.
const (
	QueueName             = "valuation-requests"
	DLQName               = "valuation-requests-dlq"
	CallbackDLQName       = "valuation-callback-dlq"
	TableName             = "loanflow-tokens"
	LoanProcessorName     = "LoanProcessor"
	ValuationServiceName  = "ValuationService"
	FnValuationRequest    = "valuation-request"
	FnValuationCallback   = "valuation-callback"
	FnServiceAPI          = "valuation-service-api"
	FnServiceCallback     = "valuation-service-callback"
	MockServicePathPrefix = "/valuation-service"
)

// Options configure a stack.
type Options struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port.
	Addr string
	// StateDir holds the SQLite file and the signing key.
	StateDir string
	// Reset deletes the state before starting.
	Reset bool
	// Region defaults to AWS_REGION, then us-east-1.
	Region string
	// Config is the typed config; zero means config.Local().
	Config *config.Config
	Logger *slog.Logger
	// FunctionLogger receives the Lambda handlers' logs (default: Logger).
	FunctionLogger *slog.Logger
	// Clock drives the ASL engine (tests); nil is the wall clock.
	Clock asl.Clock
	// FunctionsOverSockets sends the functions' calls to the stack over TCP,
	// like any client; by default they reach its handler in-process (the same
	// HTTP bytes, no socket).
	FunctionsOverSockets bool
}

// Outputs are what a deployment prints, like a stack's outputs.
type Outputs struct {
	Endpoint                   string
	ConsoleURL                 string
	LoanProcessorARN           string
	ValuationServiceMachineARN string
	QueueURL                   string
	DLQURL                     string
	CallbackDLQURL             string
	EventBusName               string
	TokenTableName             string
	WebhookURL                 string
	ValuationServiceURL        string
	StateFile                  string
}

// Stack is a running local stack.
type Stack struct {
	Outputs Outputs
	Config  config.Config
	Region  string

	DB        *sql.DB
	Engine    *asl.Engine
	Queues    *sqs.Broker
	Tables    *dynamo.Store
	Bus       *eventbus.Bus
	Functions *functions.Registry
	Metrics   *Counters
	// Secrets holds the webhook signing key and the mock provider's API key.
	Secrets *secretsmgr.Store

	log      *slog.Logger
	server   *http.Server
	listener net.Listener
	loop     *loopback
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   sync.Once
}

// Start opens the state, serves the endpoint, deploys the system and starts
// every background worker. Close stops it.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	s := &Stack{log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.Config = config.Local()
	if opts.Config != nil {
		s.Config = *opts.Config
	}
	if err := s.Config.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	s.Region = opts.Region
	if s.Region == "" {
		s.Region = os.Getenv("AWS_REGION")
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:4566"
	}
	if opts.StateDir == "" {
		opts.StateDir = ".loanflow"
	}
	if err := prepareState(opts.StateDir, opts.Reset); err != nil {
		return nil, err
	}
	var err error
	if s.Secrets, err = openSecrets(opts.StateDir, s.Region, s.Config.Signature.SecretName); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another local stack running? use --addr)", opts.Addr, err)
	}
	s.listener = ln
	endpoint := "http://" + ln.Addr().String()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 512
	s.loop = &loopback{host: ln.Addr().String(), next: tr, target: &loopTarget{}}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	stateFile := filepath.Join(opts.StateDir, "loanflow.db")
	if s.DB, err = sqlitedb.Open(stateFile); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if err := s.build(runCtx, endpoint, opts); err != nil {
		return nil, err
	}
	handler := s.routes()
	if !opts.FunctionsOverSockets {
		s.loop.target.handler.Store(&handler)
	}
	s.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("local stack server stopped", "error", err.Error())
		}
	}()
	if err := s.deploy(runCtx, endpoint, opts); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	s.Outputs.StateFile = stateFile
	ok = true
	return s, nil
}

// build creates the services (nothing is deployed yet).
func (s *Stack) build(ctx context.Context, endpoint string, opts Options) error {
	var err error
	s.Metrics = NewCounters()
	if s.Queues, err = sqs.New(ctx, s.DB, sqs.Options{BaseURL: endpoint, Region: s.Region, Logger: s.log}); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	if s.Tables, err = dynamo.New(ctx, s.DB, dynamo.Options{Region: s.Region, Logger: s.log}); err != nil {
		return fmt.Errorf("dynamodb: %w", err)
	}
	s.Functions = functions.NewRegistry(s.Region, AccountID, s.log)
	hub := &integrations.Hub{Queues: s.Queues, Functions: s.Functions}
	if s.Bus, err = eventbus.New(ctx, s.DB, eventbus.Options{Region: s.Region, AccountID: AccountID, Logger: s.log,
		RetryBase: 200 * time.Millisecond, RetryMax: time.Minute, DeliveryTimeout: s.Config.Callback.Timeout}, hub, hub); err != nil {
		return fmt.Errorf("eventbridge: %w", err)
	}
	hub.Bus = s.Bus
	if s.Engine, err = asl.New(s.DB, asl.Options{Clock: opts.Clock, Invoker: hub, Logger: s.log, Region: s.Region, AccountID: AccountID}); err != nil {
		return fmt.Errorf("step functions: %w", err)
	}
	return nil
}

// Secret is the webhook signing key's current value, which the mock
// service signs with.
func (s *Stack) Secret() []byte {
	v, _ := s.Secrets.Current(s.Config.Signature.SecretName)
	return []byte(v)
}

// WebhookAPIKey is the API key the mock valuation service presents to the
// webhook.
func (s *Stack) WebhookAPIKey() string {
	v, _ := s.Secrets.Current(WebhookAPIKeySecretName)
	return v
}

// Close stops serving, stops the workers and closes the state file. Waiting
// executions, queued messages and pending deliveries stay in it.
func (s *Stack) Close() {
	s.closed.Do(func() {
		if s.loop != nil {
			s.loop.target.close(5 * time.Second)
		}
		if s.server != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.server.Shutdown(sctx)
			cancel()
		} else if s.listener != nil {
			_ = s.listener.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		if s.Bus != nil {
			s.Bus.Close()
		}
		if s.Engine != nil {
			_ = s.Engine.Close()
		}
		s.wg.Wait()
		if s.DB != nil {
			_ = sqlitedb.Close(s.DB)
		}
	})
}

func prepareState(dir string, reset bool) error {
	if reset {
		for _, f := range []string{"loanflow.db", "loanflow.db-wal", "loanflow.db-shm"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("reset state: %w", err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	return nil
}

// SecretsFile is the name of the local Secrets Manager's file in the state
// directory.
const SecretsFile = "secrets.json"

// LegacySecretFile is where stacks before the local Secrets Manager kept the
// signing key; its key is carried over.
const LegacySecretFile = "signing-key"

// WebhookAPIKeySecretName is the secret holding the mock valuation
// service's webhook API key.
const WebhookAPIKeySecretName = "loanflow/webhook-api-key/mock-valuation-service"

// openSecrets opens the local Secrets Manager and makes the signing key and
// the webhook API key on first start.
func openSecrets(dir, region, signingName string) (*secretsmgr.Store, error) {
	st, err := secretsmgr.Open(filepath.Join(dir, SecretsFile), region, AccountID)
	if err != nil {
		return nil, err
	}
	signing, err := randomKey()
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, LegacySecretFile)); err == nil {
		if k := strings.TrimSpace(string(b)); len(k) >= 64 {
			signing = k
		}
	}
	if _, err := st.Ensure(signingName, signing); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	apiKey, err := randomKey()
	if err != nil {
		return nil, err
	}
	if _, err := st.Ensure(WebhookAPIKeySecretName, apiKey[:40]); err != nil {
		return nil, fmt.Errorf("webhook API key: %w", err)
	}
	return st, nil
}

func randomKey() (string, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("make key: %w", err)
	}
	return hex.EncodeToString(k), nil
}

// ReadSecret reads the current signing key of the stack whose state is in
// dir, as the valuation service signs with it.
func ReadSecret(dir string) ([]byte, error) {
	p := filepath.Join(dir, SecretsFile)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("read signing key (has `loanflow up` run with this --state?): %w", err)
	}
	st, err := secretsmgr.Open(p, "", AccountID)
	if err != nil {
		return nil, err
	}
	v, ok := st.Current(config.Local().Signature.SecretName)
	if !ok {
		return nil, fmt.Errorf("no signing key in %s", p)
	}
	return []byte(v), nil
}
