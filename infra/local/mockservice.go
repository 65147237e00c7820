package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"loanflow/consumers/secrets"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/config"
	"loanflow/infra/functionenv"
	"loanflow/infra/local/audit"
	"loanflow/infra/local/functions"
)

// registerMockService registers the mock valuation service's two functions:
// its API (behind the local HTTP API twin) and its callback sender (invoked by
// its state machine), each with the environment, the timeout and the
// credentials of its cloud twin. The API reads its allowed callback prefix
// from the SSM parameter the stack writes (deploy), as on AWS.
func (s *Stack) registerMockService(ctx context.Context, endpoint, webhookBase string, flog *slog.Logger) error {
	c := s.Config
	smARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, ValuationServiceName)
	signing := functionenv.Secret{ARN: c.Signature.SecretName}
	apiEnv := functionenv.ValuationService(c, functionenv.MockService{StateMachineARN: smARN, Signing: signing,
		AllowedCallbackParameter: config.AllowedCallbackParameter})
	vc, err := valuationservice.ConfigFromEnv(apiEnv.Getenv)
	if err != nil {
		return err
	}
	apiCfg := s.awsConfigAs(endpoint, audit.Function(FnServiceAPI))
	api, err := valuationservice.NewAPIHandler(vc, valuationservice.APIDeps{Executions: sfn.NewFromConfig(apiCfg),
		Callbacks: &parameterPrefix{ssm: ssm.NewFromConfig(apiCfg), name: vc.AllowedCallbackParameter, ttl: time.Minute},
		Logger:    flog.With("function", FnServiceAPI)})
	if err != nil {
		return err
	}
	senderEnv := functionenv.ValuationService(c, functionenv.MockService{Signing: signing,
		WebhookAPIKey: functionenv.Secret{ARN: WebhookAPIKeySecretName}})
	sc, err := valuationservice.ConfigFromEnv(senderEnv.Getenv)
	if err != nil {
		return err
	}
	// As the sender's main does: the signing key through a cached keyring,
	// the API key read once.
	sm := secretsmanager.NewFromConfig(s.awsConfigAs(endpoint, audit.Function(FnServiceCallback)))
	keys := &secrets.Keyring{Getter: sm, ID: sc.SigningSecretID, TTL: sc.SecretCacheTTL}
	if _, err := keys.Keys(ctx, false); err != nil {
		return fmt.Errorf("function %s: %w", FnServiceCallback, err)
	}
	apiKey, err := secrets.Load(ctx, sm, sc.WebhookAPIKeyID)
	if err != nil {
		return fmt.Errorf("function %s: %w", FnServiceCallback, err)
	}
	sc.WebhookAPIKey = string(apiKey)
	sender, err := valuationservice.NewCallbackSender(sc, valuationservice.SenderDeps{Keys: keys,
		HTTP: &http.Client{Transport: s.loop, Timeout: sc.CallbackTimeout}, Logger: flog.With("function", FnServiceCallback)})
	if err != nil {
		return err
	}
	// Both take the consumer's timeout, as their cloud twins do.
	for _, spec := range []functions.Spec{
		{Name: FnServiceAPI, Handler: api.Handle, Timeout: c.Queue.ConsumerTimeout, Environment: apiEnv},
		{Name: FnServiceCallback, Handler: sender.Handle, Timeout: c.Queue.ConsumerTimeout, Environment: senderEnv},
	} {
		if _, err := s.Functions.Register(spec); err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
	}
	return nil
}

// parameterPrefix reads the allowed callback prefix from an SSM parameter
// and keeps it for ttl, as the API's main does (a failed re-read keeps the
// value read before).
type parameterPrefix struct {
	ssm  *ssm.Client
	name string
	ttl  time.Duration

	mu     sync.Mutex
	value  string
	readAt time.Time
}

func (p *parameterPrefix) CallbackPrefix(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.value != "" && time.Since(p.readAt) < p.ttl {
		return p.value, nil
	}
	out, err := p.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: &p.name})
	if err != nil || out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		if p.value != "" {
			return p.value, nil
		}
		if err == nil {
			err = errors.New("parameter is empty")
		}
		return "", fmt.Errorf("get parameter %s: %w", p.name, err)
	}
	p.value, p.readAt = aws.ToString(out.Parameter.Value), time.Now()
	return p.value, nil
}
