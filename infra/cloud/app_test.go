package cloud

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// The app synthesizes as infra/cdk runs it: AwsSolutions checks applied as
// an Aspect, and no unsuppressed finding.
func TestAppSynthRunsNag(t *testing.T) {
	app, _ := newTestApp(t, t.TempDir(), nil)
	AddNagChecks(app)
	asm, err := Synth(app)
	if err != nil {
		t.Fatal(err)
	}
	if len(*asm.StacksRecursively()) != 2 {
		t.Errorf("%d stacks", len(*asm.StacksRecursively()))
	}
}

// An unsuppressed finding fails the synth, whether cdk-nag reports it as an
// error (a queue without a DLQ or TLS) or only as a warning (a table
// without point-in-time recovery).
func TestAppSynthFailsOnUnsuppressedFinding(t *testing.T) {
	for name, c := range map[string]struct {
		add  func(*synthesized)
		rule string
	}{
		"error": {func(d *synthesized) {
			awssqs.NewQueue(d.stacks.LoanProcessor.Stack, jsii.String("Unguarded"), nil)
		}, "AwsSolutions-SQS3"},
		"warning": {func(d *synthesized) {
			awsdynamodb.NewTable(d.stacks.LoanProcessor.Stack, jsii.String("Unrecoverable"), &awsdynamodb.TableProps{
				PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("id"), Type: awsdynamodb.AttributeType_STRING},
				BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			})
		}, "AwsSolutions-DDB3"},
	} {
		t.Run(name, func(t *testing.T) {
			app, d := newTestApp(t, t.TempDir(), nil)
			c.add(d)
			AddNagChecks(app)
			_, err := Synth(app)
			if err == nil || !strings.Contains(err.Error(), c.rule) {
				t.Errorf("synth with an unsuppressed %s: %v", c.rule, err)
			}
		})
	}
}
