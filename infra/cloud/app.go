// Package cloud is the CDK v2 app's content: the LoanProcessor stack, the mock
// ValuationService stack, and the constructs they are built from (a queue
// with its dead-letter queue and alarms, the workflow, the webhook API, a Go
// function with the project's defaults, the dashboard). Everything is
// configured through props from the shared typed config; nothing here reads
// the environment.
package cloud

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Stacks are the app's stacks; ValuationService is nil when a real service URL is configured.
type Stacks struct {
	LoanProcessor    *LoanProcessorStack
	ValuationService *ValuationServiceStack
}

// NewStacks adds loanflow's stacks to the app, named for the stage
// (Settings.StackName). Without a configured valuation service URL it
// deploys the mock service and points the processor at it (a prod stage only
// when Settings.MockValuationService asks for it: Settings.Validate refuses
// otherwise); the processor then depends on the mock, never the other way
// round.
func NewStacks(scope constructs.Construct, s Settings, moduleRoot string) Stacks {
	var out Stacks
	url := jsii.String(s.Config.ValuationService.URL)
	if s.UsesMock() {
		out.ValuationService = NewValuationServiceStack(scope, "ValuationService", &ValuationServiceStackProps{
			StackProps: awscdk.StackProps{
				StackName:   jsii.String(s.StackName("ValuationService")),
				Description: jsii.String("loanflow: mock valuation service (" + s.Config.Stage + ")"),
			},
			Settings:   s,
			ModuleRoot: moduleRoot,
		})
		url = out.ValuationService.URL()
	}
	out.LoanProcessor = NewLoanProcessorStack(scope, "LoanProcessor", &LoanProcessorStackProps{
		StackProps: awscdk.StackProps{
			StackName:   jsii.String(s.StackName("LoanProcessor")),
			Description: jsii.String("loanflow: loan processor with wait-for-callback valuations (" + s.Config.Stage + ")"),
		},
		Settings:            s,
		ModuleRoot:          moduleRoot,
		ValuationServiceURL: url,
		MockService:         out.ValuationService,
	})
	if out.ValuationService != nil {
		// The processor imports the mock's exports, which CDK does not see
		// as references: deploy (and destroy) in the right order anyway.
		out.LoanProcessor.AddStackDependency(out.ValuationService.Stack, jsii.String("imports the mock's URL, API and webhook API key"))
	}
	awscdk.Tags_Of(scope).Add(jsii.String("project"), jsii.String("loanflow"), nil)
	awscdk.Tags_Of(scope).Add(jsii.String("stage"), jsii.String(s.Config.Stage), nil)
	return out
}

// AddNagChecks applies cdk-nag's AwsSolutions rules to every construct under
// scope, as an Aspect: the app runs them on every synth, not only the tests.
// A finding is either fixed or suppressed with its reason (see suppress).
func AddNagChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// Synth synthesizes the app and fails on any unsuppressed cdk-nag finding:
// an error (which CDK's own validation also refuses, writing its report to
// validation-report.json in the output directory) or a warning.
func Synth(app awscdk.App) (asm cxapi.CloudAssembly, err error) {
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("synth: %v", r)
				report, rerr := os.ReadFile(filepath.Join(*app.Outdir(), "validation-report.json"))
				if rerr == nil {
					err = fmt.Errorf("%w\n%s", err, ValidationReportSummary(report))
				}
			}
		}()
		asm = app.Synth(nil)
	}()
	if err != nil {
		return nil, err
	}
	if findings := NagFindings(asm); len(findings) > 0 {
		return asm, fmt.Errorf("synth: %d unsuppressed cdk-nag findings (fix each, or suppress it with its reason):\n%s",
			len(findings), strings.Join(findings, "\n"))
	}
	return asm, nil
}

// NagFindings lists the assembly's unsuppressed AwsSolutions errors and
// warnings, one line each: level, path, rule and its first line.
func NagFindings(asm cxapi.CloudAssembly) []string {
	var out []string
	for _, st := range *asm.StacksRecursively() {
		for _, m := range *st.Messages() {
			if m.Level != cxapi.SynthesisMessageLevel_ERROR && m.Level != cxapi.SynthesisMessageLevel_WARNING {
				continue
			}
			text := ""
			if m.Entry != nil {
				text = fmt.Sprint(derefAny(m.Entry.Data))
			}
			if !strings.HasPrefix(text, "AwsSolutions-") {
				continue
			}
			out = append(out, fmt.Sprintf("%s %s: %s", m.Level, *m.Id, strings.SplitN(text, "\n", 2)[0]))
		}
	}
	sort.Strings(out)
	return out
}

func derefAny(v any) any {
	if p, ok := v.(*string); ok && p != nil {
		return *p
	}
	return v
}

// ValidationReportSummary lists the rule (for an annotation, its text) and
// the construct path of each violation in a CDK validation report, one a
// line; the report itself when it cannot be read.
func ValidationReportSummary(report []byte) string {
	var doc struct {
		PluginReports []struct {
			Violations []struct {
				RuleName           string `json:"ruleName"`
				Description        string `json:"description"`
				ViolatingResources []struct {
					ResourceLogicalID string   `json:"resourceLogicalId"`
					Locations         []string `json:"locations"`
				} `json:"violatingResources"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(report, &doc); err != nil || len(doc.PluginReports) == 0 {
		return string(report)
	}
	var b strings.Builder
	for _, p := range doc.PluginReports {
		for _, v := range p.Violations {
			rule := v.RuleName
			if strings.HasPrefix(rule, "Annotation::") && v.Description != "" {
				// An annotation (a cdk-nag finding): its text names the rule.
				rule = v.Description
			}
			rule = strings.SplitN(rule, "\n", 2)[0]
			for _, c := range v.ViolatingConstructs {
				fmt.Fprintf(&b, "%s at %s\n", rule, c.ConstructPath)
			}
			for _, r := range v.ViolatingResources {
				fmt.Fprintf(&b, "%s at %s %v\n", rule, r.ResourceLogicalID, r.Locations)
			}
		}
	}
	return b.String()
}
