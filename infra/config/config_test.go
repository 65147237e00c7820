package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	for name, c := range map[string]Config{"default": Default(), "local": Local()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateNamesFieldAndRule(t *testing.T) {
	cases := []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Queue.BatchSize = 11 }, "Queue.BatchSize: must be between 1 and 10"},
		{func(c *Config) { c.Queue.MaxReceiveCount = 0 }, "Queue.MaxReceiveCount: must be between 1 and 1000"},
		{func(c *Config) { c.CallbackTimeout = 1500 * time.Millisecond }, "CallbackTimeout: must be whole seconds"},
		{func(c *Config) { c.ValuationService.URL = "not a url" }, "ValuationService.URL: must be an absolute http(s) URL"},
		{func(c *Config) { c.Functions.LogRetentionDays = 2 }, "Functions.LogRetentionDays"},
		{func(c *Config) { c.Queue.ConsumerTimeout = 3 * time.Hour }, "six times it"},
		{func(c *Config) {
			c.ValuationService.Attempts = 10
			c.ValuationService.RequestTimeout = 10 * time.Second
		}, "must fit in Queue.ConsumerTimeout"},
		{func(c *Config) { c.Functions.LogLevel = "TRACE" }, "Functions.LogLevel"},
		{func(c *Config) { c.Mock.CallbackAttempts = 0 }, "Mock.CallbackAttempts: must be between 1 and 10"},
		{func(c *Config) { c.Mock.CallbackTimeout = 0 }, "Mock.CallbackTimeout: must be > 0"},
	}
	for _, tc := range cases {
		c := Default()
		tc.mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
}

func TestVisibilityTimeoutIsSixTimesConsumerTimeout(t *testing.T) {
	q := Default().Queue
	if q.VisibilityTimeout() != 6*q.ConsumerTimeout {
		t.Fatalf("got %v", q.VisibilityTimeout())
	}
}

func TestSubstitutions(t *testing.T) {
	c := Default()
	s := c.LoanProcessorSubstitutions("https://sqs.example/q", "bus")
	if s[PlaceholderCallbackTimeout] != "86400" || s[PlaceholderQueueURL] != "https://sqs.example/q" || s[PlaceholderEventBusName] != "bus" {
		t.Fatalf("got %v", s)
	}
	if v := c.ValuationServiceSubstitutions("arn:x")[PlaceholderCallbackSenderARN]; v != "arn:x" {
		t.Fatalf("got %q", v)
	}
}
