package tokenstore

import (
	"context"
	"errors"
	"sync"
	"time"
)

var _ Store = (*MemoryStore)(nil)

// MemoryStore is a Store in a map, for tests and the local stack. It applies
// the same conditions as DynamoStore.
type MemoryStore struct {
	mu      sync.Mutex
	records map[string]Record
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{records: map[string]Record{}} }

// Put implements Store.
func (m *MemoryStore) Put(_ context.Context, r Record) (Record, bool, error) {
	if err := validate(r); err != nil {
		return Record{}, false, err
	}
	r = Normalize(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.records[r.CallbackID]; ok {
		return old, false, nil
	}
	m.records[r.CallbackID] = r
	return r, true, nil
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, callbackID string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[callbackID]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

// List returns every record, for consoles and tests.
func (m *MemoryStore) List() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, 0, len(m.records))
	for _, r := range m.records {
		out = append(out, r)
	}
	return out
}

// SetReference implements Store.
func (m *MemoryStore) SetReference(_ context.Context, callbackID, reference string) error {
	if reference == "" {
		return errors.New("set reference: reference is empty")
	}
	return m.update(callbackID, "set reference", func(Record) bool { return true }, func(r *Record) {
		r.ValuationReference = reference
	})
}

// Claim implements Store.
func (m *MemoryStore) Claim(_ context.Context, callbackID, claimID string) (Record, error) {
	if claimID == "" {
		return Record{}, errors.New("claim: claim id is empty")
	}
	var out Record
	err := m.update(callbackID, "claim", memPendingOrClaimedBy(claimID), func(r *Record) {
		r.Status, r.ClaimedBy = StatusClaimed, claimID
		out = *r
	})
	return out, err
}

// ClaimIf implements Store.
func (m *MemoryStore) ClaimIf(_ context.Context, callbackID, claimID string, g ClaimGuard) (Record, error) {
	if claimID == "" {
		return Record{}, errors.New("claim: claim id is empty")
	}
	status := memPendingOrClaimedBy(claimID)
	var before Record
	err := m.update(callbackID, "claim", func(r Record) bool { return status(r) && g.Admits(r) }, func(r *Record) {
		before = *r
		r.Status, r.ClaimedBy = StatusClaimed, claimID
	})
	return before, err
}

// Resolve implements Store.
func (m *MemoryStore) Resolve(_ context.Context, callbackID, claimID, outcome, reason string, at time.Time) error {
	return m.update(callbackID, "resolve", memPendingOrClaimedBy(claimID), finish(StatusResolved, outcome, reason, at))
}

// Expire implements Store.
func (m *MemoryStore) Expire(_ context.Context, callbackID, claimID, reason string, at time.Time) error {
	return m.update(callbackID, "expire", memPendingOrClaimedBy(claimID), finish(StatusExpired, "EXPIRED", reason, at))
}

// Fail implements Store.
func (m *MemoryStore) Fail(_ context.Context, callbackID, outcome, reason string, at time.Time) error {
	return m.update(callbackID, "fail", memPendingOrClaimedBy(""), finish(StatusFailed, outcome, reason, at))
}

func memPendingOrClaimedBy(claimID string) func(Record) bool {
	return func(r Record) bool {
		return r.Status == StatusPending || (claimID != "" && r.Status == StatusClaimed && r.ClaimedBy == claimID)
	}
}

func finish(s Status, outcome, reason string, at time.Time) func(*Record) {
	return func(r *Record) {
		r.Status = s
		r.ResolvedAt = normTime(at, time.Millisecond)
		r.Outcome, r.Reason = outcome, reason
	}
}

func (m *MemoryStore) update(callbackID, op string, cond func(Record) bool, apply func(*Record)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[callbackID]
	if !ok {
		return ErrNotFound
	}
	if !cond(r) {
		return &ConflictError{Op: op, Current: r}
	}
	apply(&r)
	m.records[callbackID] = r
	return nil
}
