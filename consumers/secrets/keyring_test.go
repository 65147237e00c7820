package secrets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"loanflow/consumers/secrets"
)

// stagedSM is a secret with a current and (after a rotation) a previous version.
type stagedSM struct {
	current, previous string
	reads             int
	at                []time.Time // when each read came
	fail              error
}

func (f *stagedSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.reads++
	f.at = append(f.at, time.Now())
	if f.fail != nil {
		return nil, f.fail
	}
	v := f.current
	if in.VersionStage != nil && *in.VersionStage == secrets.StagePrevious {
		if f.previous == "" {
			return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no AWSPREVIOUS"}
		}
		v = f.previous
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: &v}, nil
}

func (f *stagedSM) rotate(next string) { f.previous, f.current = f.current, next }

func keyStrings(t *testing.T, k *secrets.Keyring, fresh bool) []string {
	t.Helper()
	keys, err := k.Keys(context.Background(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(keys))
	for i, b := range keys {
		out[i] = string(b)
	}
	return out
}

func TestKeyringCachesRotatesAndRefreshesOnDemand(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	sm := &stagedSM{current: "k1"}
	k := &secrets.Keyring{Getter: sm, ID: "s", TTL: 5 * time.Minute, Now: func() time.Time { return now }}

	if got := keyStrings(t, k, false); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("never rotated: %q", got)
	}
	sm.rotate("k2")
	now = now.Add(time.Minute)
	if got := keyStrings(t, k, false); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("within the TTL the cached keys serve: %q", got)
	}
	reads := sm.reads
	if got := keyStrings(t, k, true); len(got) != 2 || got[0] != "k2" || got[1] != "k1" {
		t.Fatalf("a fresh read after a rotation = %q, want [k2 k1]", got)
	}
	if sm.reads == reads {
		t.Fatal("fresh did not read the secret")
	}
	sm.rotate("k3")
	now = now.Add(5 * time.Minute)
	if got := keyStrings(t, k, false); len(got) != 2 || got[0] != "k3" || got[1] != "k2" {
		t.Fatalf("after the TTL = %q, want [k3 k2]", got)
	}
	sm.fail = errors.New("throttled")
	now = now.Add(10 * time.Minute)
	if got := keyStrings(t, k, false); len(got) != 2 || got[0] != "k3" {
		t.Fatalf("a failed re-read must keep the cached keys: %q", got)
	}
	empty := &secrets.Keyring{Getter: sm, ID: "s", TTL: time.Minute}
	if _, err := empty.Keys(context.Background(), false); err == nil {
		t.Fatal("no keys and a failing read: want an error")
	}
}

func TestKeyringFreshReadsAreSpacedButNeverSkipped(t *testing.T) {
	sm := &stagedSM{current: "k1"}
	k := &secrets.Keyring{Getter: sm, ID: "s", TTL: time.Hour}
	keyStrings(t, k, false)
	first := len(sm.at) // the calls of the first read
	sm.rotate("k2")
	got := keyStrings(t, k, true) // asked for right after a read: waits, then reads
	if len(got) != 2 || got[0] != "k2" {
		t.Fatalf("fresh read = %q, want the rotated keys", got)
	}
	// Measured between the calls that reached Secrets Manager, so that a
	// slow machine cannot shorten it.
	if gap := sm.at[first].Sub(sm.at[first-1]); gap < secrets.MinRefresh {
		t.Fatalf("a fresh read reached Secrets Manager %s after the last one, want at least %s", gap, secrets.MinRefresh)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := k.Keys(ctx, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait = %v", err)
	}
}
