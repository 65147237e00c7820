// Package storetest is the one contract test suite that every
// tokenstore.Store implementation runs.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"loanflow/consumers/tokenstore"
)

// Run runs the contract against stores made by newStore; each subtest gets a
// fresh store (or one where its callback ids are unique).
func Run(t *testing.T, newStore func(t *testing.T) tokenstore.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 1, 123456789, time.UTC)
	var seq atomic.Int64
	fresh := func(t *testing.T) (tokenstore.Store, tokenstore.Record) {
		t.Helper()
		id := fmt.Sprintf("cb-%s-%d-%d", t.Name(), time.Now().UnixNano(), seq.Add(1))
		return newStore(t), tokenstore.Record{
			CallbackID:    sanitize(id),
			TaskToken:     "token-" + id,
			ExecutionID:   "arn:aws:states:eu-west-2:000000000000:execution:LoanProcessor:APP-1",
			ApplicationID: "APP-1",
			LoanAmount:    25000000,
			Status:        tokenstore.StatusPending,
			CreatedAt:     now,
			ExpiresAt:     now.Add(24 * time.Hour),
		}
	}
	put := func(t *testing.T, s tokenstore.Store, r tokenstore.Record) {
		t.Helper()
		if _, created, err := s.Put(ctx, r); err != nil || !created {
			t.Fatalf("Put = created %v, %v; want created", created, err)
		}
	}
	get := func(t *testing.T, s tokenstore.Store, id string) tokenstore.Record {
		t.Helper()
		r, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return r
	}
	wantConflict := func(t *testing.T, err error, status tokenstore.Status) {
		t.Helper()
		var ce *tokenstore.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, tokenstore.ErrConflict) {
			t.Fatalf("err = %v; want a *ConflictError", err)
		}
		if ce.Current.Status != status {
			t.Fatalf("conflict current status = %s; want %s", ce.Current.Status, status)
		}
	}

	t.Run("PutThenGetRoundTrips", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		got := get(t, s, r.CallbackID)
		want := tokenstore.Normalize(r)
		if got != want {
			t.Fatalf("Get =\n%+v\nwant\n%+v", got, want)
		}
		if got.ExpiresAt.Nanosecond() != 0 {
			t.Fatalf("ExpiresAt %v keeps sub-second precision", got.ExpiresAt)
		}
	})

	t.Run("PutIsConditionalAndReturnsTheExisting", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		if err := s.SetReference(ctx, r.CallbackID, "VAL-1"); err != nil {
			t.Fatal(err)
		}
		again := r
		again.TaskToken = "another"
		got, created, err := s.Put(ctx, again)
		if err != nil || created {
			t.Fatalf("second Put = created %v, %v; want existing", created, err)
		}
		if got.TaskToken != r.TaskToken || got.ValuationReference != "VAL-1" {
			t.Fatalf("second Put returned %+v; want the first record with its reference", got)
		}
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s, r := fresh(t)
		if _, err := s.Get(ctx, r.CallbackID); !errors.Is(err, tokenstore.ErrNotFound) {
			t.Fatalf("Get = %v; want ErrNotFound", err)
		}
	})

	t.Run("TransitionsOnMissingAreNotFound", func(t *testing.T) {
		s, r := fresh(t)
		checks := map[string]error{
			"SetReference": s.SetReference(ctx, r.CallbackID, "VAL-1"),
			"Resolve":      s.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "", now),
			"Expire":       s.Expire(ctx, r.CallbackID, "", "late", now),
			"Fail":         s.Fail(ctx, r.CallbackID, "X", "y", now),
		}
		_, checks["Claim"] = s.Claim(ctx, r.CallbackID, "evt-1")
		for name, err := range checks {
			if !errors.Is(err, tokenstore.ErrNotFound) {
				t.Errorf("%s = %v; want ErrNotFound", name, err)
			}
		}
		if _, err := s.Get(ctx, r.CallbackID); !errors.Is(err, tokenstore.ErrNotFound) {
			t.Errorf("a transition created a record: Get = %v", err)
		}
	})

	t.Run("SetReferenceKeepsPending", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		if err := s.SetReference(ctx, r.CallbackID, "VAL-1"); err != nil {
			t.Fatal(err)
		}
		got := get(t, s, r.CallbackID)
		if got.Status != tokenstore.StatusPending || got.ValuationReference != "VAL-1" {
			t.Fatalf("got %s/%q; want PENDING/VAL-1", got.Status, got.ValuationReference)
		}
	})

	t.Run("SetReferenceNeverClobbersResolved", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		if err := s.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "valued", now); err != nil {
			t.Fatal(err)
		}
		if err := s.SetReference(ctx, r.CallbackID, "VAL-late"); err != nil {
			t.Fatal(err)
		}
		got := get(t, s, r.CallbackID)
		if got.Status != tokenstore.StatusResolved || got.Outcome != "SUCCEEDED" || got.ValuationReference != "VAL-late" {
			t.Fatalf("got %+v; want RESOLVED/SUCCEEDED with the reference", got)
		}
	})

	t.Run("ClaimThenResolve", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		c, err := s.Claim(ctx, r.CallbackID, "evt-1")
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != tokenstore.StatusClaimed || c.ClaimedBy != "evt-1" || c.TaskToken != r.TaskToken {
			t.Fatalf("Claim returned %+v", c)
		}
		if err := s.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		got := get(t, s, r.CallbackID)
		if got.Status != tokenstore.StatusResolved || got.Outcome != "SUCCEEDED" || got.Reason != "" ||
			!got.ResolvedAt.Equal(now.Add(time.Second).Truncate(time.Millisecond)) {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("ClaimAgainBySameIDSucceeds", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		for range 2 {
			if _, err := s.Claim(ctx, r.CallbackID, "evt-1"); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("ClaimByAnotherIDConflicts", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		if _, err := s.Claim(ctx, r.CallbackID, "evt-1"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Claim(ctx, r.CallbackID, "evt-2")
		wantConflict(t, err, tokenstore.StatusClaimed)
		var ce *tokenstore.ConflictError
		errors.As(err, &ce)
		if ce.Current.ClaimedBy != "evt-1" {
			t.Fatalf("conflict claimed by %q; want evt-1", ce.Current.ClaimedBy)
		}
		wantConflict(t, s.Resolve(ctx, r.CallbackID, "evt-2", "SUCCEEDED", "", now), tokenstore.StatusClaimed)
		wantConflict(t, s.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "", now), tokenstore.StatusClaimed)
		wantConflict(t, s.Fail(ctx, r.CallbackID, "X", "", now), tokenstore.StatusClaimed)
	})

	t.Run("FinalStatusesRefuseEveryTransition", func(t *testing.T) {
		for _, final := range []tokenstore.Status{tokenstore.StatusResolved, tokenstore.StatusExpired, tokenstore.StatusFailed} {
			t.Run(string(final), func(t *testing.T) {
				s, r := fresh(t)
				put(t, s, r)
				if _, err := s.Claim(ctx, r.CallbackID, "evt-1"); err != nil {
					t.Fatal(err)
				}
				var err error
				switch final {
				case tokenstore.StatusResolved:
					err = s.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now)
				case tokenstore.StatusExpired:
					err = s.Expire(ctx, r.CallbackID, "evt-1", "late", now)
				case tokenstore.StatusFailed:
					// Fail needs PENDING: use a fresh record.
					s, r = fresh(t)
					put(t, s, r)
					err = s.Fail(ctx, r.CallbackID, "ValuationRequestRejected", "422", now)
				}
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.Claim(ctx, r.CallbackID, "evt-1")
				wantConflict(t, err, final)
				wantConflict(t, s.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now), final)
				wantConflict(t, s.Expire(ctx, r.CallbackID, "evt-1", "late", now), final)
				wantConflict(t, s.Fail(ctx, r.CallbackID, "X", "", now), final)
				if got := get(t, s, r.CallbackID); got.Status != final {
					t.Fatalf("status = %s; want %s", got.Status, final)
				}
			})
		}
	})

	t.Run("ExpireAndFailRecordWhy", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		if err := s.Expire(ctx, r.CallbackID, "", "TaskTimedOut", now); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, r.CallbackID); got.Status != tokenstore.StatusExpired || got.Reason != "TaskTimedOut" {
			t.Fatalf("got %+v", got)
		}
		s, r = fresh(t)
		put(t, s, r)
		if err := s.Fail(ctx, r.CallbackID, "ValuationRequestRejected", "service answered 422", now); err != nil {
			t.Fatal(err)
		}
		got := get(t, s, r.CallbackID)
		if got.Status != tokenstore.StatusFailed || got.Outcome != "ValuationRequestRejected" || got.Reason != "service answered 422" {
			t.Fatalf("got %+v", got)
		}
	})

	t.Run("ConcurrentClaimsHaveOneWinner", func(t *testing.T) {
		s, r := fresh(t)
		put(t, s, r)
		const n = 8
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, err := s.Claim(ctx, r.CallbackID, fmt.Sprintf("evt-%d", i))
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, tokenstore.ErrConflict):
					t.Errorf("Claim: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d claims won; want exactly 1", wins.Load())
		}
	})
}

func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
