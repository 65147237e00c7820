package eventbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventbus"
)

// boto3Server serves b's EventBridge protocol and two test hooks: POST
// /_clock?advance=<seconds> moves clock (then waits until the scheduler
// has run), and GET /_delivered?arn=<target ARN> lists, as a JSON array,
// what the fake targets received. It returns the server's URL.
func boto3Server(t *testing.T, b *eventbus.Bus, f *fakeTargets, clock *fakeClock) string {
	t.Helper()
	api := awsjson.NewMux(quiet(), b.Service())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/_clock" && r.Method == http.MethodPost:
			s, err := strconv.ParseFloat(r.URL.Query().Get("advance"), 64)
			if err != nil || s < 0 {
				http.Error(w, "advance: want seconds", http.StatusBadRequest)
				return
			}
			before := clock.armedCount()
			clock.Advance(time.Duration(s * float64(time.Second)))
			// Wait (a bounded while) for the scheduler, woken or not.
			for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && clock.armedCount() == before; {
				time.Sleep(2 * time.Millisecond)
			}
		case r.URL.Path == "/_delivered":
			_ = json.NewEncoder(w).Encode(append([]string{}, f.all(r.URL.Query().Get("arn"))...))
		default:
			api.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// needBoto3 skips the test without python3 and boto3.
func needBoto3(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not importable")
	}
}

// runScript runs testdata/boto3/<script> against endpoint; the script
// checks what it gets and fails with the reason. It returns the JSON
// summary the script prints last.
func runScript(t *testing.T, script, endpoint string, env ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	dir, err := filepath.Abs(filepath.Join("testdata", "boto3"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "python3", filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"ENDPOINT=" + endpoint, "AWS_CONFIG_FILE=/dev/null",
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

// runBoto3 runs a script against a new bus on a fake clock, started.
func runBoto3(t *testing.T, script string, env ...string) map[string]any {
	t.Helper()
	needBoto3(t)
	clock := newFakeClock(time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	f := newFake()
	b := clockBus(t, filepath.Join(t.TempDir(), "s.db"), f, clock)
	b.Start(context.Background())
	t.Cleanup(b.Close)
	eventually(t, "the scheduler asleep", func() bool { return clock.armedCount() > 0 })
	return runScript(t, script, boto3Server(t, b, f, clock), env...)
}

func TestBoto3Rules(t *testing.T)          { runBoto3(t, "rules.py") }
func TestBoto3TargetInputs(t *testing.T)   { runBoto3(t, "inputs.py") }
func TestBoto3ScheduledRules(t *testing.T) { runBoto3(t, "schedule.py") }
func TestBoto3EventBuses(t *testing.T)     { runBoto3(t, "buses.py") }
func TestBoto3ArchiveAndReplay(t *testing.T) {
	runBoto3(t, "archive.py")
}
func TestBoto3Tags(t *testing.T)     { runBoto3(t, "tags.py") }
func TestBoto3Messages(t *testing.T) { runBoto3(t, "messages.py") }

func TestBoto3OperationRegistry(t *testing.T) {
	s := runBoto3(t, "registry.py", "OPERATIONS="+strings.Join(eventbus.Operations(), ","))
	if n, _ := s["unserved"].(float64); n == 0 {
		t.Errorf("the script found no unserved operation to check: %v", s)
	}
}

// The SNS topic and state machine targets, through boto3 on the whole
// local stack.
func TestBoto3TargetsOnTheLocalStack(t *testing.T) {
	needBoto3(t)
	if testing.Short() {
		t.Skip("starts the whole local stack")
	}
	s, err := local.Start(context.Background(), local.Options{Addr: "127.0.0.1:0", StateDir: t.TempDir(), Logger: quiet(), FunctionLogger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	runScript(t, "stack_targets.py", s.Outputs.Endpoint, "REGION="+s.Region, "CALLBACK_BUS="+s.Outputs.EventBusName,
		"CALLBACK_ARCHIVE="+local.CallbackArchiveName)
}
