package sns

import (
	"context"
	"errors"
	"testing"
)

func TestCheckPublisher(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	arn := st.createTopic("decisions")
	rule := "arn:aws:events:us-east-1:000000000000:rule/loanflow/referred"
	check := func() error { return st.svc.CheckPublisher(arn, "events.amazonaws.com", rule) }

	if err := check(); !errors.Is(err, ErrAuthorization) {
		t.Errorf("the default policy lets EventBridge publish: %v", err)
	}
	for _, c := range []struct {
		name, policy string
		allowed      bool
	}{
		{"service grant", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `"}]}`, true},
		{"service list, wildcard action", `{"Statement":{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","events.amazonaws.com"]},"Action":["SNS:Pub*"],"Resource":"arn:aws:sns:*:000000000000:*"}}`, true},
		{"source arn matches", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `","Condition":{"ArnEquals":{"aws:SourceArn":"` + rule + `"}}}]}`, true},
		{"source arn differs", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:events:*:*:rule/other/*"}}}]}`, false},
		{"other service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `"}]}`, false},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Subscribe","Resource":"` + arn + `"}]}`, false},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"},{"Effect":"Deny","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + arn + `"}]}`, false},
		{"unknown condition key", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"000000000000"}}}]}`, false},
	} {
		if err := st.svc.SetTopicAttribute(ctx, arn, "Policy", c.policy); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := check(); (err == nil) != c.allowed {
			t.Errorf("%s: CheckPublisher = %v, want allowed %v", c.name, err, c.allowed)
		}
	}
	if err := st.svc.CheckPublisher(arn+"-missing", "events.amazonaws.com", rule); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing topic: %v", err)
	}
}
