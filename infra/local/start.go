package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"loanflow/consumers/valuationcallback"
	"loanflow/infra/config"
	"loanflow/infra/local/cfn"
	"loanflow/infra/local/dynamo"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/integrations"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sqs"
	"loanflow/infra/local/ssm"
)

// Start opens the state, serves the endpoint, deploys the system and starts
// every background worker. Close stops it.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	s := &Stack{log: opts.Logger, audit: opts.Audit}
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
	extraHosts, err := parseAllowHosts(opts.AllowHosts)
	if err != nil {
		return nil, err
	}
	// The port first: a start that cannot serve must not touch the state.
	ln, err := listen(opts.Addr, opts.ListenPublic)
	if err != nil {
		return nil, err
	}
	bound := ln.Addr().(*net.TCPAddr)
	endpoint := endpointFor(bound)
	s.listener = reachableListener{Listener: ln, addr: endpointAddr(bound)}
	if s.hosts, err = newHostAllowList(bound, extraHosts); err != nil {
		_ = ln.Close()
		return nil, err
	}
	state, err := openStateDir(opts.StateDir, opts.Reset)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
			state.undo()
		}
	}()
	if s.Secrets, err = openSecrets(opts.StateDir, s.Region, s.Config.Signature.SecretName); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 512
	s.loop = &loopback{host: strings.TrimPrefix(endpoint, "http://"), next: tr, target: newLoopTarget()}
	if s.DB, err = state.openDB(ctx, s.log); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if err := s.buildServices(runCtx, endpoint, opts); err != nil {
		return nil, err
	}
	handler := s.routes()
	if !opts.FunctionsOverSockets {
		s.loop.target.handler.Store(&handler)
	}
	s.server = newHTTPServer(handler)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.server.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.ErrorContext(runCtx, "local stack server stopped", "err", err)
		}
	}()
	if err := s.deploy(runCtx, endpoint, opts); err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	s.Topics.Start(runCtx) // retries and resumed deliveries, once the functions are registered
	if err := state.markHeld(endpoint); err != nil {
		return nil, err
	}
	s.Outputs.StateFile = state.dbPath()
	s.Outputs.ListenAddress = bound.String()
	s.Outputs.Public = !bound.IP.IsLoopback()
	s.Outputs.AllowedHosts = s.hosts.list()
	if s.Outputs.Public {
		s.log.WarnContext(ctx, "the local stack listens on a non-loopback address: any machine that reaches it can use it, with any credentials",
			"listen", bound.String(), "allowedHosts", s.Outputs.AllowedHosts)
	}
	s.state, ok = state, true
	return s, nil
}

// buildServices creates the services (nothing is deployed yet).
func (s *Stack) buildServices(ctx context.Context, endpoint string, opts Options) error {
	var err error
	s.Metrics = &valuationcallback.Tally{}
	if s.Queues, err = sqs.New(ctx, s.DB, sqs.Options{BaseURL: endpoint, Region: s.Region, Logger: s.log}); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	if s.Tables, err = dynamo.New(ctx, s.DB, dynamo.Options{Region: s.Region, Logger: s.log}); err != nil {
		return fmt.Errorf("dynamodb: %w", err)
	}
	s.Functions = functions.NewRegistry(s.Region, AccountID, s.log)
	s.Parameters = ssm.New(s.Region, AccountID)
	s.CloudFormation = cfn.New(s.Region, AccountID)
	hub := &integrations.Hub{Queues: s.Queues, Functions: s.Functions}
	targets := s.auditTargets(hub)
	if s.Bus, err = eventbus.New(ctx, s.DB, eventbus.Options{Region: s.Region, AccountID: AccountID, Logger: s.log,
		RetryBase: 200 * time.Millisecond, RetryMax: time.Minute, DeliveryTimeout: s.Config.Callback.Timeout}, targets, targets); err != nil {
		return fmt.Errorf("eventbridge: %w", err)
	}
	hub.Bus = s.Bus
	if s.Topics, err = sns.New(ctx, s.DB, sns.Options{BaseURL: endpoint, Region: s.Region, AccountID: AccountID, Logger: s.log,
		Queues: s.Queues, Functions: s.Functions}); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	if s.Engine, err = sfn.New(s.DB, sfn.Options{Clock: opts.Clock, Invoker: s.auditTasks(hub), Logger: s.log, Region: s.Region, AccountID: AccountID}); err != nil {
		return fmt.Errorf("step functions: %w", err)
	}
	hub.Executions = s.Engine // state machines as rule targets
	hub.Topics = s.Topics     // SNS topics as rule targets
	return nil
}

// requestReadTimeout bounds how long a client may take to send a whole
// request, body included.
var requestReadTimeout = 30 * time.Second

// newHTTPServer is the stack's HTTP server. ReadHeaderTimeout bounds a
// request's headers and ReadTimeout all of it: with only the first, a client
// that declared a body and sent it a byte at a time held its connection, and
// the buffer set aside for the body it declared, for as long as it liked.
// The server lifts the deadline once the body has been read (to watch for
// the client going away), so a handler's own time, an SQS long poll, is not
// bounded by it.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: requestReadTimeout}
}
