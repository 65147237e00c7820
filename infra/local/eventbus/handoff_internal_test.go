package eventbus

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"loanflow/infra/local/sqlitedb"
)

// stepClock is a Clock whose time moves only when the test sets it. Its
// timers never fire: these tests drive the delivery loop by hand.
type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

func (c *stepClock) After(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }

// gate is a Deliverer that reports each call and waits for its release, or
// for the delivery's context to end.
type gate struct {
	calls   chan string
	release chan struct{}
}

func newGate() *gate { return &gate{calls: make(chan string, 8), release: make(chan struct{})} }

func (g *gate) Deliver(ctx context.Context, arn string, _ []byte) error {
	g.calls <- arn
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (*gate) SendToDLQ(context.Context, string, []byte, map[string]string) error { return nil }

const handoffTarget = "arn:aws:lambda:us-east-1:000000000000:function:resolver"

func handoffBus(t *testing.T, db *sql.DB, clock Clock, d Deliverer, workers int) *Bus {
	t.Helper()
	ctx := context.Background()
	b, err := New(ctx, db, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clock: clock, Workers: workers}, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.PutRule(ctx, "default", "all", `{"source":["test"]}`, StateEnabled, ""); err != nil {
		t.Fatal(err)
	}
	if err := b.PutTargets(ctx, "default", "all", []Target{{ID: "fn", ARN: handoffTarget}}); err != nil {
		t.Fatal(err)
	}
	return b
}

// runWithoutLoop makes b take deliveries as a started bus does, with no
// delivery loop: only PutEvents' handoff, or the test calling dispatchDue,
// starts one.
func runWithoutLoop(b *Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	b.runMu.Lock()
	b.running, b.runCtx = true, ctx
	b.runMu.Unlock()
}

func openHandoffDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "bus.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	return db
}

func putOne(t *testing.T, b *Bus) {
	t.Helper()
	if _, failed, err := b.PutEvents(context.Background(), []Entry{{Source: "test", DetailType: "t", Detail: `{"a":1}`}}); err != nil || failed != 0 {
		t.Fatalf("PutEvents: failed %d, %v", failed, err)
	}
}

// nextAts returns the next_at of every pending delivery, oldest first.
func nextAts(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT next_at FROM evb_deliveries ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// waitNonePending polls, up to a deadline, until no delivery is pending.
func waitNonePending(t *testing.T, db *sql.DB, when string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(nextAts(t, db)) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s, pending next_at = %v; want none", when, nextAts(t, db))
		}
	}
}

func waitCall(t *testing.T, g *gate) string {
	t.Helper()
	select {
	case arn := <-g.calls:
		return arn
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery started")
		return ""
	}
}

func noCall(t *testing.T, g *gate) {
	t.Helper()
	select {
	case arn := <-g.calls:
		t.Fatalf("unexpected delivery to %s", arn)
	default:
	}
}

// An event put on a running bus is delivered by PutEvents' handoff, without
// the delivery loop: its delivery row is committed, leased as a claim would
// lease it, before the target is invoked, and removed once it is delivered.
func TestPutEventsHandsItsDeliveryToAWorkerWithoutTheLoop(t *testing.T) {
	db := openHandoffDB(t)
	clock := &stepClock{now: time.UnixMilli(1_700_000_000_000)}
	g := newGate()
	b := handoffBus(t, db, clock, g, 4)
	runWithoutLoop(b)
	defer b.Close()

	putOne(t, b)
	if arn := waitCall(t, g); arn != handoffTarget {
		t.Fatalf("delivered to %s, want %s", arn, handoffTarget)
	}
	leasedUntil := clock.now.Add(b.lease()).UnixMilli()
	if got := nextAts(t, db); len(got) != 1 || got[0] != leasedUntil {
		t.Fatalf("while delivering, pending next_at = %v; want one row leased until %d", got, leasedUntil)
	}
	close(g.release)
	waitNonePending(t, db, "after delivery")
}

// A handed-off delivery cut short (a crash, here a shutdown mid-delivery)
// stays pending and leased, and the next start makes it due at once: the
// state directory's lock says no other process is making that attempt, so
// nothing waits for its lease to end. A delivery waiting for a retry keeps
// its time. At least once, as for a delivery the loop claimed.
func TestDeliveryCutShortIsDueAtTheNextStart(t *testing.T) {
	db := openHandoffDB(t)
	clock := &stepClock{now: time.UnixMilli(1_700_000_000_000)}
	g := newGate()
	b := handoffBus(t, db, clock, g, 4)
	runWithoutLoop(b)
	putOne(t, b)
	waitCall(t, g)
	b.Close() // cancels the delivery under way
	if got := nextAts(t, db); len(got) != 1 || got[0] != clock.now.Add(b.lease()).UnixMilli() {
		t.Fatalf("after the cut, pending = %v; want the delivery kept, leased", got)
	}
	retryAt := clock.now.Add(time.Minute).UnixMilli()
	if _, err := db.Exec(`INSERT INTO evb_deliveries (event_id, bus, rule, target, envelope, attempts, first_at, next_at)
VALUES ('retrying', 'default', 'all', 'fn', '{}', 1, ?, ?)`, clock.now.UnixMilli(), retryAt); err != nil {
		t.Fatal(err)
	}

	g2 := newGate()
	close(g2.release)
	b2 := handoffBus(t, db, clock, g2, 4)
	runWithoutLoop(b2)
	defer b2.Close()
	if got := nextAts(t, db); len(got) != 2 || got[0] != clock.now.UnixMilli() || got[1] != retryAt {
		t.Fatalf("after the restart, pending next_at = %v; want the cut delivery due now (%d), the retry kept at %d",
			got, clock.now.UnixMilli(), retryAt)
	}
	if _, err := b2.dispatchDue(context.Background()); err != nil { // the clock has not moved
		t.Fatal(err)
	}
	if arn := waitCall(t, g2); arn != handoffTarget {
		t.Fatalf("delivered to %s", arn)
	}
	noCall(t, g2) // the retry is not due
	for deadline := time.Now().Add(5 * time.Second); len(nextAts(t, db)) != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after redelivery, pending = %v; want only the retry", nextAts(t, db))
		}
	}
}

// Within one run, a claimed delivery whose attempt neither ends nor fails
// is made again when its lease ends, and not before.
func TestStuckDeliveryIsMadeAgainWhenItsLeaseEnds(t *testing.T) {
	db := openHandoffDB(t)
	clock := &stepClock{now: time.UnixMilli(1_700_000_000_000)}
	g := newGate()
	b := handoffBus(t, db, clock, g, 4)
	runWithoutLoop(b)
	defer func() { close(g.release); b.Close() }()
	putOne(t, b)
	waitCall(t, g) // and never released until the end
	ctx := context.Background()
	clock.now = clock.now.Add(b.lease() - time.Millisecond)
	if _, err := b.dispatchDue(ctx); err != nil {
		t.Fatal(err)
	}
	noCall(t, g)
	clock.now = clock.now.Add(time.Millisecond)
	if _, err := b.dispatchDue(ctx); err != nil {
		t.Fatal(err)
	}
	if arn := waitCall(t, g); arn != handoffTarget {
		t.Fatalf("made again to %s", arn)
	}
}

// With every worker busy, PutEvents does not wait for one: the delivery is
// written due, and the loop claims it once a worker is free.
func TestPutEventsLeavesItsDeliveryToTheLoopWhenNoWorkerIsFree(t *testing.T) {
	db := openHandoffDB(t)
	clock := &stepClock{now: time.UnixMilli(1_700_000_000_000)}
	g := newGate()
	b := handoffBus(t, db, clock, g, 1)
	runWithoutLoop(b)
	defer b.Close()

	putOne(t, b) // takes the only worker
	waitCall(t, g)
	putOne(t, b)
	got := nextAts(t, db)
	if len(got) != 2 || got[0] != clock.now.Add(b.lease()).UnixMilli() || got[1] != clock.now.UnixMilli() {
		t.Fatalf("pending next_at = %v; want the first leased, the second due now (%d)", got, clock.now.UnixMilli())
	}
	noCall(t, g)
	close(g.release)
	if _, err := b.dispatchDue(context.Background()); err != nil { // waits for the worker
		t.Fatal(err)
	}
	waitCall(t, g)
	waitNonePending(t, db, "after the loop's delivery")
}

// A PutEvents on a bus that was closed writes its delivery due, for the
// loop of the next start, and starts nothing.
func TestPutEventsAfterCloseStartsNoDelivery(t *testing.T) {
	db := openHandoffDB(t)
	clock := &stepClock{now: time.UnixMilli(1_700_000_000_000)}
	g := newGate()
	b := handoffBus(t, db, clock, g, 4)
	runWithoutLoop(b)
	b.Close()
	putOne(t, b)
	noCall(t, g)
	if got := nextAts(t, db); len(got) != 1 || got[0] != clock.now.UnixMilli() {
		t.Fatalf("pending next_at = %v; want one due now", got)
	}
}
