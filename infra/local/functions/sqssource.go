package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"loanflow/infra/local/sqs"
)

// Queue is what an SQS event source mapping needs of the local queues.
type Queue interface {
	Receive(ctx context.Context, name string, opt sqs.ReceiveOptions) ([]sqs.Message, error)
	DeleteBatch(ctx context.Context, name string, handles []string) ([]error, error)
	QueueARN(name string) string
}

// SQSMapping is an SQS event source mapping: it polls a queue in batches and
// invokes a function, honouring ReportBatchItemFailures.
//
// On a FIFO queue it keeps Lambda's order: the queue hands out a message
// group's messages in order and none of a group while one of its messages
// is in flight, so a batch that fails (its messages stay hidden until the
// visibility timeout) holds back its groups' later messages until it has
// been retried, while other groups go on. As Lambda does: "If your function
// returns an error, the function attempts all retries on the affected
// messages before Lambda receives additional messages from the same group"
// (Lambda developer guide, "Using Lambda with Amazon SQS", FIFO queues). A
// batch may hold several groups, each in order.
//
// With ReportBatchItemFailures, Lambda deletes every message of the batch
// that the response does not name, on a FIFO queue too; keeping a group's
// order is the function's part: "If you're using this feature with a FIFO
// queue, your function should stop processing messages after the first
// failure and return all failed and unprocessed messages in
// batchItemFailures" (Lambda developer guide, "Handling errors for an SQS
// event source in Lambda", partial batch responses). A function that names
// only the failed message has the later ones of its group deleted, as on
// AWS (LocalStack's SQS poller notes the same of AWS).
type SQSMapping struct {
	Queue    string
	Function *Function
	// BatchSize is 1-10.
	BatchSize int
	// MaxBatchingWindow is how long a poller keeps receiving to fill a
	// batch before it invokes the function (0: it invokes with what the
	// first receive returned).
	MaxBatchingWindow time.Duration
	// MaxConcurrency caps the concurrent invocations (default 2).
	MaxConcurrency int
	// ReportBatchItemFailures: when true a response's BatchItemFailures are
	// retried and the rest deleted; otherwise any error retries the batch.
	ReportBatchItemFailures bool
	Region                  string
	Log                     *slog.Logger
}

// Run polls until ctx ends. As Lambda's pollers do, a few pollers receive
// batches and hand each to an invocation of its own, up to MaxConcurrency at
// once; a poller receives only when an invocation slot is free, so it never
// holds messages it cannot start on. (One poller per invocation would have
// every idle poller wake, and run a receive, on every send.)
func (m *SQSMapping) Run(ctx context.Context, q Queue) {
	if m.BatchSize <= 0 || m.BatchSize > 10 {
		m.BatchSize = 10
	}
	if m.MaxConcurrency <= 0 {
		m.MaxConcurrency = 2
	}
	if m.Log == nil {
		m.Log = slog.Default()
	}
	slots := make(chan struct{}, m.MaxConcurrency)
	// With a batching window one poller at a time receives and fills its
	// batch, so that the messages of one window are not split between
	// pollers.
	var filling sync.Mutex
	var wg sync.WaitGroup
	for range min(m.MaxConcurrency, 2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.poll(ctx, q, slots, &filling, &wg)
		}()
	}
	wg.Wait()
}

func (m *SQSMapping) poll(ctx context.Context, q Queue, slots chan struct{}, filling *sync.Mutex, wg *sync.WaitGroup) {
	wait := 20 * time.Second
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if m.MaxBatchingWindow > 0 {
			filling.Lock()
		}
		msgs, err := q.Receive(ctx, m.Queue, sqs.ReceiveOptions{MaxMessages: m.BatchSize, WaitTime: &wait})
		if err == nil && len(msgs) > 0 && m.MaxBatchingWindow > 0 && len(msgs) < m.BatchSize {
			msgs = m.fill(ctx, q, msgs)
		}
		if m.MaxBatchingWindow > 0 {
			filling.Unlock()
		}
		if err != nil || len(msgs) == 0 {
			<-slots
			if err != nil && ctx.Err() == nil {
				m.Log.ErrorContext(ctx, "event source mapping: receive", "queue", m.Queue, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := m.handle(ctx, q, msgs); err != nil && ctx.Err() == nil {
				m.Log.WarnContext(ctx, "event source mapping: batch failed; messages return after their visibility timeout",
					"queue", m.Queue, "function", m.Function.Name, "messages", len(msgs), "err", err)
			}
		}()
	}
}

// fill receives more messages into a batch until it is full or the
// batching window, counted from now, has passed.
func (m *SQSMapping) fill(ctx context.Context, q Queue, msgs []sqs.Message) []sqs.Message {
	deadline := time.Now().Add(m.MaxBatchingWindow)
	for len(msgs) < m.BatchSize && ctx.Err() == nil {
		wait := min(time.Until(deadline), 20*time.Second)
		if wait <= 0 {
			break
		}
		more, err := q.Receive(ctx, m.Queue, sqs.ReceiveOptions{MaxMessages: m.BatchSize - len(msgs), WaitTime: &wait})
		if err != nil {
			break
		}
		msgs = append(msgs, more...)
	}
	return msgs
}

// handle invokes the function with one batch and deletes what succeeded.
func (m *SQSMapping) handle(ctx context.Context, q Queue, msgs []sqs.Message) error {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	arn := q.QueueARN(m.Queue)
	for i, msg := range msgs {
		ev.Records[i] = Record(msg, arn, m.Region)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode SQS event: %w", err)
	}
	out, err := m.Function.Invoke(ctx, payload)
	if err != nil {
		return err // the whole batch becomes visible again
	}
	failed := map[string]bool{}
	if m.ReportBatchItemFailures && len(out) > 0 && string(out) != "null" {
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return fmt.Errorf("function response is not an SQSEventResponse: %w", err)
		}
		known := map[string]bool{}
		for _, msg := range msgs {
			known[msg.ID] = true
		}
		for _, f := range resp.BatchItemFailures {
			if !known[f.ItemIdentifier] {
				// Lambda treats an unknown or empty identifier as a failure of the whole batch.
				return errors.New("BatchItemFailures names an unknown itemIdentifier: the whole batch fails")
			}
			failed[f.ItemIdentifier] = true
		}
	}
	var handles []string
	for _, msg := range msgs {
		if !failed[msg.ID] {
			handles = append(handles, msg.ReceiptHandle)
		}
	}
	if len(handles) == 0 {
		return nil
	}
	errs, err := q.DeleteBatch(ctx, m.Queue, handles)
	if err != nil {
		return fmt.Errorf("delete processed messages: %w", err)
	}
	for _, e := range errs {
		if e != nil {
			m.Log.WarnContext(ctx, "event source mapping: delete", "queue", m.Queue, "err", e)
		}
	}
	return nil
}

// Record converts a queue message to the SQS event record Lambda delivers.
func Record(msg sqs.Message, queueARN, region string) events.SQSMessage {
	attrs := map[string]string{
		"ApproximateReceiveCount": strconv.Itoa(msg.ReceiveCount),
		"SentTimestamp":           strconv.FormatInt(msg.SentAt.UnixMilli(), 10),
		"SenderId":                "000000000000",
	}
	if !msg.FirstReceivedAt.IsZero() {
		attrs["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(msg.FirstReceivedAt.UnixMilli(), 10)
	}
	if msg.TraceHeader != "" {
		attrs["AWSTraceHeader"] = msg.TraceHeader
	}
	// A FIFO message's record carries its group, deduplication id and
	// sequence number (Lambda developer guide, "Using Lambda with Amazon
	// SQS", the example event of a FIFO queue).
	for name, v := range map[string]string{"MessageGroupId": msg.GroupID, "MessageDeduplicationId": msg.DeduplicationID, "SequenceNumber": msg.SequenceNumber} {
		if v != "" {
			attrs[name] = v
		}
	}
	mas := map[string]events.SQSMessageAttribute{}
	for k, v := range msg.Attributes {
		a := events.SQSMessageAttribute{DataType: v.DataType}
		if v.StringValue != "" {
			s := v.StringValue
			a.StringValue = &s
		}
		if len(v.BinaryValue) > 0 {
			a.BinaryValue = v.BinaryValue
		}
		mas[k] = a
	}
	return events.SQSMessage{
		MessageId: msg.ID, ReceiptHandle: msg.ReceiptHandle, Body: msg.Body, Md5OfBody: msg.MD5OfBody,
		Md5OfMessageAttributes: msg.MD5OfAttributes, Attributes: attrs, MessageAttributes: mas,
		EventSourceARN: queueARN, EventSource: "aws:sqs", AWSRegion: region,
	}
}
