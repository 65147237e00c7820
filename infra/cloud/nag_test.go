package cloud

import (
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
	d := defaults(t)
	for name, stack := range map[string]awscdk.Stack{
		"LoanProcessor": d.stacks.LoanProcessor.Stack, "ValuationService": d.stacks.ValuationService.Stack,
	} {
		for _, f := range nagFindings(stack) {
			t.Errorf("%s: %s", name, f)
		}
	}
}
