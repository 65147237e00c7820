package sqs

import (
	"context"
	"sort"
	"time"
)

type createQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueURL string `json:"QueueUrl"`
}

func (b *Broker) apiCreateQueue(ctx context.Context, in *createQueueInput) (any, error) {
	if in.QueueName == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter QueueName.")
	}
	u, err := b.CreateQueue(ctx, in.QueueName, in.Attributes)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueURL: u}, nil
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
}

func (b *Broker) apiGetQueueURL(_ context.Context, in *getQueueURLInput) (any, error) {
	if in.QueueName == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter QueueName.")
	}
	u, err := b.GetQueueURL(in.QueueName)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueURL: u}, nil
}

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix"`
	NextToken       string `json:"NextToken"`
	MaxResults      *int   `json:"MaxResults"`
}

type listQueuesOutput struct {
	QueueURLs []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (b *Broker) apiListQueues(_ context.Context, in *listQueuesInput) (any, error) {
	urls, next, err := b.page(b.ListQueues(in.QueueNamePrefix), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return listQueuesOutput{QueueURLs: urls, NextToken: next}, nil
}

// page turns sorted queue names into one page of URLs and the next token.
func (b *Broker) page(names []string, token string, maxResults *int) ([]string, string, error) {
	limit := 1000
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 1000 {
			return nil, "", invalidParam("MaxResults", *maxResults, "MaxResults must be an integer between 1 and 1000.")
		}
		limit = *maxResults
	}
	if token != "" {
		after, err := decodeToken(token)
		if err != nil {
			return nil, "", err
		}
		names = names[sort.SearchStrings(names, after+"\x00"):]
	}
	next := ""
	if len(names) > limit {
		names = names[:limit]
		if maxResults != nil {
			next = encodeToken(names[limit-1])
		}
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = b.QueueURL(n)
	}
	return urls, next, nil
}

type queueURLInput struct {
	QueueURL string `json:"QueueUrl"`
}

func (b *Broker) apiDeleteQueue(ctx context.Context, in *queueURLInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, b.DeleteQueue(ctx, name)
}

func (b *Broker) apiPurgeQueue(ctx context.Context, in *queueURLInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, b.Purge(ctx, name)
}

type getQueueAttributesInput struct {
	QueueURL       string   `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames"`
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

func (b *Broker) apiGetQueueAttributes(ctx context.Context, in *getQueueAttributesInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	attrs, err := b.Attributes(ctx, name, in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return attributesOutput{Attributes: attrs}, nil
}

type setQueueAttributesInput struct {
	QueueURL   string            `json:"QueueUrl"`
	Attributes map[string]string `json:"Attributes"`
}

func (b *Broker) apiSetQueueAttributes(ctx context.Context, in *setQueueAttributesInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.Attributes == nil {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter Attributes.")
	}
	return nil, b.SetAttributes(ctx, name, in.Attributes)
}

type listDeadLetterSourceQueuesInput struct {
	QueueURL   string `json:"QueueUrl"`
	NextToken  string `json:"NextToken"`
	MaxResults *int   `json:"MaxResults"`
}

type listDeadLetterSourceQueuesOutput struct {
	QueueURLs []string `json:"queueUrls"`
	NextToken string   `json:"NextToken,omitempty"`
}

func (b *Broker) apiListDeadLetterSourceQueues(_ context.Context, in *listDeadLetterSourceQueuesInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if _, err := b.mustQueue(name); err != nil {
		return nil, err
	}
	urls, next, err := b.page(b.DeadLetterSourceQueues(name), in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if urls == nil {
		urls = []string{}
	}
	return listDeadLetterSourceQueuesOutput{QueueURLs: urls, NextToken: next}, nil
}

type startMessageMoveTaskInput struct {
	SourceArn      string `json:"SourceArn"`
	DestinationArn string `json:"DestinationArn"`
}

type startMessageMoveTaskOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

// apiStartMessageMoveTask redrives a dead-letter queue at once; the task is
// complete when the call returns. Its errors are AWS's: ResourceNotFound for
// a queue that does not exist, InvalidParameterValue for a source that is
// not a dead-letter queue.
func (b *Broker) apiStartMessageMoveTask(ctx context.Context, in *startMessageMoveTaskInput) (any, error) {
	if in.SourceArn == "" {
		return nil, fail(ErrMissingParameter, "The request must contain the parameter SourceArn.")
	}
	dlq, ok := b.nameFromARN(in.SourceArn)
	if !ok {
		return nil, invalidParam("SourceArn", in.SourceArn, "Not a queue ARN of this local stack.")
	}
	if _, ok := b.lookup(dlq); !ok {
		return nil, fail(ErrResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if len(b.DeadLetterSourceQueues(dlq)) == 0 {
		return nil, ErrNotDeadLetterQueue
	}
	dest := ""
	if in.DestinationArn != "" {
		if dest, ok = b.nameFromARN(in.DestinationArn); !ok {
			return nil, invalidParam("DestinationArn", in.DestinationArn, "Not a queue ARN of this local stack.")
		}
		if _, ok := b.lookup(dest); !ok {
			return nil, fail(ErrResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
	}
	if _, err := b.Redrive(ctx, dlq, dest); err != nil {
		return nil, err
	}
	return startMessageMoveTaskOutput{TaskHandle: encodeToken(in.SourceArn + "|" + b.clock.Now().Format(time.RFC3339Nano))}, nil
}
