package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"loanflow/infra/local"
)

// The local stack's overview lists its activities with the tasks waiting
// for a worker.
func TestTheLocalStackShowsItsActivities(t *testing.T) {
	ctx := context.Background()
	s, err := local.Start(ctx, local.Options{StateDir: t.TempDir(), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c := sfn.NewFromConfig(aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)})
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("console-valuer")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("console-activity"), RoleArn: aws.String("arn:aws:iam::000000000000:role/r"),
		Definition: aws.String(`{"StartAt":"V","States":{"V":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Fatal(err)
	}
	want := "console-valuer " + aws.ToString(act.ActivityArn) + " 1 0"
	var page string
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(page, want) && time.Now().Before(deadline) {
		res, err := http.Get(s.Outputs.ConsoleURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET / = %d", res.StatusCode)
		}
		page = readable(string(b))
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(page, want) {
		t.Fatalf("overview: missing %q in %s", want, page)
	}
}
