package sns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func TestSDKTopicLifecycle(t *testing.T) {
	st := newStack(t, Options{})
	c, ctx := st.client, context.Background()

	out, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("loan-decisions"),
		Attributes: map[string]string{"DisplayName": "Loans", "KmsMasterKeyId": "alias/aws/sns"},
		Tags:       []types.Tag{{Key: aws.String("team"), Value: aws.String("credit")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TopicArn)
	if arn != "arn:aws:sns:us-east-1:000000000000:loan-decisions" {
		t.Fatalf("TopicArn = %s", arn)
	}
	again, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("loan-decisions")})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Fatalf("CreateTopic again = %v, %v; want the same ARN", again, err)
	}
	_, err = c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("loan-decisions"), Attributes: map[string]string{"DisplayName": "Other"}})
	if apiCode(err) != "InvalidParameter" {
		t.Errorf("CreateTopic with other attributes: %v, want InvalidParameter", err)
	}

	attrs, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"TopicArn": arn, "Owner": "000000000000", "DisplayName": "Loans",
		"KmsMasterKeyId": "alias/aws/sns", "SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,` +
			`"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},` +
			`"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
	} {
		if attrs.Attributes[k] != want {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], want)
		}
	}
	var policy struct {
		Statement []struct {
			Effect, Resource string
			Action           []string
		}
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["Policy"]), &policy); err != nil || len(policy.Statement) != 1 ||
		policy.Statement[0].Resource != arn || len(policy.Statement[0].Action) != 8 {
		t.Errorf("default Policy = %s (%v)", attrs.Attributes["Policy"], err)
	}

	custom := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `"}]}`
	for name, value := range map[string]string{"Policy": custom, "DisplayName": "Loan decisions", "SignatureVersion": "2",
		"DeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":1,"maxDelayTarget":10,"backoffFunction":"exponential"}}}`} {
		if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn),
			AttributeName: aws.String(name), AttributeValue: aws.String(value)}); err != nil {
			t.Fatalf("SetTopicAttributes %s: %v", name, err)
		}
	}
	attrs, _ = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["Policy"] != custom || attrs.Attributes["SignatureVersion"] != "2" || attrs.Attributes["DisplayName"] != "Loan decisions" {
		t.Errorf("attributes after set = %v", attrs.Attributes)
	}
	var eff topicDeliveryPolicy
	if err := json.Unmarshal([]byte(attrs.Attributes["EffectiveDeliveryPolicy"]), &eff); err != nil ||
		eff.HTTP.DefaultHealthyRetryPolicy.NumRetries != 5 || eff.HTTP.DefaultHealthyRetryPolicy.MinDelayTarget != 1 {
		t.Errorf("EffectiveDeliveryPolicy = %s", attrs.Attributes["EffectiveDeliveryPolicy"])
	}
	for _, bad := range []struct{ name, value string }{
		{"Policy", "not json"}, {"SignatureVersion", "3"}, {"DeliveryPolicy", `{"http":{"defaultHealthyRetryPolicy":{"numRetries":500}}}`},
		{"DeliveryPolicy", `{"http":{"bogus":1}}`}, {"NoSuchAttribute", "x"}, {"FifoTopic", "true"}, {"ContentBasedDeduplication", "true"},
	} {
		_, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn),
			AttributeName: aws.String(bad.name), AttributeValue: aws.String(bad.value)})
		if apiCode(err) != "InvalidParameter" {
			t.Errorf("SetTopicAttributes %s=%q: %v, want InvalidParameter", bad.name, bad.value, err)
		}
	}

	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("local")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("ListTagsForResource = %+v, %v", tags, err)
	}

	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Errorf("DeleteTopic of a deleted topic: %v, want success (it is idempotent)", err)
	}
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if apiCode(err) != "NotFound" || apiMessage(err) != "Topic does not exist" {
		t.Errorf("GetTopicAttributes of a deleted topic: %v", err)
	}
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("the SDK did not type the error as NotFoundException: %T", err)
	}
}

func TestSDKListTopicsPages(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 105 {
		arn, err := st.svc.CreateTopic(ctx, fmt.Sprintf("topic-%03d", i), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[arn] = true
	}
	p := awssns.NewListTopicsPaginator(st.client, &awssns.ListTopicsInput{})
	pages, got := 0, map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range out.Topics {
			got[aws.ToString(tp.TopicArn)] = true
		}
	}
	if pages != 2 || len(got) != len(want) {
		t.Errorf("%d pages, %d topics; want 2 pages, %d topics", pages, len(got), len(want))
	}
	_, err := st.client.ListTopics(ctx, &awssns.ListTopicsInput{NextToken: aws.String("!!not a token")})
	if apiCode(err) != "InvalidParameter" {
		t.Errorf("ListTopics with a bad token: %v", err)
	}
}
