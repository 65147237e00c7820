package eventbus_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

func tagMap(ts []ebtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// Buses and rules take tags (LocalStack's test_events_tags, recorded
// against AWS): TagResource adds, UntagResource removes (a key the
// resource lacks is no error), deleting the resource drops them, and the
// tags outlive a restart.
func TestTagBusesAndRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	b := openBus(t, path, newFake())
	c := client(t, b)
	ctx := context.Background()
	bus, err := c.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("tagged"),
		Tags: []ebtypes.Tag{{Key: aws.String("team"), Value: aws.String("loans")}}})
	if err != nil {
		t.Fatal(err)
	}
	rule, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("tagged"), EventPattern: aws.String(testPattern),
		Tags: []ebtypes.Tag{{Key: aws.String("tag1"), Value: aws.String("value1")}}})
	if err != nil {
		t.Fatal(err)
	}
	defaultBus := "arn:aws:events:us-east-1:000000000000:event-bus/default"
	for _, arn := range []string{aws.ToString(bus.EventBusArn), aws.ToString(rule.RuleArn), defaultBus} {
		if _, err := c.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String(arn), Tags: []ebtypes.Tag{
			{Key: aws.String("tag1"), Value: aws.String("v1")}, {Key: aws.String("tag2"), Value: aws.String("value2")}}}); err != nil {
			t.Fatalf("tag %s: %v", arn, err)
		}
		if _, err := c.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: []string{"tag2", "never-set"}}); err != nil {
			t.Fatalf("untag %s: %v", arn, err)
		}
	}
	list := func(c *eventbridge.Client, arn string) map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
		if err != nil {
			t.Fatalf("list tags of %s: %v", arn, err)
		}
		return tagMap(out.Tags)
	}
	c2 := client(t, openBus(t, path, newFake()))
	if got := list(c2, aws.ToString(bus.EventBusArn)); len(got) != 2 || got["team"] != "loans" || got["tag1"] != "v1" {
		t.Fatalf("bus tags after restart: %v", got)
	}
	if got := list(c2, aws.ToString(rule.RuleArn)); len(got) != 1 || got["tag1"] != "v1" {
		t.Fatalf("rule tags after restart: %v", got)
	}
	if got := list(c2, defaultBus); len(got) != 1 || got["tag1"] != "v1" {
		t.Fatalf("default bus tags: %v", got)
	}

	// A deleted rule or bus loses its tags; listing them is ResourceNotFoundException.
	if _, err := c2.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r"), EventBusName: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	_, err = c2.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: rule.RuleArn})
	wantAPIError(t, "tags of a deleted rule", err, "ResourceNotFoundException", "Rule r does not exist on EventBus tagged.")
	if _, err := c2.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("tagged"), EventPattern: aws.String(testPattern)}); err != nil {
		t.Fatal(err)
	}
	if got := list(c2, aws.ToString(rule.RuleArn)); len(got) != 0 {
		t.Fatalf("a re-made rule has its old tags: %v", got)
	}
	if _, err := c2.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("r"), EventBusName: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	_, err = c2.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: bus.EventBusArn})
	wantAPIError(t, "tags of a deleted bus", err, "ResourceNotFoundException", "Event bus tagged does not exist.")
	if _, err := c2.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("tagged")}); err != nil {
		t.Fatal(err)
	}
	if got := list(c2, aws.ToString(bus.EventBusArn)); len(got) != 0 {
		t.Fatalf("a re-made bus has its old tags: %v", got)
	}

	_, err = c2.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: aws.String("arn:aws:events:us-east-1:000000000000:rule/missing"),
		Tags: []ebtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, "tag a missing rule", err, "ResourceNotFoundException", "Rule missing does not exist on EventBus default.")
	_, err = c2.UntagResource(ctx, &eventbridge.UntagResourceInput{ResourceARN: aws.String("arn:aws:events:us-east-1:000000000000:event-bus/missing"),
		TagKeys: []string{"k"}})
	wantAPIError(t, "untag a missing bus", err, "ResourceNotFoundException", "Event bus missing does not exist.")
}
