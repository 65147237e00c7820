// Package cloud is the CDK v2 app's content: the LoanProcessor stack, the mock
// ValuationService stack, and the constructs they are built from (a queue
// with its dead-letter queue and alarms, the workflow, the webhook API, a Go
// function with the project's defaults, the dashboard). Everything is
// configured through props from the shared typed config; nothing here reads
// the environment.
package cloud

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Stacks are the app's stacks; ValuationService is nil when a real service URL is configured.
type Stacks struct {
	LoanProcessor    *LoanProcessorStack
	ValuationService *ValuationServiceStack
}

// NewStacks adds loanflow's stacks to the app. Without a configured
// valuation service URL it deploys the mock service and points the processor
// at it (a prod stage only when Settings.MockValuationService asks for it:
// Settings.Validate refuses otherwise); the processor then depends on the
// mock, never the other way round.
func NewStacks(scope constructs.Construct, s Settings, moduleRoot string) Stacks {
	var out Stacks
	url := jsii.String(s.Config.ValuationService.URL)
	if s.UsesMock() {
		out.ValuationService = NewValuationServiceStack(scope, "ValuationService", &ValuationServiceStackProps{
			StackProps: awscdk.StackProps{Description: jsii.String("loanflow: mock valuation service (" + s.Config.Stage + ")")},
			Settings:   s,
			ModuleRoot: moduleRoot,
		})
		url = out.ValuationService.URL()
	}
	out.LoanProcessor = NewLoanProcessorStack(scope, "LoanProcessor", &LoanProcessorStackProps{
		StackProps:          awscdk.StackProps{Description: jsii.String("loanflow: loan processor with wait-for-callback valuations (" + s.Config.Stage + ")")},
		Settings:            s,
		ModuleRoot:          moduleRoot,
		ValuationServiceURL: url,
		MockService:         out.ValuationService,
	})
	awscdk.Tags_Of(scope).Add(jsii.String("project"), jsii.String("loanflow"), nil)
	awscdk.Tags_Of(scope).Add(jsii.String("stage"), jsii.String(s.Config.Stage), nil)
	return out
}
