package storetest

import (
	"testing"
	"time"

	"loanflow/consumers/tokenstore"
)

// claimIfClaimsWhatItsGuardAdmits: ClaimIf claims a PENDING record that meets
// its guard, at the guard's edges, and returns the record as it was; a retry
// by the same claimer returns it CLAIMED by that claimer.
func (s *suite) claimIfClaimsWhatItsGuardAdmits(t *testing.T) {
	ctx := t.Context()
	st, r := s.fresh(t)
	put(t, st, r)
	if err := st.SetReference(ctx, r.CallbackID, "VAL-1"); err != nil {
		t.Fatal(err)
	}
	stored := get(t, st, r.CallbackID)
	g := tokenstore.ClaimGuard{
		Reference: "VAL-1",
		CreatedBy: stored.CreatedAt,                       // created exactly then: admitted
		LiveAt:    stored.ExpiresAt.Add(-time.Nanosecond), // just before expiry: admitted
	}
	before, err := st.ClaimIf(ctx, r.CallbackID, "evt-1", g)
	if err != nil {
		t.Fatalf("ClaimIf = %v", err)
	}
	if before != stored {
		t.Fatalf("ClaimIf returned\n%+v\nwant the record before the claim\n%+v", before, stored)
	}
	if got := get(t, st, r.CallbackID); got.Status != tokenstore.StatusClaimed || got.ClaimedBy != "evt-1" {
		t.Fatalf("after ClaimIf: %+v", got)
	}
	again, err := st.ClaimIf(ctx, r.CallbackID, "evt-1", g)
	if err != nil || again.Status != tokenstore.StatusClaimed || again.ClaimedBy != "evt-1" {
		t.Fatalf("retry of ClaimIf = %+v, %v; want the record CLAIMED by evt-1", again, err)
	}
	_, err = st.ClaimIf(ctx, r.CallbackID, "evt-2", g)
	wantConflict(t, err, tokenstore.StatusClaimed)
}

// claimIfAdmitsARecordWithoutReferenceOrTimes: a record that has no
// reference yet passes any reference, and the zero guard times check nothing.
func (s *suite) claimIfAdmitsARecordWithoutReferenceOrTimes(t *testing.T) {
	st, r := s.fresh(t)
	put(t, st, r)
	before, err := st.ClaimIf(t.Context(), r.CallbackID, "evt-1", tokenstore.ClaimGuard{Reference: "VAL-9"})
	if err != nil || before.Status != tokenstore.StatusPending {
		t.Fatalf("ClaimIf = %+v, %v; want the PENDING record claimed", before, err)
	}
}

// claimIfRefusesWhatItsGuardDoesNot: each guard clause alone refuses, with a
// *ConflictError carrying the record, which stays PENDING and unclaimed.
func (s *suite) claimIfRefusesWhatItsGuardDoesNot(t *testing.T) {
	ctx := t.Context()
	for name, guard := range map[string]func(stored tokenstore.Record) tokenstore.ClaimGuard{
		"another reference": func(tokenstore.Record) tokenstore.ClaimGuard { return tokenstore.ClaimGuard{Reference: "VAL-2"} },
		"no reference":      func(tokenstore.Record) tokenstore.ClaimGuard { return tokenstore.ClaimGuard{} },
		"created after": func(stored tokenstore.Record) tokenstore.ClaimGuard {
			return tokenstore.ClaimGuard{Reference: "VAL-1", CreatedBy: stored.CreatedAt.Add(-time.Nanosecond)}
		},
		"expired": func(stored tokenstore.Record) tokenstore.ClaimGuard {
			return tokenstore.ClaimGuard{Reference: "VAL-1", LiveAt: stored.ExpiresAt}
		},
	} {
		t.Run(name, func(t *testing.T) {
			st, r := s.fresh(t)
			put(t, st, r)
			if err := st.SetReference(ctx, r.CallbackID, "VAL-1"); err != nil {
				t.Fatal(err)
			}
			stored := get(t, st, r.CallbackID)
			_, err := st.ClaimIf(ctx, r.CallbackID, "evt-1", guard(stored))
			wantConflict(t, err, tokenstore.StatusPending)
			if got := get(t, st, r.CallbackID); got != stored {
				t.Fatalf("a refused ClaimIf changed the record:\n%+v\nwas\n%+v", got, stored)
			}
		})
	}
}
