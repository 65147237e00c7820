package sqs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"loanflow/infra/local/localtest"
	"loanflow/infra/local/sqlitedb"
)

func newTestBroker(t testing.TB, clock Clock) *Broker {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	b, err := New(context.Background(), db, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustCreate(t testing.TB, b *Broker, name string, attrs map[string]string) {
	t.Helper()
	if _, err := b.CreateQueue(context.Background(), name, attrs); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func mustSend(t testing.TB, b *Broker, queue string, msgs ...NewMessage) []Sent {
	t.Helper()
	s, err := b.Send(context.Background(), queue, msgs...)
	if err != nil {
		t.Fatalf("send to %s: %v", queue, err)
	}
	return s
}

func receiveNow(t testing.TB, b *Broker, queue string, limit int) []Message {
	t.Helper()
	zero := time.Duration(0)
	msgs, err := b.Receive(context.Background(), queue, ReceiveOptions{MaxMessages: limit, WaitTime: &zero})
	if err != nil {
		t.Fatalf("receive from %s: %v", queue, err)
	}
	return msgs
}

func stats(t testing.TB, b *Broker, queue string) QueueStats {
	t.Helper()
	s, err := b.QueueStats(context.Background(), queue)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dur(d time.Duration) *time.Duration { return &d }

// waitFor fails t unless cond holds within 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	localtest.Eventually(t, 5*time.Second, what, func() (bool, string) { return cond(), "" })
}
