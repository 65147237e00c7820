package secrets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"loanflow/consumers/secrets"
)

type fakeSM struct {
	out *secretsmanager.GetSecretValueOutput
	err error
	ids []string
}

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.ids = append(f.ids, *in.SecretId)
	return f.out, f.err
}

func TestLoad(t *testing.T) {
	s := "k3y"
	f := &fakeSM{out: &secretsmanager.GetSecretValueOutput{SecretString: &s}}
	got, err := secrets.Load(context.Background(), f, "arn:aws:secretsmanager:eu-west-2:000000000000:secret:x")
	if err != nil || string(got) != "k3y" || f.ids[0] != "arn:aws:secretsmanager:eu-west-2:000000000000:secret:x" {
		t.Fatalf("Load = %q, %v", got, err)
	}
	f = &fakeSM{out: &secretsmanager.GetSecretValueOutput{SecretBinary: []byte{1, 2}}}
	if got, err := secrets.Load(context.Background(), f, "x"); err != nil || len(got) != 2 {
		t.Fatalf("binary: %v, %v", got, err)
	}
	if _, err := secrets.Load(context.Background(), &fakeSM{out: &secretsmanager.GetSecretValueOutput{}}, "x"); err == nil {
		t.Fatal("empty secret accepted")
	}
	boom := errors.New("AccessDenied")
	if _, err := secrets.Load(context.Background(), &fakeSM{err: boom}, "x"); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}
