// Command cdk is the CDK app (cdk.json runs it with `go run ./infra/cdk`): it
// reads the context, adds loanflow's stacks, applies cdk-nag's AwsSolutions
// checks and synthesizes them, failing on any unsuppressed finding.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/cloud"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	settings, err := cloud.SettingsFromContext(app.Node())
	if err != nil {
		fail(err)
	}
	root, err := cloud.ModuleRoot(".")
	if err != nil {
		fail(err)
	}
	cloud.NewStacks(app, settings, root)
	cloud.AddNagChecks(app)
	if _, err := cloud.Synth(app); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loanflow cdk:", err)
	jsii.Close()
	os.Exit(1)
}
