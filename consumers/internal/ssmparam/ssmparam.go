// Package ssmparam reads an SSM parameter and caches its value.
package ssmparam

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Getter is the part of *ssm.Client that Cached needs.
type Getter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Cached is one parameter's value, read again after TTL. A failed re-read
// keeps serving the value read before.
type Cached struct {
	Getter Getter
	Name   string
	TTL    time.Duration

	mu     sync.Mutex
	value  string
	readAt time.Time
}

// Value returns the parameter's value.
func (c *Cached) Value(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.value != "" && time.Since(c.readAt) < c.TTL {
		return c.value, nil
	}
	out, err := c.Getter.GetParameter(ctx, &ssm.GetParameterInput{Name: &c.Name})
	if err != nil || out.Parameter == nil || out.Parameter.Value == nil || *out.Parameter.Value == "" {
		if c.value != "" {
			return c.value, nil
		}
		if err == nil {
			err = fmt.Errorf("parameter is empty")
		}
		return "", fmt.Errorf("get parameter %s: %w", c.Name, err)
	}
	c.value, c.readAt = *out.Parameter.Value, time.Now()
	return c.value, nil
}

// CallbackPrefix makes Cached a mockvaluation.PrefixSource.
func (c *Cached) CallbackPrefix(ctx context.Context) (string, error) { return c.Value(ctx) }
