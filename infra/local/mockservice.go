package local

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/consumers/valuationservice"
	"loanflow/infra/functionenv"
	"loanflow/infra/local/functions"
)

// registerMockService registers the mock valuation service's two functions:
// its API (behind the local HTTP API twin) and its callback sender (invoked by
// its state machine).
func (s *Stack) registerMockService(_ context.Context, awsCfg aws.Config, flog *slog.Logger) error {
	smARN := fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, ValuationServiceName)
	vc, err := valuationservice.ConfigFromEnv(functionenv.ValuationService(s.Config, smARN, "", string(s.secret)).Getenv)
	if err != nil {
		return err
	}
	api, err := valuationservice.NewAPIHandler(vc, valuationservice.APIDeps{Executions: sfn.NewFromConfig(awsCfg),
		Logger: flog.With("function", FnServiceAPI)})
	if err != nil {
		return err
	}
	sender, err := valuationservice.NewCallbackSender(vc, valuationservice.SenderDeps{
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
