package sqs

import (
	"context"
	"sort"
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
	u, err := b.createQueue(ctx, in.QueueName, in.Attributes, in.Tags)
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
	SourceARN                    string `json:"SourceArn"`
	DestinationARN               string `json:"DestinationArn"`
	MaxNumberOfMessagesPerSecond *int   `json:"MaxNumberOfMessagesPerSecond"`
}

type startMessageMoveTaskOutput struct {
	TaskHandle string `json:"TaskHandle"`
}

// apiStartMessageMoveTask starts a move task (see StartMoveTask).
func (b *Broker) apiStartMessageMoveTask(ctx context.Context, in *startMessageMoveTaskInput) (any, error) {
	rate := 0
	if in.MaxNumberOfMessagesPerSecond != nil {
		rate = *in.MaxNumberOfMessagesPerSecond
		if rate < 1 || rate > maxMovePerSecond {
			return nil, invalidParam("MaxNumberOfMessagesPerSecond", rate, "must be an integer from 1 to 500.")
		}
	}
	h, err := b.StartMoveTask(ctx, in.SourceARN, in.DestinationARN, rate)
	if err != nil {
		return nil, err
	}
	return startMessageMoveTaskOutput{TaskHandle: h}, nil
}

type listMessageMoveTasksInput struct {
	SourceARN  string `json:"SourceArn"`
	MaxResults *int   `json:"MaxResults"`
}

type moveTaskEntry struct {
	TaskHandle                        string `json:"TaskHandle,omitempty"`
	Status                            string `json:"Status"`
	SourceARN                         string `json:"SourceArn"`
	DestinationARN                    string `json:"DestinationArn,omitempty"`
	MaxNumberOfMessagesPerSecond      *int   `json:"MaxNumberOfMessagesPerSecond,omitempty"`
	ApproximateNumberOfMessagesMoved  int64  `json:"ApproximateNumberOfMessagesMoved"`
	ApproximateNumberOfMessagesToMove int64  `json:"ApproximateNumberOfMessagesToMove"`
	FailureReason                     string `json:"FailureReason,omitempty"`
	StartedTimestamp                  int64  `json:"StartedTimestamp"`
}

type listMessageMoveTasksOutput struct {
	Results []moveTaskEntry `json:"Results"`
}

func (b *Broker) apiListMessageMoveTasks(ctx context.Context, in *listMessageMoveTasksInput) (any, error) {
	limit := 0
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > maxMoveTasks {
			return nil, invalidParam("MaxResults", limit, "You must enter a number that's between 1 and 10.")
		}
	}
	tasks, err := b.ListMoveTasks(ctx, in.SourceARN, limit)
	if err != nil {
		return nil, err
	}
	out := listMessageMoveTasksOutput{Results: []moveTaskEntry{}}
	for _, t := range tasks {
		e := moveTaskEntry{TaskHandle: t.Handle, Status: t.Status, SourceARN: t.SourceARN, DestinationARN: t.DestinationARN,
			ApproximateNumberOfMessagesMoved: t.Moved, ApproximateNumberOfMessagesToMove: t.ToMove,
			FailureReason: t.FailureReason, StartedTimestamp: t.StartedAt.UnixMilli()}
		if t.MaxPerSecond > 0 {
			rate := t.MaxPerSecond
			e.MaxNumberOfMessagesPerSecond = &rate
		}
		out.Results = append(out.Results, e)
	}
	return out, nil
}

type cancelMessageMoveTaskInput struct {
	TaskHandle string `json:"TaskHandle"`
}

type cancelMessageMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64 `json:"ApproximateNumberOfMessagesMoved"`
}

func (b *Broker) apiCancelMessageMoveTask(ctx context.Context, in *cancelMessageMoveTaskInput) (any, error) {
	moved, err := b.CancelMoveTask(ctx, in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return cancelMessageMoveTaskOutput{ApproximateNumberOfMessagesMoved: moved}, nil
}

type tagQueueInput struct {
	QueueURL string            `json:"QueueUrl"`
	Tags     map[string]string `json:"Tags"`
}

func (b *Broker) apiTagQueue(ctx context.Context, in *tagQueueInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, b.TagQueue(ctx, name, in.Tags)
}

type untagQueueInput struct {
	QueueURL string   `json:"QueueUrl"`
	TagKeys  []string `json:"TagKeys"`
}

func (b *Broker) apiUntagQueue(ctx context.Context, in *untagQueueInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	return nil, b.UntagQueue(ctx, name, in.TagKeys)
}

type listQueueTagsOutput struct {
	Tags map[string]string `json:"Tags,omitempty"`
}

func (b *Broker) apiListQueueTags(_ context.Context, in *queueURLInput) (any, error) {
	name, err := b.queueName(in.QueueURL)
	if err != nil {
		return nil, err
	}
	tags, err := b.Tags(name)
	if err != nil {
		return nil, err
	}
	return listQueueTagsOutput{Tags: tags}, nil
}
