// Package redrive puts the callback events that ran out of delivery attempts
// back on the bus: it reads the resolver rule's dead-letter queue (each
// message is the event EventBridge could not deliver, as JSON), publishes
// each event again with its source, detail-type, time and detail unchanged,
// and deletes the message once the bus has taken it. The resolver judges a
// callback's freshness at the time the webhook received it and claims a
// record per received callback, so a redriven callback resumes its loan
// once (also a record an interrupted resolve left CLAIMED), and redriving it
// again resumes nothing. It works against AWS and against the local stack.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Queue is the part of *sqs.Client Run uses.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Bus is the part of *eventbridge.Client Run uses.
type Bus interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Options say where from and where to.
type Options struct {
	QueueURL string
	BusName  string
	// Max bounds the messages redriven in one run (0: all).
	Max int
}

// Result counts what a run did.
type Result struct {
	Redriven int
	// Skipped messages are not events; they stay in the queue.
	Skipped int
	// Failed messages the bus refused; they stay in the queue.
	Failed int
}

type event struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       time.Time       `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Run redrives until the queue has nothing visible left (or Max).
// A message it cannot redrive is left in the queue, invisible until its
// visibility timeout ends, so one run sees it once.
func Run(ctx context.Context, q Queue, bus Bus, o Options) (Result, error) {
	var r Result
	if o.QueueURL == "" || o.BusName == "" {
		return r, errors.New("redrive: the queue URL and the bus name are required")
	}
	for o.Max == 0 || r.Redriven+r.Skipped+r.Failed < o.Max {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &o.QueueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60,
		})
		if err != nil {
			return r, fmt.Errorf("receive from %s: %w", o.QueueURL, err)
		}
		if len(out.Messages) == 0 {
			return r, nil
		}
		for _, m := range out.Messages {
			var ev event
			if m.Body == nil || json.Unmarshal([]byte(*m.Body), &ev) != nil || ev.Source == "" || ev.DetailType == "" || len(ev.Detail) == 0 {
				r.Skipped++
				continue
			}
			entry := ebtypes.PutEventsRequestEntry{
				Source: &ev.Source, DetailType: &ev.DetailType, Detail: aws.String(string(ev.Detail)),
				EventBusName: &o.BusName, Resources: ev.Resources,
			}
			if !ev.Time.IsZero() {
				entry.Time = &ev.Time
			}
			put, err := bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
			if err != nil {
				return r, fmt.Errorf("put event %s: %w", ev.ID, err)
			}
			if put.FailedEntryCount > 0 {
				r.Failed++
				continue
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &o.QueueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return r, fmt.Errorf("delete redriven message of event %s: %w", ev.ID, err)
			}
			r.Redriven++
		}
	}
	return r, nil
}
