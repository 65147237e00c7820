package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/secrets"
	"loanflow/consumers/valuationservice"
	"loanflow/infra/functionenv"
	"loanflow/infra/local/functions"
)

// registerMockService registers the mock valuation service's two functions:
// its API (behind the local HTTP API twin) and its callback sender (invoked by
// its state machine).
func (s *Stack) registerMockService(ctx context.Context, awsCfg aws.Config, webhookBase string, flog *slog.Logger) error {
	smARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, ValuationServiceName)
	vc, err := valuationservice.ConfigFromEnv(functionenv.ValuationService(s.Config, functionenv.MockService{
		StateMachineARN:       smARN,
		Signing:               functionenv.Secret{ARN: s.Config.Signature.SecretName},
		WebhookAPIKey:         functionenv.Secret{ARN: WebhookAPIKeySecretName},
		AllowedCallbackPrefix: webhookBase + "/valuations/",
	}).Getenv)
	if err != nil {
		return err
	}
	api, err := valuationservice.NewAPIHandler(vc, valuationservice.APIDeps{Executions: sfn.NewFromConfig(awsCfg),
		Logger: flog.With("function", FnServiceAPI)})
	if err != nil {
		return err
	}
	// As the sender's main does: the signing key through a cached keyring,
	// the API key read once.
	sm := secretsmanager.NewFromConfig(awsCfg)
	keys := &secrets.Keyring{Getter: sm, ID: vc.SigningSecretID, TTL: vc.SecretCacheTTL}
	if _, err := keys.Keys(ctx, false); err != nil {
		return fmt.Errorf("function %s: %w", FnServiceCallback, err)
	}
	apiKey, err := secrets.Load(ctx, sm, vc.WebhookAPIKeyID)
	if err != nil {
		return fmt.Errorf("function %s: %w", FnServiceCallback, err)
	}
	vc.WebhookAPIKey = string(apiKey)
	sender, err := valuationservice.NewCallbackSender(vc, valuationservice.SenderDeps{Keys: keys,
		HTTP: &http.Client{Transport: s.loop, Timeout: vc.CallbackTimeout}, Logger: flog.With("function", FnServiceCallback)})
	if err != nil {
		return err
	}
	for _, spec := range []functions.Spec{
		{Name: FnServiceAPI, Handler: api.Handle, Timeout: vc.SlowResponse + 10*time.Second},
		{Name: FnServiceCallback, Handler: sender.Handle, Timeout: vc.CallbackTimeout + 5*time.Second},
	} {
		if _, err := s.Functions.Register(spec); err != nil {
			return fmt.Errorf("function %s: %w", spec.Name, err)
		}
	}
	return nil
}
