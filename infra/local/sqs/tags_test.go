package sqs

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TagQueue, UntagQueue and ListQueueTags, and tags on CreateQueue, within
// AWS's tag quotas; tags survive a restart.
func TestSDKQueueTags(t *testing.T) {
	b := newTestBroker(t, newFakeClock())
	c := newSDKClient(t, b)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"team": "loans", "env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	list := func() map[string]string {
		t.Helper()
		out, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q.QueueUrl})
		if err != nil {
			t.Fatal(err)
		}
		return out.Tags
	}
	if got := list(); !maps.Equal(got, map[string]string{"team": "loans", "env": "dev"}) {
		t.Fatalf("tags on create = %v", got)
	}
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q.QueueUrl, Tags: map[string]string{"env": "prod", "Env": "Case", "empty": "", "cost-centre": "a/b:c=d+e@f g_h.i"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !maps.Equal(got, map[string]string{"team": "loans", "env": "prod", "Env": "Case", "empty": "", "cost-centre": "a/b:c=d+e@f g_h.i"}) {
		t.Fatalf("after TagQueue = %v", got)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q.QueueUrl, TagKeys: []string{"env", "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 4 || got["env"] != "" || got["Env"] != "Case" {
		t.Fatalf("after UntagQueue = %v", got)
	}
	b2, err := New(ctx, b.db, Options{Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Tags("tagged"); err != nil || len(got) != 4 || got["team"] != "loans" {
		t.Fatalf("tags after a restart = %v, %v", got, err)
	}

	tag := func(tags map[string]string) error {
		_, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q.QueueUrl, Tags: tags})
		return err
	}
	many := map[string]string{}
	for i := range 47 {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	wantAPIError(t, "51 tags", tag(many), "InvalidParameterValue", "Too many tags added for queue tagged.")
	delete(many, "k00")
	if err := tag(many); err != nil {
		t.Errorf("50 tags: %v", err)
	}
	wantAPIError(t, "key too long", tag(map[string]string{strings.Repeat("k", 129): "v"}), "InvalidParameterValue", "Tag keys must be between 1 and 128 characters in length.")
	wantAPIError(t, "value too long", tag(map[string]string{"team": strings.Repeat("v", 257)}), "InvalidParameterValue", "Tag values must be between 0 and 256 characters in length")
	wantAPIError(t, "aws: prefix", tag(map[string]string{"aws:cloudformation:stack-name": "x"}), "InvalidParameterValue", "Tag keys and values must not begin with the reserved prefix aws:")
	wantAPIError(t, "bad character", tag(map[string]string{"team": "a;b"}), "InvalidParameterValue", "Tag team is invalid")
	if got := list(); len(got) != 50 || got["team"] != "loans" {
		t.Errorf("refused TagQueue calls changed the tags: %d tags, team=%q", len(got), got["team"])
	}
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad-tags"), Tags: map[string]string{"": "v"}})
	wantAPIError(t, "create with an empty key", err, "InvalidParameterValue", "Tag keys must be between 1 and 128 characters in length.")
	if _, err := b.GetQueueURL("bad-tags"); err == nil {
		t.Error("a create with bad tags made the queue")
	}
	_, err = c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(b.QueueURL("missing"))})
	if apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("tags of a missing queue: %v", err)
	}
}
