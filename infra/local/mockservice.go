package local

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"loanflow/consumers/mockvaluation"
	"loanflow/infra/config"
	"loanflow/infra/functionspec"
)

// mockFunctions are the functions of the mock valuation service, the
// stand-in for a real one: its API (behind the local HTTP API twin) and its
// callback sender (invoked by its state machine), each built from the spec
// of its cloud twin. The API reads its allowed callback prefix from the SSM
// parameter the stack writes (deploy), the sender its keys from the stack's
// Secrets Manager, as on AWS.
func (s *Stack) mockFunctions() []localFunction {
	c := s.Config
	signing := functionspec.Secret{ARN: c.Signature.SecretName}
	api := functionspec.MockAPI(c, functionspec.MockResources{
		StateMachineARN: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, ValuationServiceName),
		Signing:         signing, AllowedCallbackParameter: config.AllowedCallbackParameter,
	})
	sender := functionspec.MockCallbackSender(c, functionspec.MockResources{
		Signing: signing, WebhookAPIKey: functionspec.Secret{ARN: WebhookAPIKeySecretName},
	})
	return []localFunction{
		{api, func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (any, error) {
			h, err := mockvaluation.BuildAPI(ctx, getenv, awsCfg, mockvaluation.BuildOptions{Logger: log})
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		}},
		{sender, func(ctx context.Context, getenv func(string) string, awsCfg aws.Config, log *slog.Logger) (any, error) {
			h, err := mockvaluation.BuildCallbackSender(ctx, getenv, awsCfg, mockvaluation.BuildOptions{Logger: log, Transport: s.loop.through})
			if err != nil {
				return nil, err
			}
			return h.Handle, nil
		}},
	}
}
