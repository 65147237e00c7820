package sqs

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

type systemAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
}

type sendEntry struct {
	ID                      string                      `json:"Id"`
	MessageBody             string                      `json:"MessageBody"`
	DelaySeconds            *int                        `json:"DelaySeconds"`
	MessageAttributes       map[string]MessageAttribute `json:"MessageAttributes"`
	MessageSystemAttributes map[string]systemAttribute  `json:"MessageSystemAttributes"`
	MessageDeduplicationID  *string                     `json:"MessageDeduplicationId"`
	MessageGroupID          *string                     `json:"MessageGroupId"`
}

// message converts and checks an entry against the queue. An id sent
// empty is refused here (the Go API reads an empty id as none).
func (e *sendEntry) message(q *queue) (NewMessage, error) {
	m := NewMessage{Body: e.MessageBody, Attributes: e.MessageAttributes}
	if e.DelaySeconds != nil {
		d := time.Duration(*e.DelaySeconds) * time.Second
		m.Delay = &d
	}
	for name, a := range e.MessageSystemAttributes {
		if name != "AWSTraceHeader" {
			return m, fail(ErrInvalidParameterValue, "Message system attribute name '%s' is invalid.", name)
		}
		m.TraceHeader = a.StringValue
	}
	for _, id := range []struct {
		param string
		v     *string
		dst   *string
	}{{"MessageGroupId", e.MessageGroupID, &m.GroupID}, {"MessageDeduplicationId", e.MessageDeduplicationID, &m.DeduplicationID}} {
		if id.v == nil {
			continue
		}
		if err := checkFIFOID(id.param, *id.v); err != nil {
			return m, err
		}
		*id.dst = *id.v
	}
	return m, validate(q, m)
}

// md5OfSystemAttributes is the MD5OfMessageSystemAttributes of the entry's
// system attributes as sent, empty when there are none.
func (e *sendEntry) md5OfSystemAttributes() string {
	if len(e.MessageSystemAttributes) == 0 {
		return ""
	}
	attrs := make(map[string]MessageAttribute, len(e.MessageSystemAttributes))
	for k, a := range e.MessageSystemAttributes {
		attrs[k] = MessageAttribute{DataType: a.DataType, StringValue: a.StringValue}
	}
	return md5OfAttributes(attrs)
}

type sendMessageInput struct {
	QueueURL string `json:"QueueUrl"`
	sendEntry
}

type sendMessageOutput struct {
	MessageID                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

func sendOutput(s Sent, e *sendEntry) sendMessageOutput {
	return sendMessageOutput{MessageID: s.MessageID, MD5OfMessageBody: s.MD5OfBody, MD5OfMessageAttributes: s.MD5OfAttributes,
		MD5OfMessageSystemAttributes: e.md5OfSystemAttributes(), SequenceNumber: s.SequenceNumber}
}

func (b *Broker) apiSendMessage(ctx context.Context, in *sendMessageInput) (any, error) {
	q, err := b.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	m, err := in.message(q)
	if err != nil {
		return nil, err
	}
	sent, err := b.send(ctx, q, []NewMessage{m})
	if err != nil {
		return nil, err
	}
	return sendOutput(sent[0], &in.sendEntry), nil
}

type sendMessageBatchInput struct {
	QueueURL string      `json:"QueueUrl"`
	Entries  []sendEntry `json:"Entries"`
}

type sendBatchResult struct {
	ID string `json:"Id"`
	sendMessageOutput
}

type sendMessageBatchOutput struct {
	Successful []sendBatchResult `json:"Successful"`
	Failed     []entryFailure    `json:"Failed"`
}

func (b *Broker) apiSendMessageBatch(ctx context.Context, in *sendMessageBatchInput) (any, error) {
	q, err := b.queueFromURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	size := 0
	for i, e := range in.Entries {
		ids[i] = e.ID
		size += len(e.MessageBody)
		for n, a := range e.MessageAttributes {
			size += len(n) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		}
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	if size > q.maxSize {
		return nil, fail(errBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.maxSize, size)
	}
	if q.fifo {
		// A FIFO batch missing a group or deduplication id fails as a
		// whole, as on AWS, not entry by entry.
		for _, e := range in.Entries {
			if e.MessageDeduplicationID == nil && !q.contentDedup {
				return nil, errNoDedupID()
			}
			if e.MessageGroupID == nil {
				return nil, fail(ErrInvalidParameterValue, "The request must contain the parameter MessageGroupId.")
			}
		}
	}
	out := sendMessageBatchOutput{Successful: []sendBatchResult{}, Failed: []entryFailure{}}
	var (
		msgs    []NewMessage
		entries []*sendEntry
		failed  []entryFailure
	)
	for i := range in.Entries {
		e := &in.Entries[i]
		m, err := e.message(q)
		if err != nil {
			failed = append(failed, failure(e.ID, err))
			continue
		}
		msgs, entries = append(msgs, m), append(entries, e)
	}
	sent, err := b.send(ctx, q, msgs)
	if err != nil {
		return nil, err
	}
	for i, s := range sent {
		out.Successful = append(out.Successful, sendBatchResult{ID: entries[i].ID, sendMessageOutput: sendOutput(s, entries[i])})
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

func (b *Broker) queueFromURL(queueURL string) (*queue, error) {
	name, err := b.queueName(queueURL)
	if err != nil {
		return nil, err
	}
	return b.mustQueue(name)
}

type receiveMessageInput struct {
	QueueURL                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptID     string   `json:"ReceiveRequestAttemptId"`
}

type receivedMessage struct {
	MessageID              string                      `json:"MessageId"`
	ReceiptHandle          string                      `json:"ReceiptHandle"`
	MD5OfBody              string                      `json:"MD5OfBody"`
	Body                   string                      `json:"Body"`
	Attributes             map[string]string           `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                      `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]MessageAttribute `json:"MessageAttributes,omitempty"`
}

type receiveMessageOutput struct {
	Messages []receivedMessage `json:"Messages,omitempty"`
}

func (b *Broker) apiReceiveMessage(ctx context.Context, in *receiveMessageInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	var opt ReceiveOptions
	if in.MaxNumberOfMessages != nil {
		if n := *in.MaxNumberOfMessages; n < 1 || n > 10 {
			return nil, invalidParam("MaxNumberOfMessages", n, "Must be between 1 and 10, if provided.")
		}
		opt.MaxMessages = *in.MaxNumberOfMessages
	}
	opt.VisibilityTimeout = seconds(in.VisibilityTimeout)
	opt.WaitTime = seconds(in.WaitTimeSeconds)
	opt.ReceiveRequestAttemptID = in.ReceiveRequestAttemptID
	msgs, err := b.Receive(ctx, name, opt)
	if err != nil {
		return nil, err
	}
	system := append(slices.Clone(in.AttributeNames), in.MessageSystemAttributeNames...)
	out := receiveMessageOutput{}
	for _, m := range msgs {
		r := receivedMessage{MessageID: m.ID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body,
			Attributes: systemAttributes(m, system), MessageAttributes: pickAttributes(m.Attributes, in.MessageAttributeNames)}
		r.MD5OfMessageAttributes = md5OfAttributes(r.MessageAttributes)
		out.Messages = append(out.Messages, r)
	}
	return out, nil
}

func seconds(n *int) *time.Duration {
	if n == nil {
		return nil
	}
	d := time.Duration(*n) * time.Second
	return &d
}

// systemAttributes returns the requested system attributes of m.
func systemAttributes(m Message, names []string) map[string]string {
	if len(names) == 0 {
		return nil
	}
	all := slices.Contains(names, "All")
	out := map[string]string{}
	add := func(k, v string) {
		if v != "" && (all || slices.Contains(names, k)) {
			out[k] = v
		}
	}
	add("SenderId", AccountID)
	add("SentTimestamp", strconv.FormatInt(m.SentAt.UnixMilli(), 10))
	add("ApproximateReceiveCount", strconv.Itoa(m.ReceiveCount))
	if !m.FirstReceivedAt.IsZero() {
		add("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.FirstReceivedAt.UnixMilli(), 10))
	}
	add("AWSTraceHeader", m.TraceHeader)
	add("DeadLetterQueueSourceArn", m.DeadLetterSourceARN)
	add("MessageGroupId", m.GroupID)
	add("MessageDeduplicationId", m.DeduplicationID)
	add("SequenceNumber", m.SequenceNumber)
	if len(out) == 0 {
		return nil
	}
	return out
}

// pickAttributes filters message attributes by MessageAttributeNames: "All",
// ".*", "prefix.*" or exact names.
func pickAttributes(attrs map[string]MessageAttribute, names []string) map[string]MessageAttribute {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]MessageAttribute{}
	for k, v := range attrs {
		for _, n := range names {
			if n == "All" || n == ".*" || n == k || (strings.HasSuffix(n, ".*") && strings.HasPrefix(k, strings.TrimSuffix(n, "*"))) {
				out[k] = v
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type deleteMessageInput struct {
	QueueURL      string `json:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

func (b *Broker) apiDeleteMessage(ctx context.Context, in *deleteMessageInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter ReceiptHandle.")
	}
	return nil, b.Delete(ctx, name, in.ReceiptHandle)
}

type batchEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

type batchInput struct {
	QueueURL string       `json:"QueueUrl"`
	Entries  []batchEntry `json:"Entries"`
}

type batchSuccess struct {
	ID string `json:"Id"`
}

type batchOutput struct {
	Successful []batchSuccess `json:"Successful"`
	Failed     []entryFailure `json:"Failed"`
}

func (in *batchInput) check() (string, error) {
	if in.QueueURL == "" {
		return "", fail(ErrMissingParameter, "The request must contain the parameter QueueUrl.")
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.ID
	}
	return NameFromURL(in.QueueURL), checkBatch(ids)
}

func (in *batchInput) output(errs []error) batchOutput {
	out := batchOutput{Successful: []batchSuccess{}, Failed: []entryFailure{}}
	for i, err := range errs {
		if err != nil {
			out.Failed = append(out.Failed, failure(in.Entries[i].ID, err))
		} else {
			out.Successful = append(out.Successful, batchSuccess{ID: in.Entries[i].ID})
		}
	}
	return out
}

func (b *Broker) apiDeleteMessageBatch(ctx context.Context, in *batchInput) (any, error) {
	name, err := in.check()
	if err != nil {
		return nil, err
	}
	handles := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		handles[i] = e.ReceiptHandle
	}
	errs, err := b.DeleteBatch(ctx, name, handles)
	if err != nil {
		return nil, err
	}
	return in.output(errs), nil
}

type changeVisibilityInput struct {
	QueueURL          string `json:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

func (b *Broker) apiChangeMessageVisibility(ctx context.Context, in *changeVisibilityInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter ReceiptHandle.")
	}
	if in.VisibilityTimeout == nil {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter VisibilityTimeout.")
	}
	return nil, b.ChangeVisibility(ctx, name, in.ReceiptHandle, time.Duration(*in.VisibilityTimeout)*time.Second)
}

func (b *Broker) apiChangeMessageVisibilityBatch(ctx context.Context, in *batchInput) (any, error) {
	name, err := in.check()
	if err != nil {
		return nil, err
	}
	changes := make([]VisibilityChange, len(in.Entries))
	for i, e := range in.Entries {
		changes[i].ReceiptHandle = e.ReceiptHandle
		if e.VisibilityTimeout != nil {
			changes[i].Timeout = time.Duration(*e.VisibilityTimeout) * time.Second
		}
	}
	errs, err := b.ChangeVisibilityBatch(ctx, name, changes)
	if err != nil {
		return nil, err
	}
	return in.output(errs), nil
}
