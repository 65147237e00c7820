package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/lambdalog"
	"loanflow/consumers/secrets"
	"loanflow/consumers/tokenstore"
	"loanflow/consumers/valuationcallback"
	"loanflow/consumers/valuationrequest"
	"loanflow/infra/functionenv"
	"loanflow/infra/local/asl/sfnapi"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/functions"
)

func (s *Stack) sfnService() *awsjson.Service { return sfnapi.Service(s.Engine) }

// awsConfig is what a function's main would load in Lambda, pointed at this
// stack: the handlers' SDK calls cross the same protocol as on AWS.
func (s *Stack) awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: s.loop, Timeout: 30 * time.Second},
	}
}

// functionHTTPClient is c with the stack's transport: calls to the stack stay
// in-process, calls elsewhere (a real valuation service) go out as c would.
func (s *Stack) functionHTTPClient(c *http.Client) *http.Client {
	return &http.Client{Timeout: c.Timeout, Transport: &loopback{host: s.loop.host, next: c.Transport, target: s.loop.target}}
}

// registerFunctions builds each handler as its main would, through the same
// environment variables the CDK app sets, and registers it.
func (s *Stack) registerFunctions(ctx context.Context, endpoint, webhookBase, serviceURL string, opts Options) error {
	c := s.Config
	awsCfg := s.awsConfig(endpoint)
	sfnClient := sfn.NewFromConfig(awsCfg)
	store := tokenstore.NewDynamoStore(dynamodb.NewFromConfig(awsCfg), TableName)
	base := opts.FunctionLogger
	if base == nil {
		base = s.log
	}
	// As in Lambda: every line carries the request id and the handler's context attributes.
	flog := slog.New(lambdalog.Wrap(base.Handler()))

	// The mock sits behind an IAM-authorized API, as on AWS; a real
	// service is called as it is.
	auth := valuationrequest.AuthNone
	if c.ValuationService.URL == "" {
		auth = valuationrequest.AuthIAM
	}
	rc, err := valuationrequest.ConfigFromEnv(functionenv.ValuationRequest(c, TableName, serviceURL, webhookBase, auth).Getenv)
	if err != nil {
		return err
	}
	reqHTTP := s.functionHTTPClient(valuationrequest.NewHTTPClient(rc))
	if rc.ServiceAuth == valuationrequest.AuthIAM {
		reqHTTP.Transport = &valuationrequest.SigV4Transport{Next: reqHTTP.Transport, Credentials: awsCfg.Credentials, Region: awsCfg.Region}
	}
	req, err := valuationrequest.NewHandler(rc, valuationrequest.Deps{Store: store, Tasks: sfnClient,
		HTTP: reqHTTP, Logger: flog.With("function", FnValuationRequest)})
	if err != nil {
		return err
	}
	cc, err := valuationcallback.ConfigFromEnv(functionenv.ValuationCallback(c, TableName, functionenv.Secret{ARN: c.Signature.SecretName}).Getenv)
	if err != nil {
		return err
	}
	// As main does: the keys come from Secrets Manager (this stack's), cached.
	keys := &secrets.Keyring{Getter: secretsmanager.NewFromConfig(awsCfg), ID: cc.SigningSecretID, TTL: cc.SecretCacheTTL}
	if _, err := keys.Keys(ctx, false); err != nil {
		return fmt.Errorf("function %s: %w", FnValuationCallback, err)
	}
	res, err := valuationcallback.NewHandler(cc, valuationcallback.Deps{Store: store, Tasks: sfnClient, Keys: keys, Metrics: s.Metrics,
		Logger: flog.With("function", FnValuationCallback)})
	if err != nil {
		return err
	}
	for _, spec := range []functions.Spec{
		{Name: FnValuationRequest, Handler: req.Handle, Timeout: c.Queue.ConsumerTimeout, Concurrency: c.Queue.MaxConcurrency},
		{Name: FnValuationCallback, Handler: res.Handle, Timeout: c.Callback.Timeout},
	} {
		if _, err := s.Functions.Register(spec); err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
	}
	return s.registerMockService(ctx, awsCfg, webhookBase, flog)
}
