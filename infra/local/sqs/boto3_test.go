package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/awsjson"
)

// boto3Server serves b's SQS JSON protocol and, at POST /_clock?advance=<s>,
// moves clock forward, so that a boto3 script can cross the 60-second and
// 5-minute windows. It returns the server's URL.
func boto3Server(t *testing.T, b *Broker, clock *fakeClock) string {
	t.Helper()
	api := awsjson.NewMux(slog.New(slog.DiscardHandler), b.Service())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_clock" && r.Method == http.MethodPost {
			s, err := strconv.ParseFloat(r.URL.Query().Get("advance"), 64)
			if err != nil || s < 0 {
				http.Error(w, "advance: want seconds", http.StatusBadRequest)
				return
			}
			clock.Advance(time.Duration(s * float64(time.Second)))
			return
		}
		api.ServeHTTP(w, r)
	}))
	b.baseURL = "http://" + srv.Listener.Addr().String() // before serving: no race with the handlers
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// runBoto3 runs testdata/boto3/<script> with python3 and boto3 against a
// new broker on a fake clock; the script checks what it gets and fails with
// the reason. It skips when python3 or boto3 is missing, and returns the
// JSON summary the script prints last.
func runBoto3(t *testing.T, script string, env ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 not importable")
	}
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	endpoint := boto3Server(t, b, clock)
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

func TestBoto3FIFOQueues(t *testing.T) {
	runBoto3(t, "fifo.py")
}

func TestBoto3QueueTags(t *testing.T) {
	runBoto3(t, "tags.py")
}

func TestBoto3MessageMoveTasks(t *testing.T) {
	runBoto3(t, "movetasks.py")
}

func TestBoto3Mismatches(t *testing.T) {
	runBoto3(t, "mismatches.py")
}

func TestBoto3OperationRegistry(t *testing.T) {
	s := runBoto3(t, "registry.py", "OPERATIONS="+strings.Join(Operations(), ","))
	if got, _ := json.Marshal(s["unserved"]); string(got) != `["AddPermission","RemovePermission"]` {
		t.Errorf("unserved operations = %s", got)
	}
}
