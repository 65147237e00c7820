package sqs

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// deadLetter sends bodies to queue and receives each maxReceiveCount+1
// times, so that they land in its dead-letter queue.
func deadLetter(t *testing.T, b *Broker, clock *fakeClock, queue string, bodies ...string) {
	t.Helper()
	for _, body := range bodies {
		mustSend(t, b, queue, NewMessage{Body: body})
	}
	q, _ := b.lookup(queue)
	for range q.redrive.MaxReceiveCount + 1 {
		receiveNow(t, b, queue, 10)
		clock.Advance(q.visibility)
	}
}

// ListMessageMoveTasks and CancelMessageMoveTask beside StartMessageMoveTask:
// a task with MaxNumberOfMessagesPerSecond runs, moving that many messages a
// second; cancelled, it is CANCELLING, then CANCELLED; at most one runs per
// source; the list holds the 10 most recent, newest first; a task whose
// destination is deleted FAILS; an unknown handle gets AWS's errors.
func TestSDKMessageMoveTasks(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	c := newSDKClient(t, b)
	ctx := context.Background()
	mustCreate(t, b, "m-dlq", nil)
	mustCreate(t, b, "m", map[string]string{"VisibilityTimeout": "5", "RedrivePolicy": `{"deadLetterTargetArn":"` + b.QueueARN("m-dlq") + `","maxReceiveCount":"1"}`})
	mustCreate(t, b, "other", nil)
	deadLetter(t, b, clock, "m", "1", "2", "3", "4", "5")
	if s := stats(t, b, "m-dlq"); s.Visible != 5 {
		t.Fatalf("DLQ holds %d messages", s.Visible)
	}
	list := func(max int32) []types.ListMessageMoveTasksResultEntry {
		t.Helper()
		in := &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(b.QueueARN("m-dlq"))}
		if max > 0 {
			in.MaxResults = aws.Int32(max)
		}
		out, err := c.ListMessageMoveTasks(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Results
	}

	started, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("m-dlq")),
		MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	r := list(0)
	if len(r) != 1 || aws.ToString(r[0].Status) != "RUNNING" || aws.ToString(r[0].TaskHandle) != aws.ToString(started.TaskHandle) ||
		r[0].ApproximateNumberOfMessagesMoved != 1 || r[0].ApproximateNumberOfMessagesToMove == nil || *r[0].ApproximateNumberOfMessagesToMove != 5 ||
		aws.ToInt32(r[0].MaxNumberOfMessagesPerSecond) != 1 || r[0].DestinationArn != nil || r[0].StartedTimestamp != clock.Now().UnixMilli() {
		t.Fatalf("running task = %+v", r)
	}
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("m-dlq"))})
	wantAPIError(t, "second task", err, "InvalidParameterValue",
		"There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	clock.Advance(2 * time.Second)
	if s := stats(t, b, "m"); s.Visible != 3 {
		t.Errorf("after 2 s at 1 message a second the source holds %d messages, want 3", s.Visible)
	}
	cancelled, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: started.TaskHandle})
	if err != nil || cancelled.ApproximateNumberOfMessagesMoved != 3 {
		t.Fatalf("cancel = %+v, %v", cancelled, err)
	}
	if r := list(0); aws.ToString(r[0].Status) != "CANCELLING" {
		t.Errorf("just cancelled: %s", aws.ToString(r[0].Status))
	}
	clock.Advance(time.Second)
	if r := list(0); aws.ToString(r[0].Status) != "CANCELLED" || r[0].ApproximateNumberOfMessagesMoved != 3 || r[0].TaskHandle != nil {
		t.Errorf("cancelled task = %+v", r[0])
	}
	if s := stats(t, b, "m-dlq"); s.Visible != 2 {
		t.Errorf("after the cancel the DLQ holds %d messages, want 2", s.Visible)
	}
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: started.TaskHandle})
	wantAPIError(t, "cancel a cancelled task", err, "InvalidParameterValue", "Value "+aws.ToString(started.TaskHandle)+" for parameter TaskHandle is invalid.")

	// Errors for handles that are not a task's, as AWS answers them.
	handle := func(doc string) *string { return aws.String(base64.StdEncoding.EncodeToString([]byte(doc))) }
	for _, tc := range []struct {
		name   string
		handle *string
		code   string
		msg    string
	}{
		{"garbage", aws.String("not-a-handle"), "InvalidParameterValue", "Value for parameter TaskHandle is invalid."},
		{"unknown task", handle(`{"taskId":"nope","sourceArn":"` + b.QueueARN("m-dlq") + `"}`), "ResourceNotFoundException", "Task does not exist."},
		{"unknown source", handle(`{"taskId":"nope","sourceArn":"` + b.QueueARN("gone") + `"}`), "ResourceNotFoundException",
			"The resource that you specified for the SourceArn parameter doesn't exist."},
	} {
		_, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: tc.handle})
		wantAPIError(t, tc.name, err, tc.code, tc.msg)
	}
	var rnf *types.ResourceNotFoundException
	if _, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: handle(`{"taskId":"nope","sourceArn":"` + b.QueueARN("m-dlq") + `"}`)}); !errors.As(err, &rnf) {
		t.Errorf("unknown task: not a typed ResourceNotFoundException: %T", err)
	}

	// Without a rate the task moves everything at once: COMPLETED.
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("m-dlq")),
		DestinationArn: aws.String(b.QueueARN("other"))}); err != nil {
		t.Fatal(err)
	}
	r = list(2)
	if len(r) != 2 || aws.ToString(r[0].Status) != "COMPLETED" || r[0].ApproximateNumberOfMessagesMoved != 2 ||
		aws.ToString(r[0].DestinationArn) != b.QueueARN("other") || aws.ToString(r[1].Status) != "CANCELLED" {
		t.Fatalf("after an unlimited task = %+v", r)
	}
	if s := stats(t, b, "other"); s.Visible != 2 {
		t.Errorf("other holds %d messages, want 2", s.Visible)
	}

	// A running task whose destination is deleted fails.
	deadLetter(t, b, clock, "m", "6", "7")
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("m-dlq")),
		DestinationArn: aws.String(b.QueueARN("other")), MaxNumberOfMessagesPerSecond: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteQueue(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if r := list(0); aws.ToString(r[0].Status) != "FAILED" || aws.ToString(r[0].FailureReason) != "AWS.SimpleQueueService.NonExistentQueue" ||
		r[0].ApproximateNumberOfMessagesMoved != 1 {
		t.Errorf("task with its destination deleted = %+v", r[0])
	}

	// The 10 most recent tasks, newest first.
	for range 9 {
		clock.Advance(time.Second)
		if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(b.QueueARN("m-dlq"))}); err != nil {
			t.Fatal(err)
		}
	}
	r = list(10)
	if len(r) != 10 || aws.ToString(r[9].Status) != "FAILED" || r[0].StartedTimestamp <= r[9].StartedTimestamp {
		t.Fatalf("10 most recent = %d tasks, oldest %s", len(r), aws.ToString(r[len(r)-1].Status))
	}
	var kept int
	if err := b.db.QueryRow(`SELECT COUNT(*) FROM sqs_move_tasks`).Scan(&kept); err != nil || kept != 10 {
		t.Errorf("%d tasks kept (%v), want the 10 most recent", kept, err)
	}
	_, err = c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(b.QueueARN("m-dlq")), MaxResults: aws.Int32(11)})
	wantAPIError(t, "MaxResults 11", err, "InvalidParameterValue", "Value 11 for parameter MaxResults is invalid.")
	_, err = c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(b.QueueARN("gone"))})
	wantAPIError(t, "list of a missing queue", err, "ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist.")

	// Tasks are stored: a restarted Broker lists them.
	b2, err := New(ctx, b.db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := b2.ListMoveTasks(ctx, b.QueueARN("m-dlq"), 10)
	if err != nil || len(tasks) != 10 {
		t.Fatalf("after restart: %d tasks, %v", len(tasks), err)
	}
}

// Without a destination, each message goes back to the queue it was
// dead-lettered from; a rate-limited task's moves wake a long poll on the
// destination when they are due.
func TestMoveTaskToTheOriginalSourcesWakesLongPolls(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "dlq", nil)
	policy := map[string]string{"VisibilityTimeout": "5", "RedrivePolicy": `{"deadLetterTargetArn":"` + b.QueueARN("dlq") + `","maxReceiveCount":"1"}`}
	mustCreate(t, b, "a", policy)
	mustCreate(t, b, "b", policy)
	deadLetter(t, b, clock, "a", "from-a")
	deadLetter(t, b, clock, "b", "from-b")
	if _, err := b.StartMoveTask(ctx, b.QueueARN("dlq"), "", 1); err != nil {
		t.Fatal(err)
	}
	if got := receiveNow(t, b, "a", 10); len(got) != 1 || got[0].Body != "from-a" || got[0].ReceiveCount != 1 {
		t.Fatalf("a = %+v", got)
	}
	got := make(chan []Message, 1)
	go func() {
		msgs, err := b.Receive(ctx, "b", ReceiveOptions{WaitTime: dur(20 * time.Second)})
		if err != nil {
			t.Error(err)
		}
		got <- msgs
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	clock.Advance(time.Second)
	select {
	case msgs := <-got:
		if len(msgs) != 1 || msgs[0].Body != "from-b" {
			t.Fatalf("b = %+v", msgs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the move of the second message did not reach the long poll")
	}
	tasks, err := b.ListMoveTasks(ctx, b.QueueARN("dlq"), 1)
	if err != nil || len(tasks) != 1 || tasks[0].Status != MoveTaskCompleted || tasks[0].Moved != 2 || !strings.HasPrefix(tasks[0].SourceARN, "arn:aws:sqs:") {
		t.Fatalf("task = %+v, %v", tasks, err)
	}
}
