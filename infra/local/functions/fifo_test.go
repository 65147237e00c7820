package functions_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"loanflow/infra/local/functions"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

// fifoQueue is a broker with a FIFO queue "q.fifo" (content-based
// deduplication, a one-second visibility timeout) holding msgs, each
// "<group><n>": a1 is message 1 of group a.
func fifoQueue(t *testing.T, ctx context.Context, msgs ...string) *sqs.Broker {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	b, err := sqs.New(ctx, db, sqs.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateQueue(ctx, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "1"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := b.Send(ctx, "q.fifo", sqs.NewMessage{Body: m, GroupID: m[:1]}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// journal records what a function did, in order.
type journal struct {
	mu   sync.Mutex
	done []string // messages processed successfully
	seen map[string]int
}

func (j *journal) add(body string, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.seen == nil {
		j.seen = map[string]int{}
	}
	j.seen[body]++
	if ok {
		j.done = append(j.done, body)
	}
}

// wait returns the processed messages once n of them are.
func (j *journal) wait(t *testing.T, n int) ([]string, map[string]int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		j.mu.Lock()
		done, seen := slices.Clone(j.done), map[string]int{}
		for k, v := range j.seen {
			seen[k] = v
		}
		j.mu.Unlock()
		if len(done) >= n {
			return done, seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("processed %v (deliveries %v), want %d messages", done, seen, n)
		}
	}
}

// group returns the messages of one group, in the order they were processed.
func group(done []string, g string) []string {
	var out []string
	for _, m := range done {
		if strings.HasPrefix(m, g) {
			out = append(out, m)
		}
	}
	return out
}

// Issue 18: from a FIFO queue the mapping delivers each message group in
// order; a batch whose invocation fails holds back its group's later
// messages until it has been retried (after the visibility timeout), while
// other groups carry on. Records carry the FIFO attributes.
func TestSQSMappingOnAFIFOQueueBlocksOnlyTheFailedGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := fifoQueue(t, ctx, "a1", "b1", "a2", "b2", "a3", "b3")
	var j journal
	var failedOnce sync.Once
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	fn, _ := r.Register(functions.Spec{Name: "consumer", Timeout: 5 * time.Second, Handler: func(ctx context.Context, ev events.SQSEvent) error {
		for _, rec := range ev.Records {
			if rec.Attributes["MessageGroupId"] != rec.Body[:1] || rec.Attributes["SequenceNumber"] == "" || rec.Attributes["MessageDeduplicationId"] == "" {
				t.Errorf("record %s: attributes %v, want MessageGroupId %s, SequenceNumber and MessageDeduplicationId", rec.Body, rec.Attributes, rec.Body[:1])
			}
			fail := false
			if rec.Body == "a1" {
				failedOnce.Do(func() { fail = true })
			}
			j.add(rec.Body, !fail)
			if fail {
				return errors.New("a1 fails once")
			}
		}
		return nil
	}})
	m := &functions.SQSMapping{Queue: "q.fifo", Function: fn, BatchSize: 1, MaxConcurrency: 2, Log: quiet()}
	go m.Run(ctx, b)

	done, seen := j.wait(t, 6)
	if a, bs := group(done, "a"), group(done, "b"); !slices.Equal(a, []string{"a1", "a2", "a3"}) || !slices.Equal(bs, []string{"b1", "b2", "b3"}) {
		t.Fatalf("processed %v: want each group in order", done)
	}
	// Group b did not wait for a1's retry, a visibility timeout later.
	if i, k := slices.Index(done, "b3"), slices.Index(done, "a1"); i > k {
		t.Errorf("processed %v: group b waited for group a's retry", done)
	}
	if seen["a1"] != 2 || seen["a2"] != 1 || seen["b1"] != 1 {
		t.Errorf("deliveries %v: want a1 twice (failed, retried), every other message once", seen)
	}
}

// Issue 18: with ReportBatchItemFailures on a FIFO queue, a function that
// does as Lambda's guide asks (stop at the first failure, report it and
// every unprocessed message) gets the rest again, in order, after the
// visibility timeout; the messages it processed are deleted.
func TestSQSMappingOnAFIFOQueueRetriesReportedMessagesInOrder(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := fifoQueue(t, ctx, "a1", "a2", "a3", "a4")
	var j journal
	var failedOnce sync.Once
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	fn, _ := r.Register(functions.Spec{Name: "consumer", Timeout: 5 * time.Second, Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for i, rec := range ev.Records {
			fail := false
			if rec.Body == "a2" {
				failedOnce.Do(func() { fail = true })
			}
			j.add(rec.Body, !fail)
			if fail {
				for _, rest := range ev.Records[i:] {
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rest.MessageId})
				}
				return resp, nil
			}
		}
		return resp, nil
	}})
	m := &functions.SQSMapping{Queue: "q.fifo", Function: fn, BatchSize: 10, MaxConcurrency: 2, ReportBatchItemFailures: true, Log: quiet()}
	go m.Run(ctx, b)

	done, seen := j.wait(t, 4)
	if !slices.Equal(done, []string{"a1", "a2", "a3", "a4"}) {
		t.Fatalf("processed %v, want a1 a2 a3 a4", done)
	}
	if seen["a1"] != 1 || seen["a2"] != 2 || seen["a3"] != 1 || seen["a4"] != 1 {
		t.Errorf("deliveries %v: want a1 once (deleted), a2 twice, a3 and a4 once (unprocessed, then retried)", seen)
	}
}

// Issue 18: Lambda deletes every message a FIFO batch's response does not
// name: a function that reports only the failed message has its group's
// later messages deleted, and gets the failed one after them, as on AWS.
func TestSQSMappingOnAFIFOQueueDeletesWhatTheResponseDoesNotName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := fifoQueue(t, ctx, "a1", "a2", "a3")
	var j journal
	var failedOnce sync.Once
	r := functions.NewRegistry("us-east-1", "000000000000", quiet())
	fn, _ := r.Register(functions.Spec{Name: "consumer", Timeout: 5 * time.Second, Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, rec := range ev.Records {
			fail := false
			if rec.Body == "a2" {
				failedOnce.Do(func() { fail = true })
			}
			j.add(rec.Body, !fail)
			if fail {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			}
		}
		return resp, nil
	}})
	m := &functions.SQSMapping{Queue: "q.fifo", Function: fn, BatchSize: 10, MaxConcurrency: 2, ReportBatchItemFailures: true, Log: quiet()}
	go m.Run(ctx, b)

	done, seen := j.wait(t, 3)
	if !slices.Equal(done, []string{"a1", "a3", "a2"}) || seen["a3"] != 1 {
		t.Fatalf("processed %v (deliveries %v): want a1, a3 (deleted though a2 failed before it), then a2 retried", done, seen)
	}
}
