package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"loanflow/contracts"
	"loanflow/events"
	"loanflow/infra/config"
	"loanflow/infra/local/cfn"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sqs"
	"loanflow/infra/statemachines"
)

// The archive of the callback bus, as the cloud stack's
// (infra/cloud/loanprocessor.go: its name is CloudFormation's to make up):
// a user replays callbacks from it locally as after an incident in the cloud.
const (
	CallbackArchiveName          = "valuation-callbacks"
	CallbackArchiveRetentionDays = 30
)

// deploy creates (or finds, on restart) every resource, then starts the workers.
func (s *Stack) deploy(ctx context.Context, endpoint string, opts Options) error {
	c := s.Config
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	// Retention as the CDK app sets it: the requests' from the callback
	// timeout and the redrive policy, the dead letters' SQS's longest.
	dlqURL, err := s.ensureQueue(ctx, DLQName, map[string]string{"MessageRetentionPeriod": secs(config.DeadLetterRetention)})
	if err != nil {
		return fmt.Errorf("queue %s: %w", DLQName, err)
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": s.Queues.QueueARN(DLQName), "maxReceiveCount": strconv.Itoa(c.Queue.MaxReceiveCount)})
	queueURL, err := s.ensureQueue(ctx, QueueName, map[string]string{
		"VisibilityTimeout":      secs(c.Queue.VisibilityTimeout()),
		"MessageRetentionPeriod": secs(c.RequestRetention()),
		"RedrivePolicy":          string(redrive),
	})
	if err != nil {
		return fmt.Errorf("queue %s: %w", QueueName, err)
	}
	cbDLQURL, err := s.ensureQueue(ctx, CallbackDLQName, map[string]string{"MessageRetentionPeriod": secs(config.DeadLetterRetention)})
	if err != nil {
		return fmt.Errorf("queue %s: %w", CallbackDLQName, err)
	}
	if err := s.createTokenTable(ctx); err != nil {
		return err
	}

	webhookBase := endpoint
	serviceURL := c.ValuationService.URL
	if serviceURL == "" {
		serviceURL = endpoint + MockServicePathPrefix + "/valuations"
	}
	// As the LoanProcessor stack does: the mock may call back only under
	// this webhook.
	if _, err := s.Parameters.Put(config.AllowedCallbackParameter, webhookBase+"/valuations/"); err != nil {
		return fmt.Errorf("parameter %s: %w", config.AllowedCallbackParameter, err)
	}
	if err := s.registerFunctions(ctx, endpoint, webhookBase, serviceURL, opts); err != nil {
		return err
	}

	if _, err := s.Bus.CreateBus(ctx, c.EventBusName); err != nil {
		return err
	}
	// Every callback is kept for replay after an incident, as in the cloud stack.
	archivePattern, _ := json.Marshal(map[string][]string{"source": {contracts.EventSource}})
	if err := s.Bus.EnsureArchive(ctx, CallbackArchiveName, c.EventBusName, string(archivePattern), "Valuation callbacks, for replay.",
		CallbackArchiveRetentionDays); err != nil {
		return fmt.Errorf("archive %s: %w", CallbackArchiveName, err)
	}
	rules, err := events.Rules()
	if err != nil {
		return err
	}
	// The loans referred because their valuation failed or timed out are
	// published to this topic, as in the cloud stack.
	topicARN, err := s.Topics.CreateTopic(ctx, NotificationsTopic, map[string]string{"DisplayName": "loanflow loan notifications"}, nil)
	if err != nil {
		return fmt.Errorf("notifications topic: %w", err)
	}
	for _, r := range rules {
		if _, err := s.Bus.PutRule(ctx, c.EventBusName, r.Name, string(r.Pattern), "ENABLED", "from events/patterns/"+r.Name+".json"); err != nil {
			return fmt.Errorf("rule %s: %w", r.Name, err)
		}
		target := eventbus.Target{ID: "resolver", ARN: s.Functions.ARN(FnValuationCallback)}
		switch r.Target {
		case events.TargetResolver:
		case events.TargetNotifications:
			// With a role, as the cloud rule publishes to the encrypted topic.
			target = eventbus.Target{ID: "notifications", ARN: topicARN, RoleARN: NotificationsPublisherRoleARN}
		case events.TargetNone:
			continue // it only counts its matches
		default:
			return fmt.Errorf("rule %s: unknown target %q", r.Name, r.Target)
		}
		target.RetryPolicy = eventbus.RetryPolicy{MaximumRetryAttempts: c.Callback.RetryAttempts,
			MaximumEventAgeInSeconds: int(c.Callback.MaxEventAge / time.Second)}
		target.DeadLetterARN = s.Queues.QueueARN(CallbackDLQName)
		if err := s.Bus.PutTargets(ctx, c.EventBusName, r.Name, []eventbus.Target{target}); err != nil {
			return fmt.Errorf("targets of %s: %w", r.Name, err)
		}
	}

	// The engine serialises its writes through a writer started by Start; start
	// it before deploying the state machines (recovered executions find their
	// functions registered above).
	if err := s.Engine.Start(ctx); err != nil {
		return fmt.Errorf("start step functions: %w", err)
	}
	lp, err := statemachines.LoanProcessor.Render(c.LoanProcessorSubstitutions(queueURL, c.EventBusName))
	if err != nil {
		return err
	}
	lpARN, err := s.putStateMachine(ctx, LoanProcessorName, string(lp))
	if err != nil {
		return err
	}
	vs, err := statemachines.ValuationService.Render(c.ValuationServiceSubstitutions(s.Functions.ARN(FnServiceCallback)))
	if err != nil {
		return err
	}
	vsARN, err := s.putStateMachine(ctx, ValuationServiceName, string(vs))
	if err != nil {
		return err
	}

	s.Bus.Start(ctx)
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		s.Queues.RunSweeper(ctx, time.Minute)
	}()
	go func() {
		defer s.wg.Done()
		s.sweepTables(ctx, time.Minute)
	}()
	mapping := s.requestMapping()
	s.EventSourceMappings = []*functions.SQSMapping{mapping}
	go func() {
		defer s.wg.Done()
		mapping.Run(ctx, s.auditQueue(s.Queues, FnValuationRequest))
	}()

	s.Outputs = Outputs{
		Endpoint: endpoint, ConsoleURL: endpoint + "/", LoanProcessorARN: lpARN, ValuationServiceMachineARN: vsARN,
		QueueURL: queueURL, DLQURL: dlqURL, CallbackDLQURL: cbDLQURL, NotificationsTopicARN: topicARN, EventBusName: c.EventBusName,
		TokenTableName: TableName, WebhookURL: webhookBase + "/valuations/{callbackId}", ValuationServiceURL: serviceURL,
	}
	s.describeStacks(webhookBase)
	return nil
}

// describeStacks tells the local CloudFormation what is deployed: the
// LoanProcessor and (with the mock) ValuationService stacks under the names
// and output keys of the CDK app's default stage, so that a tool that reads
// a deployed stack's outputs finds the local one the same way.
func (s *Stack) describeStacks(webhookBase string) {
	o := s.Outputs
	s.CloudFormation.Put(cfn.Stack{Name: LoanProcessorName, Description: "loanflow: loan processor with wait-for-callback valuations (local stack)",
		Outputs: []cfn.Output{
			{Key: "WebhookUrl", Value: webhookBase + "/valuations", Description: "POST {WebhookUrl}/{callbackId} with a signed valuation response"},
			{Key: "StateMachineArn", Value: o.LoanProcessorARN, Description: "Start a loan application here"},
			{Key: "QueueUrl", Value: o.QueueURL, Description: "Valuation requests waiting for the consumer"},
			{Key: "EventBusName", Value: o.EventBusName, Description: "The bus the webhook publishes to"},
			{Key: "CallbackDlqUrl", Value: o.CallbackDLQURL, Description: "Callback events the resolver could not take"},
			{Key: "DashboardUrl", Value: o.ConsoleURL, Description: "The local stack's console"},
			{Key: "TokenTableName", Value: o.TokenTableName, Description: "Task tokens by callback id"},
			{Key: "LoanNotificationsTopicArn", Value: o.NotificationsTopicARN, Description: "Loans referred because their valuation failed or timed out"},
		}})
	if s.Config.ValuationService.URL == "" {
		s.CloudFormation.Put(cfn.Stack{Name: ValuationServiceName, Description: "loanflow: mock valuation service (local stack)",
			Outputs: []cfn.Output{
				{Key: "ValuationServiceUrl", Value: o.ValuationServiceURL, Description: "POST a ValuationRequest here"},
				{Key: "StateMachineArn", Value: o.ValuationServiceMachineARN, Description: "The mock's surveys, one execution per request"},
			}})
	}
}

// ensureQueue creates the queue, or updates the attributes of the one a
// restart finds, as a CloudFormation update would (a changed config takes
// effect; its messages are kept).
func (s *Stack) ensureQueue(ctx context.Context, name string, attrs map[string]string) (string, error) {
	u, err := s.Queues.CreateQueue(ctx, name, attrs)
	if !errors.Is(err, sqs.ErrQueueNameExists) {
		return u, err
	}
	if err := s.Queues.SetAttributes(ctx, name, attrs); err != nil {
		return "", fmt.Errorf("update attributes: %w", err)
	}
	s.log.InfoContext(ctx, "queue attributes updated to the config", "queue", name)
	return s.Queues.QueueURL(name), nil
}

// putStateMachine creates the state machine, or updates it when a restart
// brings a changed definition.
func (s *Stack) putStateMachine(ctx context.Context, name, def string) (string, error) {
	role := fmt.Sprintf("arn:aws:iam::%s:role/%s-role", AccountID, name)
	arn, _, err := s.Engine.CreateStateMachine(ctx, name, def, role, "STANDARD")
	if err == nil {
		return arn, nil
	}
	var apiErr *sfn.APIError
	if errors.As(err, &apiErr) && apiErr.Code == sfn.CodeStateMachineAlreadyExists {
		arn = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, name)
		if _, err := s.Engine.UpdateStateMachine(ctx, arn, def, role); err != nil {
			return "", fmt.Errorf("update state machine %s: %w", name, err)
		}
		return arn, nil
	}
	return "", fmt.Errorf("create state machine %s: %w", name, err)
}

// sweepTables deletes items past their TTL, as DynamoDB does in the
// background (reads return them until then; see dynamo.Options.TTLDeletionDelay).
func (s *Stack) sweepTables(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Tables.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "sweep expired items", "err", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "swept expired items", "items", n)
			}
		}
	}
}
