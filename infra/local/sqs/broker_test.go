package sqs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSendReceiveDelete(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "jobs", nil)
	sent := mustSend(t, b, "jobs", NewMessage{Body: "hello", Attributes: map[string]MessageAttribute{"kind": {DataType: "String", StringValue: "greeting"}}})
	if sent[0].MD5OfBody != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("MD5OfBody = %s", sent[0].MD5OfBody)
	}
	if s := stats(t, b, "jobs"); s.Visible != 1 || s.InFlight != 0 {
		t.Errorf("stats after send = %+v", s)
	}
	clock.Advance(3 * time.Second)
	msgs := receiveNow(t, b, "jobs", 10)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Body != "hello" || m.ID != sent[0].MessageID || m.ReceiveCount != 1 || m.Attributes["kind"].StringValue != "greeting" {
		t.Errorf("message = %+v", m)
	}
	if !m.FirstReceivedAt.Equal(clock.Now()) || !m.SentAt.Equal(clock.Now().Add(-3*time.Second)) {
		t.Errorf("timestamps: sent %v first received %v", m.SentAt, m.FirstReceivedAt)
	}
	if s := stats(t, b, "jobs"); s.Visible != 0 || s.InFlight != 1 || s.OldestAge != 3*time.Second {
		t.Errorf("stats after receive = %+v", s)
	}
	if got := receiveNow(t, b, "jobs", 10); len(got) != 0 {
		t.Errorf("in-flight message received again: %+v", got)
	}
	if err := b.Delete(ctx, "jobs", m.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, b, "jobs"); s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("stats after delete = %+v", s)
	}
	// Deleting again is not an error, like SQS.
	if err := b.Delete(ctx, "jobs", m.ReceiptHandle); err != nil {
		t.Errorf("second delete: %v", err)
	}
}

func TestVisibilityTimeoutAndStaleHandles(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "q", map[string]string{"VisibilityTimeout": "30"})
	mustSend(t, b, "q", NewMessage{Body: "m"})
	first := receiveNow(t, b, "q", 1)
	clock.Advance(29 * time.Second)
	if got := receiveNow(t, b, "q", 1); len(got) != 0 {
		t.Fatal("message visible before its visibility timeout")
	}
	clock.Advance(time.Second)
	second := receiveNow(t, b, "q", 1)
	if len(second) != 1 || second[0].ReceiveCount != 2 || second[0].ReceiptHandle == first[0].ReceiptHandle {
		t.Fatalf("second receive = %+v", second)
	}
	if !second[0].FirstReceivedAt.Equal(first[0].FirstReceivedAt) {
		t.Errorf("first receive time changed: %v -> %v", first[0].FirstReceivedAt, second[0].FirstReceivedAt)
	}
	// The first handle is stale: delete is a no-op, visibility change fails.
	if err := b.Delete(ctx, "q", first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, b, "q"); s.InFlight != 1 {
		t.Fatalf("stale handle deleted the message: %+v", s)
	}
	if err := b.ChangeVisibility(ctx, "q", first[0].ReceiptHandle, 0); !errors.Is(err, ErrInvalidParameterValue) {
		t.Errorf("change visibility with stale handle: %v", err)
	}
	// A per-receive visibility timeout overrides the queue's.
	if err := b.ChangeVisibility(ctx, "q", second[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	third, err := b.Receive(ctx, "q", ReceiveOptions{VisibilityTimeout: dur(5 * time.Second), WaitTime: dur(0)})
	if err != nil || len(third) != 1 {
		t.Fatalf("third receive: %v %v", third, err)
	}
	clock.Advance(5 * time.Second)
	if got := receiveNow(t, b, "q", 1); len(got) != 1 || got[0].ReceiveCount != 4 {
		t.Fatalf("after custom visibility = %+v", got)
	}
}

func TestInvalidReceiptHandles(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	ctx := context.Background()
	mustCreate(t, b, "q", nil)
	for _, h := range []string{"x", "1.", ".abc", "-1.000000000000000000000000", "1.zzzzzzzzzzzzzzzzzzzzzzzz"} {
		if err := b.Delete(ctx, "q", h); !errors.Is(err, ErrReceiptHandleIsInvalid) {
			t.Errorf("Delete(%q) = %v", h, err)
		}
		if err := b.ChangeVisibility(ctx, "q", h, time.Second); !errors.Is(err, ErrReceiptHandleIsInvalid) {
			t.Errorf("ChangeVisibility(%q) = %v", h, err)
		}
	}
	mustCreate(t, b, "other", nil)
	mustSend(t, b, "other", NewMessage{Body: "x"})
	m := receiveNow(t, b, "other", 1)
	if err := b.Delete(ctx, "q", m[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, b, "other"); s.InFlight != 1 {
		t.Errorf("handle of another queue deleted the message")
	}
}

func TestDelay(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	mustCreate(t, b, "q", map[string]string{"DelaySeconds": "10"})
	mustSend(t, b, "q", NewMessage{Body: "queue delay"}, NewMessage{Body: "own delay", Delay: dur(2 * time.Second)})
	if s := stats(t, b, "q"); s.Delayed != 2 || s.Visible != 0 {
		t.Fatalf("stats = %+v", s)
	}
	clock.Advance(2 * time.Second)
	if got := receiveNow(t, b, "q", 10); len(got) != 1 || got[0].Body != "own delay" {
		t.Fatalf("after 2s = %+v", got)
	}
	clock.Advance(8 * time.Second)
	if got := receiveNow(t, b, "q", 10); len(got) != 1 || got[0].Body != "queue delay" {
		t.Fatalf("after 10s = %+v", got)
	}
	_, err := b.Send(context.Background(), "q", NewMessage{Body: "x", Delay: dur(901 * time.Second)})
	if !errors.Is(err, ErrInvalidParameterValue) {
		t.Errorf("delay 901s: %v", err)
	}
}

func TestLongPollWakesOnSend(t *testing.T) {
	clock := newFakeClock() // its timers never fire here: only the send can wake the poller
	b := newTestBroker(t, clock)
	mustCreate(t, b, "q", nil)
	q, _ := b.lookup("q")
	got := make(chan []Message, 1)
	go func() {
		msgs, err := b.Receive(context.Background(), "q", ReceiveOptions{WaitTime: dur(20 * time.Second)})
		if err != nil {
			t.Error(err)
		}
		got <- msgs
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	if !b.waiters.Waiting(q.id) {
		t.Fatal("poller is not registered for notifications")
	}
	mustSend(t, b, "q", NewMessage{Body: "wake up"})
	select {
	case msgs := <-got:
		if len(msgs) != 1 || msgs[0].Body != "wake up" {
			t.Fatalf("long poll returned %+v", msgs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll was not woken by the send")
	}
}

func TestLongPollTimesOutAndWaitsForDelayedMessages(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	mustCreate(t, b, "q", map[string]string{"ReceiveMessageWaitTimeSeconds": "20"})
	done := make(chan []Message, 1)
	go func() {
		msgs, _ := b.Receive(context.Background(), "q", ReceiveOptions{})
		done <- msgs
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	clock.Advance(20 * time.Second)
	if msgs := <-done; len(msgs) != 0 {
		t.Fatalf("empty queue returned %+v", msgs)
	}

	mustSend(t, b, "q", NewMessage{Body: "later", Delay: dur(5 * time.Second)})
	go func() {
		msgs, _ := b.Receive(context.Background(), "q", ReceiveOptions{})
		done <- msgs
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	clock.Advance(5 * time.Second)
	if msgs := <-done; len(msgs) != 1 || msgs[0].Body != "later" {
		t.Fatalf("delayed message: %+v", msgs)
	}
}

func TestLongPollCancelled(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	mustCreate(t, b, "q", nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := b.Receive(ctx, "q", ReceiveOptions{WaitTime: dur(20 * time.Second)})
		errc <- err
	}()
	waitFor(t, "the poller to wait", func() bool { return clock.Timers() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestRedriveAtMaxReceiveCount(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "q-dlq", nil)
	mustCreate(t, b, "q", map[string]string{
		"VisibilityTimeout": "10",
		"RedrivePolicy":     `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:q-dlq","maxReceiveCount":"2"}`,
	})
	sent := mustSend(t, b, "q", NewMessage{Body: "poison"})
	for i := 1; i <= 2; i++ {
		got := receiveNow(t, b, "q", 1)
		if len(got) != 1 || got[0].ReceiveCount != i {
			t.Fatalf("receive %d = %+v", i, got)
		}
		clock.Advance(10 * time.Second)
	}
	if got := receiveNow(t, b, "q", 1); len(got) != 0 {
		t.Fatalf("third receive delivered %+v; want a move to the DLQ", got)
	}
	if s := stats(t, b, "q"); s.Visible+s.InFlight != 0 || s.DeadLetterQueue != "q-dlq" || s.MaxReceiveCount != 2 {
		t.Errorf("source stats = %+v", s)
	}
	dl, err := b.Peek(ctx, "q-dlq", 10)
	if err != nil || len(dl) != 1 {
		t.Fatalf("peek DLQ: %v %v", dl, err)
	}
	if dl[0].ID != sent[0].MessageID || dl[0].ReceiveCount != 2 || dl[0].DeadLetterSourceARN != b.QueueARN("q") || dl[0].ReceiptHandle != "" {
		t.Errorf("dead letter = %+v", dl[0])
	}
	if s := stats(t, b, "q-dlq"); s.Visible != 1 || len(s.SourceQueues) != 1 || s.SourceQueues[0] != "q" {
		t.Errorf("DLQ stats = %+v", s)
	}
	n, err := b.Redrive(ctx, "q-dlq", "")
	if err != nil || n != 1 {
		t.Fatalf("redrive: %d %v", n, err)
	}
	got := receiveNow(t, b, "q", 1)
	if len(got) != 1 || got[0].ReceiveCount != 1 || got[0].Body != "poison" {
		t.Fatalf("after redrive = %+v", got)
	}
}

func TestPurge(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	mustCreate(t, b, "q", nil)
	mustSend(t, b, "q", NewMessage{Body: "a"}, NewMessage{Body: "b"}, NewMessage{Body: "c", Delay: dur(time.Minute)})
	receiveNow(t, b, "q", 1)
	if err := b.Purge(context.Background(), "q"); err != nil {
		t.Fatal(err)
	}
	if s := stats(t, b, "q"); s.Visible+s.InFlight+s.Delayed != 0 {
		t.Errorf("stats after purge = %+v", s)
	}
}

func TestRetention(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	ctx := context.Background()
	mustCreate(t, b, "q", map[string]string{"MessageRetentionPeriod": "60"})
	mustSend(t, b, "q", NewMessage{Body: "a"}, NewMessage{Body: "b"})
	clock.Advance(time.Minute)
	if s := stats(t, b, "q"); s.Visible != 0 {
		t.Errorf("expired messages counted: %+v", s)
	}
	if got := receiveNow(t, b, "q", 10); len(got) != 0 {
		t.Errorf("expired messages received: %+v", got)
	}
	mustSend(t, b, "q", NewMessage{Body: "c"})
	clock.Advance(time.Minute)
	if n, err := b.Sweep(ctx); err != nil || n != 1 {
		t.Errorf("sweep = %d, %v", n, err)
	}
}

func TestQueueManagement(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	ctx := context.Background()
	mustCreate(t, b, "alpha", map[string]string{"VisibilityTimeout": "5"})
	mustCreate(t, b, "alpha", map[string]string{"VisibilityTimeout": "5"})
	if _, err := b.CreateQueue(ctx, "alpha", map[string]string{"VisibilityTimeout": "6"}); !errors.Is(err, ErrQueueNameExists) {
		t.Errorf("recreate with other attributes: %v", err)
	}
	for name, want := range map[string]error{"bad name!": ErrInvalidParameterValue, "x.fifo": ErrInvalidParameterValue} {
		if _, err := b.CreateQueue(ctx, name, nil); !errors.Is(err, want) {
			t.Errorf("create %q: %v", name, err)
		}
	}
	for attrs, want := range map[[2]string]error{
		{"VisibilityTimeout", "43201"}: ErrInvalidAttributeValue,
		{"Bogus", "1"}:                 ErrInvalidAttributeName,
		{"QueueArn", "x"}:              ErrInvalidAttributeName,
		{"RedrivePolicy", "{"}:         ErrInvalidAttributeValue,
		{"RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:none","maxReceiveCount":3}`}:  ErrInvalidAttributeValue,
		{"RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:alpha","maxReceiveCount":3}`}: ErrInvalidAttributeValue,
	} {
		if err := b.SetAttributes(ctx, "alpha", map[string]string{attrs[0]: attrs[1]}); !errors.Is(err, want) {
			t.Errorf("set %s=%s: %v, want %v", attrs[0], attrs[1], err, want)
		}
	}
	if _, err := b.Send(ctx, "nope", NewMessage{Body: "x"}); !errors.Is(err, ErrQueueDoesNotExist) {
		t.Errorf("send to missing queue: %v", err)
	}
	mustCreate(t, b, "beta", nil)
	if got := b.ListQueues("al"); len(got) != 1 || got[0] != "alpha" {
		t.Errorf("ListQueues(al) = %v", got)
	}
	attrs, err := b.Attributes(ctx, "alpha", []string{"All"})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"VisibilityTimeout": "5", "QueueArn": "arn:aws:sqs:us-east-1:000000000000:alpha",
		"ApproximateNumberOfMessages": "0", "MessageRetentionPeriod": "345600", "DelaySeconds": "0"} {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
	if err := b.DeleteQueue(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetQueueURL("alpha"); !errors.Is(err, ErrQueueDoesNotExist) {
		t.Errorf("deleted queue: %v", err)
	}
}

func TestMessageValidation(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	mustCreate(t, b, "q", map[string]string{"MaximumMessageSize": "1024"})
	for _, tc := range []struct {
		m    NewMessage
		want error
	}{
		{NewMessage{}, ErrMissingParameter},
		{NewMessage{Body: "bad \x01"}, ErrInvalidMessageContents},
		{NewMessage{Body: string(make([]byte, 1025))}, ErrInvalidMessageContents},
		{NewMessage{Body: "ok", Attributes: map[string]MessageAttribute{"n": {DataType: "Number", StringValue: "x"}}}, ErrInvalidParameterValue},
		{NewMessage{Body: "ok", Attributes: map[string]MessageAttribute{"AWS.x": {DataType: "String", StringValue: "x"}}}, ErrInvalidParameterValue},
		{NewMessage{Body: "ok", Attributes: map[string]MessageAttribute{"s": {DataType: "Text", StringValue: "x"}}}, ErrInvalidParameterValue},
	} {
		if _, err := b.Send(context.Background(), "q", tc.m); !errors.Is(err, tc.want) {
			t.Errorf("send %+v: %v, want %v", tc.m, err, tc.want)
		}
	}
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := b.Send(context.Background(), "q", NewMessage{Body: string(long)}); !errors.Is(err, ErrInvalidParameterValue) {
		t.Errorf("oversized message: %v", err)
	}
}

func TestRestartKeepsQueuesAndMessages(t *testing.T) {
	clock := newFakeClock()
	b := newTestBroker(t, clock)
	mustCreate(t, b, "q", map[string]string{"VisibilityTimeout": "7"})
	mustSend(t, b, "q", NewMessage{Body: "survives"})
	b2, err := New(context.Background(), b.db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	got := receiveNow(t, b2, "q", 1)
	if len(got) != 1 || got[0].Body != "survives" {
		t.Fatalf("after restart = %+v", got)
	}
	if q, _ := b2.lookup("q"); q.visibility != 7*time.Second {
		t.Errorf("visibility after restart = %v", q.visibility)
	}
}

// A queue policy must have a policy's shape: a JSON object with a Statement
// (an object or a list of objects). Anything else is refused in SQS's words
// and the stored policy is unchanged; "" removes it.
func TestPolicyMustBeAPolicyDocument(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	ctx := context.Background()
	const good = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}]}`
	mustCreate(t, b, "p", map[string]string{"Policy": good})
	for _, bad := range []string{`not json`, `[]`, `null`, `{"Version":"2012-10-17"}`, `{"Statement":"allow"}`, `{"Statement":[1]}`, `{"Statement":[null]}`, `{"Statement":null}`} {
		err := b.SetAttributes(ctx, "p", map[string]string{"Policy": bad})
		if !errors.Is(err, ErrInvalidAttributeValue) || !strings.Contains(err.Error(), "Invalid value for the parameter Policy.") {
			t.Errorf("Policy %s: %v", bad, err)
		}
	}
	if _, err := b.CreateQueue(ctx, "q", map[string]string{"Policy": "{"}); !errors.Is(err, ErrInvalidAttributeValue) {
		t.Errorf("create with a broken policy: %v", err)
	}
	attrs, err := b.Attributes(ctx, "p", []string{"Policy"})
	if err != nil || attrs["Policy"] != good {
		t.Fatalf("policy after refused changes: %q %v", attrs["Policy"], err)
	}
	if err := b.SetAttributes(ctx, "p", map[string]string{"Policy": `{"Statement":{"Effect":"Deny"}}`}); err != nil {
		t.Errorf("a single statement object: %v", err)
	}
	if err := b.SetAttributes(ctx, "p", map[string]string{"Policy": ""}); err != nil {
		t.Fatal(err)
	}
	if attrs, _ := b.Attributes(ctx, "p", []string{"Policy"}); attrs["Policy"] != "" {
		t.Errorf("policy not removed: %q", attrs["Policy"])
	}
}
