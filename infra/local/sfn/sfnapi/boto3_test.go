package sfnapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBoto3 runs testdata/boto3/<script> with python3 and boto3 against a
// new engine; the script checks what it gets and fails with the reason. It
// skips when python3 or boto3 is missing, and returns the JSON summary the
// script prints last.
func runBoto3(t *testing.T, script string, env ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not importable")
	}
	s := newStack(t, &tokenCatcher{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir, err := filepath.Abs(filepath.Join("testdata", "boto3"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "python3", filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"ENDPOINT=" + s.url, "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "PYTHONDONTWRITEBYTECODE=1"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", script, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var summary map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); err != nil || summary["ok"] != true {
		t.Fatalf("%s: no summary (%v): %s", script, err, stdout.String())
	}
	return summary
}

func TestBoto3API(t *testing.T) {
	s := runBoto3(t, "api.py", "OPERATIONS="+strings.Join(Operations(), ","))
	t.Logf("operations boto3 knows that are not served: %v", s["unserved"])
}
