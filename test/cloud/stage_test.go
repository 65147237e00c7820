//go:build cloud

package cloud

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"loanflow/infra/config"
)

// TestMain deploys a stage of its own when LOANFLOW_CLOUD_STAGE names one
// (say "ci-42"): `cdk deploy --all` of that stage, with the mock valuation
// service and a 60-second callback timeout, so that the slow scenarios fit;
// the suite runs against its LoanProcessor stack; then `cdk destroy --all`
// removes the stage, whatever the suite's result (every stateful resource
// of a stage other than prod is DESTROY). The stage's physical names carry
// it, so it never touches another stage of the account. Without
// LOANFLOW_CLOUD_STAGE the suite runs against LOANFLOW_STACK as given.
func TestMain(m *testing.M) {
	stage := os.Getenv("LOANFLOW_CLOUD_STAGE")
	if stage == "" {
		os.Exit(m.Run())
	}
	if err := config.ValidateStage(stage); err != nil || config.IsDefaultStage(stage) {
		fmt.Fprintf(os.Stderr, "LOANFLOW_CLOUD_STAGE=%q: a test stage must be valid and not the default stage (%v)\n", stage, err)
		os.Exit(2)
	}
	cdk, err := cdkCommand()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := stageContext(stage)
	deploy := append([]string{"deploy", "--all", "--require-approval", "never"}, ctx...)
	if err := cdk(deploy...); err != nil {
		fmt.Fprintf(os.Stderr, "deploy stage %s: %v\n", stage, err)
		_ = cdk(append([]string{"destroy", "--all", "--force"}, ctx...)...)
		os.Exit(1)
	}
	os.Setenv("LOANFLOW_STACK", config.StageName(stage, "LoanProcessor"))
	os.Setenv("LOANFLOW_CLOUD_SLOW", "1")
	code := m.Run()
	if err := cdk(append([]string{"destroy", "--all", "--force"}, ctx...)...); err != nil {
		fmt.Fprintf(os.Stderr, "destroy stage %s: %v (remove it by hand: cdk destroy --all %s)\n", stage, err, strings.Join(ctx, " "))
		code = 1
	}
	os.Exit(code)
}

// stageContext is the CDK context of a test stage.
func stageContext(stage string) []string {
	return []string{"-c", "stage=" + stage, "-c", "mockValuationService=true", "-c", "callbackTimeout=60s"}
}

// cdkCommand runs the repository's cdk CLI (tools/, as README installs it)
// from the module root, where cdk.json is.
func cdkCommand() (func(args ...string) error, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no cdk.json above the working directory")
		}
		dir = parent
	}
	bin := filepath.Join(dir, "tools", "node_modules", ".bin", "cdk")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the cdk CLI is not installed: npm install --prefix tools aws-cdk@2.1148.1")
	}
	return func(args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
		return cmd.Run()
	}, nil
}

func TestStageContext(t *testing.T) {
	got := strings.Join(stageContext("ci-42"), " ")
	if got != "-c stage=ci-42 -c mockValuationService=true -c callbackTimeout=60s" {
		t.Fatalf("context %q", got)
	}
}
