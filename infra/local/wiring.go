package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/infra/functionspec"
	"loanflow/infra/local/audit"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/sfn/sfnapi"
)

func (s *Stack) sfnService() *awsjson.Service { return sfnapi.Service(s.Engine) }

// awsConfig is the stack's own SDK configuration (it creates its token
// table through the DynamoDB protocol, as CloudFormation would).
func (s *Stack) awsConfig(endpoint string) aws.Config {
	return s.awsConfigAs(endpoint, audit.Principal{Kind: audit.KindCaller, Name: "local"})
}

// awsConfigAs is what a function's main would load in Lambda, pointed at
// this stack: the handlers' SDK calls cross the same protocol as on AWS,
// signed with an access key id of the principal's own, as each function's
// role has its own credentials on AWS (see package audit).
//
// A function's HTTP client has no overall timeout, as the one
// config.LoadDefaultConfig gives a function in Lambda has none: its calls
// end with the invocation's deadline, which their context carries. (An
// http.Client with a timeout also starts a timer and a goroutine for every
// request to a transport other than *http.Transport, the loopback's case.)
// The stack's own calls, which no invocation bounds, keep a timeout.
func (s *Stack) awsConfigAs(endpoint string, p audit.Principal) aws.Config {
	key := p.Name
	client := &http.Client{Transport: s.loop}
	if p.Kind == audit.KindCaller {
		client.Timeout = 30 * time.Second
	} else {
		key = audit.AccessKeyID(p)
	}
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, "local", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   client,
	}
}

// registerFunctions builds every function from its spec, the one the CDK app
// deploys, and registers it with the spec's timeout, memory and concurrency.
func (s *Stack) registerFunctions(ctx context.Context, endpoint, webhookBase, serviceURL string, opts Options) error {
	c := s.Config
	base := opts.FunctionLogger
	if base == nil {
		base = s.log
	}
	// As in Lambda: every line carries the request id and the handler's context attributes.
	flog := slog.New(lambdalog.Wrap(base.Handler()))
	// The key comes from Secrets Manager (this stack's), as on AWS.
	res := functionspec.Resources{TokenTable: TableName, ValuationServiceURL: serviceURL, WebhookBaseURL: webhookBase,
		Signing: functionspec.Secret{ARN: c.Signature.SecretName}}
	fns := []localFunction{
		{functionspec.ValuationRequest(c, res), func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (any, error) {
			h, err := valuationrequest.Build(ctx, getenv, awsCfg, valuationrequest.BuildOptions{Logger: log, Transport: s.loop.through})
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		}},
		{functionspec.ValuationCallback(c, res), func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (any, error) {
			h, err := valuationcallback.Build(ctx, getenv, awsCfg, valuationcallback.BuildOptions{Logger: log, Metrics: s.Metrics})
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		}},
	}
	fns = append(fns, s.mockFunctions()...)
	for _, f := range fns {
		if err := s.registerFunction(ctx, endpoint, f, flog); err != nil {
			return err
		}
	}
	return nil
}

// registerFunction builds f with the environment of its spec and SDK
// clients that sign as its own principal, and registers it.
func (s *Stack) registerFunction(ctx context.Context, endpoint string, f localFunction, flog *slog.Logger) error {
	sp := f.spec
	h, err := f.build(ctx, sp.Environment.Getenv, s.awsConfigAs(endpoint, audit.Function(sp.Name)), flog.With("function", sp.Name))
	if err != nil {
		return fmt.Errorf("function %s: %w", sp.Name, err)
	}
	if _, err := s.Functions.Register(functions.Spec{Name: sp.Name, Handler: h, Timeout: sp.Timeout, MemoryMB: sp.MemoryMB,
		ReservedConcurrency: sp.ReservedConcurrency, Environment: sp.Environment}); err != nil {
		return fmt.Errorf("function %s: %w", sp.Name, err)
	}
	return nil
}

// requestMapping is the request consumer's SQS event source, as its spec
// describes it (the CDK app's event source mapping has the same settings).
func (s *Stack) requestMapping() *functions.SQSMapping {
	q := functionspec.RequestQueue(s.Config)
	fn, _ := s.Functions.Lookup(functionspec.NameValuationRequest)
	return &functions.SQSMapping{Queue: QueueName, Function: fn, BatchSize: q.BatchSize, MaxBatchingWindow: q.MaxBatchingWindow,
		MaxConcurrency: q.MaxConcurrency, ReportBatchItemFailures: q.ReportBatchItemFailures, Region: s.Region, Log: s.log}
}
