package cloud

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// nagFindings lists the stack's unsuppressed AwsSolutions errors and warnings.
func nagFindings(stack awscdk.Stack) []string {
	ann := assertions.Annotations_FromStack(stack)
	any := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	var out []string
	for _, m := range *ann.FindError(jsii.String("*"), any) {
		out = append(out, "error "+*m.Id+": "+strings.SplitN(toString(m.Entry.Data), "\n", 2)[0])
	}
	for _, m := range *ann.FindWarning(jsii.String("*"), any) {
		out = append(out, "warning "+*m.Id+": "+strings.SplitN(toString(m.Entry.Data), "\n", 2)[0])
	}
	return out
}

func toString(v any) string {
	if s, ok := v.(*string); ok && s != nil {
		return *s
	}
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

// TestNagHarness proves the checks run and report: a bare queue breaks
// AwsSolutions-SQS3 and SQS4.
func TestNagHarness(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := awscdk.NewStack(app, jsii.String("Bare"), nil)
	awssqs.NewQueue(stack, jsii.String("Queue"), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	got := strings.Join(nagFindings(stack), "\n")
	for _, rule := range []string{"AwsSolutions-SQS3", "AwsSolutions-SQS4"} {
		if !strings.Contains(got, rule) {
			t.Errorf("nag did not report %s; findings:\n%s", rule, got)
		}
	}
}

// TestNagAwsSolutions: both stacks pass AwsSolutionsChecks with no
// unsuppressed error or warning.
func TestNagAwsSolutions(t *testing.T) {
	dir := t.TempDir()
	var d *synthesized
	func() {
		// Unsuppressed nag errors fail synthesis: show them rather than a panic.
		defer func() {
			if r := recover(); r != nil {
				report, _ := os.ReadFile(filepath.Join(dir, "cdk.out", "validation-report.json"))
				t.Fatalf("synthesis failed: %v\n%s", r, ValidationReportSummary(report))
			}
		}()
		d = synthAppIn(t, dir, nil, true)
	}()
	for name, stack := range map[string]awscdk.Stack{
		"LoanProcessor": d.stacks.LoanProcessor.Stack, "ValuationService": d.stacks.ValuationService.Stack,
	} {
		for _, f := range nagFindings(stack) {
			t.Errorf("%s: %s", name, f)
		}
	}
}

// TestNagSuppressions pins every suppression: which rule, on which resources,
// with a reason worth reading. A new suppression must be added here on purpose.
func TestNagSuppressions(t *testing.T) {
	d := defaults(t)
	want := map[string][]string{
		"AwsSolutions-IAM5": {
			"CallbackResolverRoleDefaultPolicy", "LoanProcessorStateMachineRoleDefaultPolicy", "ValuationRequestConsumerRoleDefaultPolicy",
			"CallbackSenderRoleDefaultPolicy", "RequestHandlerRoleDefaultPolicy", "SurveysStateMachineRoleDefaultPolicy",
			"LoanNotificationsPublisherDefaultPolicy",
		},
		"AwsSolutions-SF1":   {"LoanProcessorStateMachine", "SurveysStateMachine"},
		"AwsSolutions-APIG4": {"WebhookAPIvaluationscallbackIdPOST"},
		"AwsSolutions-COG4":  {"WebhookAPIvaluationscallbackIdPOST"},
		"AwsSolutions-SMG4":  {"SigningSecret", "WebhookApiKey"},
		"AwsSolutions-IAM4":  {"WebhookAPICloudWatchRole"},
	}
	got := map[string][]string{}
	for _, tpl := range []assertions.Template{d.lp, d.vs} {
		res, _ := (*tpl.ToJSON())["Resources"].(map[string]interface{})
		for id, r := range res {
			md, _ := r.(map[string]interface{})["Metadata"].(map[string]interface{})
			nag, _ := md["cdk_nag"].(map[string]interface{})
			rules, _ := nag["rules_to_suppress"].([]interface{})
			for _, x := range rules {
				s := x.(map[string]interface{})
				rule, _ := s["id"].(string)
				if reason, _ := s["reason"].(string); len(reason) < 60 {
					t.Errorf("%s on %s: reason %q is too thin", rule, id, reason)
				}
				got[rule] = append(got[rule], id)
			}
		}
	}
	for rule, prefixes := range want {
		if len(got[rule]) != len(prefixes) {
			t.Errorf("%s suppressed on %v, want %v", rule, got[rule], prefixes)
			continue
		}
		for _, p := range prefixes {
			found := false
			for _, id := range got[rule] {
				found = found || strings.HasPrefix(id, p)
			}
			if !found {
				t.Errorf("%s is not suppressed on %s*: %v", rule, p, got[rule])
			}
		}
	}
	for rule, ids := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("unexpected suppression of %s on %v", rule, ids)
		}
	}
}
