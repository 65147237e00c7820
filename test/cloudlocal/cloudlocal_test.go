// Package cloudlocal runs the cloud test suite (test/cloud, build tag
// cloud) against a local stack, unchanged: the suite finds the deployment
// as it does on AWS, by the LoanProcessor stack's outputs (CloudFormation
// DescribeStacks), with AWS_ENDPOINT_URL pointing every SDK client at the
// local stack. Without the tag, test/cloud holds no test; this package
// proves it builds and passes before anyone deploys.
package cloudlocal

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loanflow/infra/config"
	"loanflow/infra/local"
)

func TestCloudSuiteRunsAgainstTheLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the cloud suite in a child go test")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the cloud suite with: %v", err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// The local defaults, with valuations that take a moment: the suite
	// runs the scenarios that end without waiting for a timeout.
	cfg := config.Local()
	cfg.Mock.CallbackDelay = 200 * time.Millisecond
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: filepath.Join(dir, "state"), Config: &cfg,
		Logger: slog.New(slog.NewJSONHandler(logFile, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "test", "-tags", "cloud", "-count=1", "-v", "-run", "^TestScenariosOnAWS$", "./test/cloud")
	cmd.Dir = root
	cmd.Env = append(withoutAWS(os.Environ()),
		"AWS_ENDPOINT_URL="+s.Outputs.Endpoint,
		"AWS_REGION="+s.Region,
		"AWS_ACCESS_KEY_ID=cloud-suite",
		"AWS_SECRET_ACCESS_KEY=cloud-suite",
		// Nothing of this machine's own AWS setup: no profile, no
		// credentials file, no instance metadata.
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"LOANFLOW_STACK="+local.LoanProcessorName,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("go test -tags cloud ./test/cloud against %s:\n%s", s.Outputs.Endpoint, out)
	if err != nil {
		tail, _ := os.ReadFile(logFile.Name())
		if len(tail) > 8000 {
			tail = tail[len(tail)-8000:]
		}
		t.Fatalf("the cloud suite failed against the local stack: %v\nstack log tail:\n%s", err, tail)
	}
	if !strings.Contains(string(out), "--- PASS: TestScenariosOnAWS") {
		t.Fatalf("the cloud suite did not run its scenarios (skipped?)")
	}
}

// withoutAWS drops the AWS_ variables of the environment (a profile, a
// region, keys), which would point the suite elsewhere.
func withoutAWS(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// moduleRoot is the directory of go.mod, above this package's.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
