// Package secrets reads secrets from Secrets Manager: the webhook signing
// keys (current and previous, cached) and the webhook API key.
package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Getter is the part of *secretsmanager.Client that Load needs.
type Getter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Load returns the secret's value (string or binary) by ARN or name.
func Load(ctx context.Context, sm Getter, id string) ([]byte, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return nil, fmt.Errorf("get secret %s: %w", id, err)
	}
	return value(id, out)
}

func value(id string, out *secretsmanager.GetSecretValueOutput) ([]byte, error) {
	switch {
	case out.SecretString != nil && *out.SecretString != "":
		return []byte(*out.SecretString), nil
	case len(out.SecretBinary) > 0:
		return out.SecretBinary, nil
	}
	return nil, fmt.Errorf("get secret %s: %w", id, errors.New("secret is empty"))
}
