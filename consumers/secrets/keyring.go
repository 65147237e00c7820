package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// Staging labels Secrets Manager gives a secret's versions.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// MinRefresh is the least time between two reads asked for by Keys(ctx,
// true): a flood of forged callbacks cannot turn into a flood of Secrets
// Manager calls. A fresh read asked for sooner waits for it, so a callback
// signed with a key newer than the cache is always checked against it.
const MinRefresh = time.Second

// Keyring is a secret's current and previous values, read from Secrets
// Manager and cached for TTL, so that a rotation reaches a running function
// within TTL and a callback signed with the key it replaced still verifies.
type Keyring struct {
	Getter Getter
	ID     string
	TTL    time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	keys   [][]byte
	readAt time.Time
}

// Keys returns the current value, then the previous one if there is one.
// fresh asks for a new read unless the cached copy is younger than
// MinRefresh. A failed re-read keeps serving the cached keys.
func (k *Keyring) Keys(ctx context.Context, fresh bool) ([][]byte, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	asked := now()
	k.mu.Lock()
	if fresh && k.keys != nil {
		if wait := MinRefresh - asked.Sub(k.readAt); wait > 0 {
			k.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			k.mu.Lock()
		}
	}
	defer k.mu.Unlock()
	if k.keys != nil && now().Sub(k.readAt) < k.TTL && (!fresh || !k.readAt.Before(asked)) {
		return k.keys, nil
	}
	keys, err := k.read(ctx)
	if err != nil {
		if k.keys != nil {
			return k.keys, nil
		}
		return nil, err
	}
	k.keys, k.readAt = keys, now()
	return keys, nil
}

func (k *Keyring) read(ctx context.Context) ([][]byte, error) {
	cur, err := LoadStage(ctx, k.Getter, k.ID, StageCurrent)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	prev, err := LoadStage(ctx, k.Getter, k.ID, StagePrevious)
	var ae smithy.APIError
	switch {
	case err == nil:
		keys = append(keys, prev)
	case errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException":
		// Never rotated: there is no previous version.
	default:
		return nil, err
	}
	return keys, nil
}

// LoadStage returns the value of the secret's version with the staging label.
func LoadStage(ctx context.Context, sm Getter, id, stage string) ([]byte, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id, VersionStage: &stage})
	if err != nil {
		return nil, fmt.Errorf("get secret %s (%s): %w", id, stage, err)
	}
	return value(id, out)
}
