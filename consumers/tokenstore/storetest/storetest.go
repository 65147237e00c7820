// Package storetest is the one contract test suite that every
// tokenstore.Store implementation runs.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"loanflow/consumers/tokenstore"
)

// now is the clock the contract's records are stamped with; its sub-millisecond
// part shows whether a store keeps the precision tokenstore.Normalize promises.
var now = time.Date(2026, 11, 25, 10, 0, 1, 123456789, time.UTC)

// Run runs the contract against stores made by newStore: one subtest per
// clause, each with a fresh store (or one where its callback ids are unique).
func Run(t *testing.T, newStore func(t *testing.T) tokenstore.Store) {
	t.Helper()
	s := &suite{newStore: newStore}
	t.Run("PutThenGetRoundTrips", s.putThenGetRoundTrips)
	t.Run("PutIsConditionalAndReturnsTheExisting", s.putIsConditionalAndReturnsTheExisting)
	t.Run("GetMissingIsNotFound", s.getMissingIsNotFound)
	t.Run("TransitionsOnMissingAreNotFound", s.transitionsOnMissingAreNotFound)
	t.Run("SetReferenceKeepsPending", s.setReferenceKeepsPending)
	t.Run("SetReferenceNeverClobbersResolved", s.setReferenceNeverClobbersResolved)
	t.Run("ClaimThenResolve", s.claimThenResolve)
	t.Run("ClaimAgainBySameIDSucceeds", s.claimAgainBySameIDSucceeds)
	t.Run("ClaimByAnotherIDConflicts", s.claimByAnotherIDConflicts)
	t.Run("ClaimIfClaimsWhatItsGuardAdmits", s.claimIfClaimsWhatItsGuardAdmits)
	t.Run("ClaimIfAdmitsARecordWithoutReferenceOrTimes", s.claimIfAdmitsARecordWithoutReferenceOrTimes)
	t.Run("ClaimIfRefusesWhatItsGuardDoesNot", s.claimIfRefusesWhatItsGuardDoesNot)
	t.Run("FinalStatusesRefuseEveryTransition", s.finalStatusesRefuseEveryTransition)
	t.Run("ExpireAndFailRecordWhy", s.expireAndFailRecordWhy)
	t.Run("ConcurrentClaimsHaveOneWinner", s.concurrentClaimsHaveOneWinner)
}

// suite holds what the clauses share: the store factory and a sequence that
// keeps callback ids unique when a factory hands out one shared store.
type suite struct {
	newStore func(t *testing.T) tokenstore.Store
	seq      atomic.Int64
}

// fresh returns a store and a PENDING record that is not in it yet.
func (s *suite) fresh(t *testing.T) (tokenstore.Store, tokenstore.Record) {
	t.Helper()
	id := fmt.Sprintf("cb-%s-%d-%d", t.Name(), time.Now().UnixNano(), s.seq.Add(1))
	return s.newStore(t), tokenstore.Record{
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

// put stores r and fails the test unless it was created.
func put(t *testing.T, st tokenstore.Store, r tokenstore.Record) {
	t.Helper()
	if _, created, err := st.Put(t.Context(), r); err != nil || !created {
		t.Fatalf("Put = created %v, %v; want created", created, err)
	}
}

// get returns the record and fails the test if it cannot.
func get(t *testing.T, st tokenstore.Store, id string) tokenstore.Record {
	t.Helper()
	r, err := st.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

// wantConflict fails the test unless err is a *ConflictError that found the
// record in status.
func wantConflict(t *testing.T, err error, status tokenstore.Status) {
	t.Helper()
	var ce *tokenstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, tokenstore.ErrConflict) {
		t.Fatalf("err = %v; want a *ConflictError", err)
	}
	if ce.Current.Status != status {
		t.Fatalf("conflict current status = %s; want %s", ce.Current.Status, status)
	}
}

// putThenGetRoundTrips: Get returns what Put stored, at the stores' precision.
func (s *suite) putThenGetRoundTrips(t *testing.T) {
	st, r := s.fresh(t)
	put(t, st, r)
	got := get(t, st, r.CallbackID)
	want := tokenstore.Normalize(r)
	if got != want {
		t.Fatalf("Get =\n%+v\nwant\n%+v", got, want)
	}
	if got.ExpiresAt.Nanosecond() != 0 {
		t.Fatalf("ExpiresAt %v keeps sub-second precision", got.ExpiresAt)
	}
}

// putIsConditionalAndReturnsTheExisting: a second Put of the same callback id
// changes nothing and returns the record as stored.
func (s *suite) putIsConditionalAndReturnsTheExisting(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	if err := st.SetReference(ctx, r.CallbackID, "VAL-1"); err != nil {
		t.Fatal(err)
	}
	again := r
	again.TaskToken = "another"
	got, created, err := st.Put(ctx, again)
	if err != nil || created {
		t.Fatalf("second Put = created %v, %v; want existing", created, err)
	}
	if got.TaskToken != r.TaskToken || got.ValuationReference != "VAL-1" {
		t.Fatalf("second Put returned %+v; want the first record with its reference", got)
	}
}

// getMissingIsNotFound: Get of an unknown callback id is ErrNotFound.
func (s *suite) getMissingIsNotFound(t *testing.T) {
	st, r := s.fresh(t)
	if _, err := st.Get(t.Context(), r.CallbackID); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Fatalf("Get = %v; want ErrNotFound", err)
	}
}

// transitionsOnMissingAreNotFound: every change to an unknown callback id is
// ErrNotFound and creates no record.
func (s *suite) transitionsOnMissingAreNotFound(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	checks := map[string]error{
		"SetReference": st.SetReference(ctx, r.CallbackID, "VAL-1"),
		"Resolve":      st.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "", now),
		"Expire":       st.Expire(ctx, r.CallbackID, "", "late", now),
		"Fail":         st.Fail(ctx, r.CallbackID, "X", "y", now),
	}
	_, checks["Claim"] = st.Claim(ctx, r.CallbackID, "evt-1")
	_, checks["ClaimIf"] = st.ClaimIf(ctx, r.CallbackID, "evt-1", tokenstore.ClaimGuard{})
	for name, err := range checks {
		if !errors.Is(err, tokenstore.ErrNotFound) {
			t.Errorf("%s = %v; want ErrNotFound", name, err)
		}
	}
	if _, err := st.Get(ctx, r.CallbackID); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("a transition created a record: Get = %v", err)
	}
}

// setReferenceKeepsPending: SetReference records the reference and leaves the
// record PENDING.
func (s *suite) setReferenceKeepsPending(t *testing.T) {
	st, r := s.fresh(t)
	put(t, st, r)
	if err := st.SetReference(t.Context(), r.CallbackID, "VAL-1"); err != nil {
		t.Fatal(err)
	}
	got := get(t, st, r.CallbackID)
	if got.Status != tokenstore.StatusPending || got.ValuationReference != "VAL-1" {
		t.Fatalf("got %s/%q; want PENDING/VAL-1", got.Status, got.ValuationReference)
	}
}

// setReferenceNeverClobbersResolved: a reference that arrives after the
// callback is recorded without undoing the resolution.
func (s *suite) setReferenceNeverClobbersResolved(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	if err := st.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "valued", now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetReference(ctx, r.CallbackID, "VAL-late"); err != nil {
		t.Fatal(err)
	}
	got := get(t, st, r.CallbackID)
	if got.Status != tokenstore.StatusResolved || got.Outcome != "SUCCEEDED" || got.ValuationReference != "VAL-late" {
		t.Fatalf("got %+v; want RESOLVED/SUCCEEDED with the reference", got)
	}
}

// claimThenResolve: Claim returns the claimed record with its token, and the
// claimer resolves it.
func (s *suite) claimThenResolve(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	c, err := st.Claim(ctx, r.CallbackID, "evt-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != tokenstore.StatusClaimed || c.ClaimedBy != "evt-1" || c.TaskToken != r.TaskToken {
		t.Fatalf("Claim returned %+v", c)
	}
	if err := st.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := get(t, st, r.CallbackID)
	if got.Status != tokenstore.StatusResolved || got.Outcome != "SUCCEEDED" || got.Reason != "" ||
		!got.ResolvedAt.Equal(now.Add(time.Second).Truncate(time.Millisecond)) {
		t.Fatalf("got %+v", got)
	}
}

// claimAgainBySameIDSucceeds: a retry of the claiming event claims again.
func (s *suite) claimAgainBySameIDSucceeds(t *testing.T) {
	st, r := s.fresh(t)
	put(t, st, r)
	for range 2 {
		if _, err := st.Claim(t.Context(), r.CallbackID, "evt-1"); err != nil {
			t.Fatal(err)
		}
	}
}

// claimByAnotherIDConflicts: a claimed record refuses another claimer, an
// unclaimed resolve and Fail, and the conflict names who holds it.
func (s *suite) claimByAnotherIDConflicts(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	if _, err := st.Claim(ctx, r.CallbackID, "evt-1"); err != nil {
		t.Fatal(err)
	}
	_, err := st.Claim(ctx, r.CallbackID, "evt-2")
	wantConflict(t, err, tokenstore.StatusClaimed)
	var ce *tokenstore.ConflictError
	errors.As(err, &ce)
	if ce.Current.ClaimedBy != "evt-1" {
		t.Fatalf("conflict claimed by %q; want evt-1", ce.Current.ClaimedBy)
	}
	wantConflict(t, st.Resolve(ctx, r.CallbackID, "evt-2", "SUCCEEDED", "", now), tokenstore.StatusClaimed)
	wantConflict(t, st.Resolve(ctx, r.CallbackID, "", "SUCCEEDED", "", now), tokenstore.StatusClaimed)
	wantConflict(t, st.Fail(ctx, r.CallbackID, "X", "", now), tokenstore.StatusClaimed)
}

// finalStatusesRefuseEveryTransition: RESOLVED, EXPIRED and FAILED records
// refuse Claim, Resolve, Expire and Fail, and keep their status.
func (s *suite) finalStatusesRefuseEveryTransition(t *testing.T) {
	for _, final := range []tokenstore.Status{tokenstore.StatusResolved, tokenstore.StatusExpired, tokenstore.StatusFailed} {
		t.Run(string(final), func(t *testing.T) {
			ctx := t.Context()
			st, r := s.fresh(t)
			put(t, st, r)
			if _, err := st.Claim(ctx, r.CallbackID, "evt-1"); err != nil {
				t.Fatal(err)
			}
			var err error
			switch final {
			case tokenstore.StatusResolved:
				err = st.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now)
			case tokenstore.StatusExpired:
				err = st.Expire(ctx, r.CallbackID, "evt-1", "late", now)
			case tokenstore.StatusFailed:
				// Fail needs PENDING: use a fresh record.
				st, r = s.fresh(t)
				put(t, st, r)
				err = st.Fail(ctx, r.CallbackID, "ValuationRequestRejected", "422", now)
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.Claim(ctx, r.CallbackID, "evt-1")
			wantConflict(t, err, final)
			wantConflict(t, st.Resolve(ctx, r.CallbackID, "evt-1", "SUCCEEDED", "", now), final)
			wantConflict(t, st.Expire(ctx, r.CallbackID, "evt-1", "late", now), final)
			wantConflict(t, st.Fail(ctx, r.CallbackID, "X", "", now), final)
			if got := get(t, st, r.CallbackID); got.Status != final {
				t.Fatalf("status = %s; want %s", got.Status, final)
			}
		})
	}
}

// expireAndFailRecordWhy: Expire keeps the reason; Fail keeps the outcome
// and the reason.
func (s *suite) expireAndFailRecordWhy(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	if err := st.Expire(ctx, r.CallbackID, "", "TaskTimedOut", now); err != nil {
		t.Fatal(err)
	}
	if got := get(t, st, r.CallbackID); got.Status != tokenstore.StatusExpired || got.Reason != "TaskTimedOut" {
		t.Fatalf("got %+v", got)
	}
	st, r = s.fresh(t)
	put(t, st, r)
	if err := st.Fail(ctx, r.CallbackID, "ValuationRequestRejected", "service answered 422", now); err != nil {
		t.Fatal(err)
	}
	got := get(t, st, r.CallbackID)
	if got.Status != tokenstore.StatusFailed || got.Outcome != "ValuationRequestRejected" || got.Reason != "service answered 422" {
		t.Fatalf("got %+v", got)
	}
}

// concurrentClaimsHaveOneWinner: of racing claimers exactly one wins and the
// others get a conflict.
func (s *suite) concurrentClaimsHaveOneWinner(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	const n = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := st.Claim(ctx, r.CallbackID, fmt.Sprintf("evt-%d", i))
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
}

// sanitize makes s safe as a callback id: letters, digits, '-' and '_'.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !isIDChar(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

// isIDChar reports whether c may appear in a callback id.
func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
