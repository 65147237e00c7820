package valuationcallback_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"loanflow/consumers/tokenstore"
)

// callLog is a token store that records which of its methods were called.
type callLog struct {
	tokenstore.Store
	mu    sync.Mutex
	calls []string
}

func (c *callLog) note(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *callLog) Get(ctx context.Context, id string) (tokenstore.Record, error) {
	c.note("Get")
	return c.Store.Get(ctx, id)
}

func (c *callLog) Claim(ctx context.Context, id, claimID string) (tokenstore.Record, error) {
	c.note("Claim")
	return c.Store.Claim(ctx, id, claimID)
}

func (c *callLog) ClaimIf(ctx context.Context, id, claimID string, g tokenstore.ClaimGuard) (tokenstore.Record, error) {
	c.note("ClaimIf")
	return c.Store.ClaimIf(ctx, id, claimID, g)
}

func (c *callLog) Resolve(ctx context.Context, id, claimID, outcome, reason string, at time.Time) error {
	c.note("Resolve")
	return c.Store.Resolve(ctx, id, claimID, outcome, reason, at)
}

func (c *callLog) Expire(ctx context.Context, id, claimID, reason string, at time.Time) error {
	c.note("Expire")
	return c.Store.Expire(ctx, id, claimID, reason, at)
}

// A callback for a record that passes every check is looked up and claimed
// in one conditional write: one store call before Step Functions hears of
// it (it is on the webhook-to-resume path), and the resolve after.
func TestACallbackClaimsItsRecordInOneStoreCall(t *testing.T) {
	store := &callLog{Store: tokenstore.NewMemoryStore()}
	r := newRig(t, store)
	r.pending(t, func(rec *tokenstore.Record) { rec.ValuationReference = "VAL-1" })
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ClaimIf", "Resolve"}; !slices.Equal(store.calls, want) {
		t.Fatalf("store calls = %v; want %v", store.calls, want)
	}
	if r.tasks.resumed() != 1 || r.record(t).Status != tokenstore.StatusResolved {
		t.Fatalf("resumed %d, record %+v", r.tasks.resumed(), r.record(t))
	}
}

// A record the one write refuses (here past its expiry) is judged from the
// record that write returns, as before: expired, nothing resumed, and no
// second read.
func TestARefusedClaimIsJudgedOnTheRecordItReturns(t *testing.T) {
	store := &callLog{Store: tokenstore.NewMemoryStore()}
	r := newRig(t, store)
	r.pending(t, func(rec *tokenstore.Record) { rec.ExpiresAt = now.Add(-time.Second) })
	if err := r.handle(t, event(t, "evt-1", callbackID, completedBody, secret, now)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ClaimIf", "Expire"}; !slices.Equal(store.calls, want) {
		t.Fatalf("store calls = %v; want %v", store.calls, want)
	}
	if r.tasks.resumed() != 0 || r.record(t).Status != tokenstore.StatusExpired {
		t.Fatalf("resumed %d, record %+v", r.tasks.resumed(), r.record(t))
	}
}
