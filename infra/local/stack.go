// Package local is the local stack: the whole loanflow system on one machine,
// in one process, on one SQLite file and one HTTP port, behind AWS's own JSON
// protocols. It deploys from the same sources as the CDK app (the ASL files,
// the rule patterns in events/, the typed config) and runs the same Lambda
// handlers in-process, their AWS SDK clients pointed at its own endpoint.
package local

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"loanflow/consumers/valuationcallback"
	"loanflow/infra/config"
	"loanflow/infra/local/audit"
	"loanflow/infra/local/cfn"
	"loanflow/infra/local/dynamo"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/secretsmgr"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
	"loanflow/infra/local/ssm"
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
	Clock sfn.Clock
	// FunctionsOverSockets sends the functions' calls to the stack over TCP,
	// like any client; by default they reach its handler in-process (the same
	// HTTP bytes, no socket).
	FunctionsOverSockets bool
	// ListenPublic allows an Addr that is not a loopback address (":4566",
	// "0.0.0.0:4566", a LAN address). Without it Start refuses one with
	// ErrNotLoopback: the stack accepts any credentials.
	ListenPublic bool
	// AllowHosts are more names that requests may carry in their Host
	// header, besides the listen address, localhost, 127.0.0.1 and [::1] on
	// the stack's port: "name" on any port, "name:port" on that port only.
	// Every other Host is refused (DNS rebinding).
	AllowHosts []string
	// Audit, when set, records every AWS call each principal makes: the
	// functions (each signs with its own access key id), the state
	// machines' task integrations, the event bus's deliveries and the
	// webhook's integration (see package audit). Nil records nothing.
	Audit *audit.Recorder
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
	NotificationsTopicARN      string
	EventBusName               string
	TokenTableName             string
	WebhookURL                 string
	ValuationServiceURL        string
	StateFile                  string
	// ListenAddress is the address the stack is bound to; Endpoint is the
	// address to call it on (127.0.0.1 when bound to every interface).
	ListenAddress string
	// Public says ListenAddress is not a loopback address.
	Public bool
	// AllowedHosts are the Host headers the stack answers (see
	// Options.AllowHosts); "name:*" is a name on any port.
	AllowedHosts []string
}

// Stack is a running local stack.
type Stack struct {
	Outputs Outputs
	Config  config.Config
	Region  string

	DB        *sql.DB
	Engine    *sfn.Engine
	Queues    *sqs.Broker
	Tables    *dynamo.Store
	Bus       *eventbus.Bus
	Topics    *sns.Service // SNS: the query protocol, routed by sns.IsRequest
	Functions *functions.Registry
	Metrics   *valuationcallback.Tally
	// Secrets holds the webhook signing key and the mock provider's API key.
	Secrets *secretsmgr.Store
	// Parameters is SSM Parameter Store: the mock's allowed callback prefix.
	Parameters *ssm.Store
	// CloudFormation describes the deployment as the CDK app's stacks.
	CloudFormation *cfn.Service
	// EventSourceMappings are the functions' SQS event sources.
	EventSourceMappings []*functions.SQSMapping

	audit *audit.Recorder

	log      *slog.Logger
	hosts    *hostAllowList
	server   *http.Server
	listener net.Listener
	loop     *loopback
	state    *stateDir // its lock held until Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   sync.Once
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
		if s.Topics != nil {
			s.Topics.Close()
		}
		if s.Engine != nil {
			_ = s.Engine.Close()
		}
		s.wg.Wait()
		if s.Functions != nil {
			s.Functions.Close()
		}
		if s.DB != nil {
			_ = sqlitedb.Close(s.DB)
		}
		if s.state != nil {
			s.state.stop()
		}
	})
}
