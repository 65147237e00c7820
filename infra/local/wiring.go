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
	"loanflow/infra/local/audit"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/functions"
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
func (s *Stack) awsConfigAs(endpoint string, p audit.Principal) aws.Config {
	key := p.Name
	if p.Kind != audit.KindCaller {
		key = audit.AccessKeyID(p)
	}
	return aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, "local", ""),
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
	reqCfg := s.awsConfigAs(endpoint, audit.Function(FnValuationRequest))
	resCfg := s.awsConfigAs(endpoint, audit.Function(FnValuationCallback))
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
	reqEnv := functionenv.ValuationRequest(c, TableName, serviceURL, webhookBase, auth)
	rc, err := valuationrequest.ConfigFromEnv(reqEnv.Getenv)
	if err != nil {
		return err
	}
	reqHTTP := s.functionHTTPClient(valuationrequest.NewHTTPClient(rc))
	if rc.ServiceAuth == valuationrequest.AuthIAM {
		reqHTTP.Transport = &valuationrequest.SigV4Transport{Next: reqHTTP.Transport, Credentials: reqCfg.Credentials, Region: reqCfg.Region}
	}
	req, err := valuationrequest.NewHandler(rc, valuationrequest.Deps{Store: tokenstore.NewDynamoStore(dynamodb.NewFromConfig(reqCfg), TableName),
		Tasks: sfn.NewFromConfig(reqCfg), HTTP: reqHTTP, Logger: flog.With("function", FnValuationRequest)})
	if err != nil {
		return err
	}
	resEnv := functionenv.ValuationCallback(c, TableName, functionenv.Secret{ARN: c.Signature.SecretName})
	cc, err := valuationcallback.ConfigFromEnv(resEnv.Getenv)
	if err != nil {
		return err
	}
	// As main does: the keys come from Secrets Manager (this stack's), cached.
	keys := &secrets.Keyring{Getter: secretsmanager.NewFromConfig(resCfg), ID: cc.SigningSecretID, TTL: cc.SecretCacheTTL}
	if _, err := keys.Keys(ctx, false); err != nil {
		return fmt.Errorf("function %s: %w", FnValuationCallback, err)
	}
	res, err := valuationcallback.NewHandler(cc, valuationcallback.Deps{Store: tokenstore.NewDynamoStore(dynamodb.NewFromConfig(resCfg), TableName),
		Tasks: sfn.NewFromConfig(resCfg), Keys: keys, Metrics: s.Metrics, Logger: flog.With("function", FnValuationCallback)})
	if err != nil {
		return err
	}
	for _, spec := range []functions.Spec{
		{Name: FnValuationRequest, Handler: req.Handle, Timeout: c.Queue.ConsumerTimeout, Concurrency: c.Queue.MaxConcurrency, Environment: reqEnv},
		{Name: FnValuationCallback, Handler: res.Handle, Timeout: c.Callback.Timeout, Environment: resEnv},
	} {
		if _, err := s.Functions.Register(spec); err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
	}
	return s.registerMockService(ctx, endpoint, webhookBase, flog)
}
