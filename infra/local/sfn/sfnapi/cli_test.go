package sfnapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

// awsCLI runs the aws CLI against endpoint and decodes its JSON output into
// out (when not nil).
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %v: %v: %s", args, err, stderr.String())
	}
	if out != nil && stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("aws %v: decode %q: %v", args, stdout.String(), err)
		}
	}
}

// An activity worker's flow with the aws CLI: create-activity, a state
// machine using it, start-execution, get-activity-task, send-task-success,
// and the execution SUCCEEDED.
func TestActivityWithAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	s := newStack(t, &tokenCatcher{})
	var act struct {
		ActivityARN string `json:"activityArn"`
	}
	awsCLI(t, s.url, &act, "stepfunctions", "create-activity", "--name", "cli-valuer")
	if act.ActivityARN != "arn:aws:states:us-east-1:000000000000:activity:cli-valuer" {
		t.Fatalf("create-activity: %+v", act)
	}
	def := `{"StartAt":"Value","States":{"Value":{"Type":"Task","Resource":"` + act.ActivityARN + `","TimeoutSeconds":300,"End":true}}}`
	var sm struct {
		StateMachineARN string `json:"stateMachineArn"`
	}
	awsCLI(t, s.url, &sm, "stepfunctions", "create-state-machine", "--name", "cli-loans", "--definition", def, "--role-arn", role)
	var started struct {
		ExecutionARN string `json:"executionArn"`
	}
	awsCLI(t, s.url, &started, "stepfunctions", "start-execution", "--state-machine-arn", sm.StateMachineARN, "--input", `{"loan":"L9"}`)
	var task struct{ TaskToken, Input string }
	awsCLI(t, s.url, &task, "stepfunctions", "get-activity-task", "--activity-arn", act.ActivityARN, "--worker-name", "cli-worker")
	if task.TaskToken == "" || task.Input != `{"loan":"L9"}` {
		t.Fatalf("get-activity-task: %+v", task)
	}
	awsCLI(t, s.url, nil, "stepfunctions", "send-task-success", "--task-token", task.TaskToken, "--task-output", `{"value":1}`)
	deadline := time.Now().Add(10 * time.Second)
	var x struct{ Status, Output string }
	for {
		awsCLI(t, s.url, &x, "stepfunctions", "describe-execution", "--execution-arn", started.ExecutionARN)
		if x.Status != "RUNNING" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if x.Status != "SUCCEEDED" || x.Output != `{"value":1}` {
		t.Fatalf("describe-execution: %+v", x)
	}
	var list struct{ Activities []struct{ Name string } }
	awsCLI(t, s.url, &list, "stepfunctions", "list-activities")
	if len(list.Activities) != 1 || list.Activities[0].Name != "cli-valuer" {
		t.Fatalf("list-activities: %+v", list)
	}
	awsCLI(t, s.url, nil, "stepfunctions", "delete-activity", "--activity-arn", act.ActivityARN)
}
