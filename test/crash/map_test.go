package crash

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// A Map whose iterations send an SQS message and then wait, with the stack
// killed (SIGKILL) while iterations wait and others have not started:
// after the restart every item's message is sent, and only once.
func TestMapIterationsSendOnceAcrossAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash test starts and kills a stack")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "loanflow")
	build := exec.Command("go", "build", "-o", bin, "./cmd/loanflow")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/loanflow: %v\n%s", err, out)
	}
	st := &stack{t: t, bin: bin, dir: tmp, addr: freeAddr(t)}
	c := newClients(st.endpoint())
	t.Cleanup(func() {
		st.stop()
		if t.Failed() && len(st.logs) > 0 {
			t.Logf("tail of the last stack log:\n%s", tail(st.logs[len(st.logs)-1], 4000))
		}
	})
	st.start(ctx, c.sfn, true)

	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fan-out")})
	if err != nil {
		t.Fatal(err)
	}
	const items, conc = 30, 5
	ids := make([]string, items)
	for i := range ids {
		ids[i] = fmt.Sprintf(`{"id":"item-%02d"}`, i)
	}
	// Iterations run five at a time; each sends, then waits 3 s.
	def := `{"StartAt":"Fan","States":{"Fan":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":` + fmt.Sprint(conc) + `,"End":true,
	  "ItemProcessor":{"StartAt":"Send","States":{
	    "Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"` + *q.QueueUrl + `","MessageBody.$":"$.id"},"Next":"Nap"},
	    "Nap":{"Type":"Wait","Seconds":3,"End":true}}}}}}`
	sm, err := c.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fan-out"), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::000000000000:role/fan-out")})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("fan"),
		Input: aws.String(`{"items":[` + strings.Join(ids, ",") + `]}`)})
	if err != nil {
		t.Fatal(err)
	}

	// Kill once the second wave has been sent and is waiting: ten messages
	// out, five iterations in their Wait, twenty not started.
	received := map[string]int{}
	receive := func(wait int32) int {
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		for _, m := range out.Messages {
			received[*m.Body]++
			if _, err := c.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
		return len(out.Messages)
	}
	deadline := time.Now().Add(60 * time.Second)
	for total := 0; total < 2*conc; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages after 60 s", total)
		}
		total += receive(1)
	}
	// A message out is not yet a checkpoint: wait until the ten
	// iterations that sent have been saved in their Wait (an iteration's
	// WaitStateEntered is written with its checkpoint), then kill at once,
	// well before the second wave's 3 s Waits end and a third wave sends.
	for napping := 0; napping < 2*conc; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d iterations saved in their Wait after 60 s", napping)
		}
		napping = 0
		var token *string
		for {
			h, err := c.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn, MaxResults: 1000, NextToken: token})
			if err != nil {
				t.Fatalf("history: %v", err)
			}
			for _, ev := range h.Events {
				if ev.Type == sfntypes.HistoryEventTypeWaitStateEntered {
					napping++
				}
			}
			if token = h.NextToken; token == nil {
				break
			}
		}
		if napping < 2*conc {
			time.Sleep(20 * time.Millisecond)
		}
	}
	st.kill()
	st.start(ctx, c.sfn, false)

	deadline = time.Now().Add(3 * time.Minute)
	for {
		d, err := c.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			if d.Status != sfntypes.ExecutionStatusSucceeded {
				t.Fatalf("execution %s: %s", d.Status, aws.ToString(d.Cause))
			}
			var out []json.RawMessage
			if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil || len(out) != items {
				t.Fatalf("output: %d results (%v)", len(out), err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the execution did not end within 3 minutes of the restart")
		}
		receive(1)
	}
	for receive(1) > 0 {
	}
	for i := range items {
		body := fmt.Sprintf("item-%02d", i)
		if received[body] != 1 {
			t.Errorf("%s sent %d times", body, received[body])
		}
	}
	if len(received) != items {
		t.Errorf("%d distinct messages, want %d: %v", len(received), items, received)
	}
	_ = os.Remove(bin)
}
