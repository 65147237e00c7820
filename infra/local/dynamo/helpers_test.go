package dynamo

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// testClock is a settable clock for TTL tests.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func newTestStore(t testing.TB, clock *testClock) *Store {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	// Tables are ACTIVE as soon as CreateTable answers: these tests are
	// about what comes after; creating_test.go covers the CREATING window.
	s, err := New(context.Background(), db, Options{Now: clock.Now, CreationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokensTable creates a table keyed like the token store: callbackId (S).
func tokensTable(t testing.TB, s *Store, name string, sortKey bool) {
	t.Helper()
	in := &CreateTableInput{TableName: name, BillingMode: "PAY_PER_REQUEST",
		KeySchema:            []KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}},
		AttributeDefinitions: []AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}}}
	if sortKey {
		in.KeySchema = append(in.KeySchema, KeySchemaElement{AttributeName: "sk", KeyType: "RANGE"})
		in.AttributeDefinitions = append(in.AttributeDefinitions, AttributeDefinition{AttributeName: "sk", AttributeType: "N"})
	}
	if _, err := s.CreateTable(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err, kind error, what string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
	}
}
