package localtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPollReturnsOnceDone(t *testing.T) {
	n := 0
	err := Poll(context.Background(), 5*time.Second, time.Millisecond, "it", func() (bool, error) {
		n++
		return n == 3, nil
	})
	if err != nil || n != 3 {
		t.Fatalf("Poll = %v after %d calls, want nil after 3", err, n)
	}
}

func TestPollReturnsTheErrorDoneWith(t *testing.T) {
	boom := errors.New("boom")
	if err := Poll(context.Background(), 5*time.Second, time.Millisecond, "it", func() (bool, error) { return true, boom }); err != boom {
		t.Fatalf("Poll = %v, want %v", err, boom)
	}
}

func TestPollTimesOutNamingTheLastState(t *testing.T) {
	n := 0
	start := time.Now()
	// 200 ms at a 5 ms interval: a stall long enough to skip every call
	// after the first is then far less likely than with 50 ms.
	err := Poll(context.Background(), 200*time.Millisecond, 5*time.Millisecond, "it", func() (bool, error) {
		n++
		return false, fmt.Errorf("state %d", n)
	})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "it: ") || !strings.Contains(err.Error(), fmt.Sprintf("(last: state %d)", n)) {
		t.Fatalf("Poll = %v, want a deadline error naming state %d", err, n)
	}
	if d := time.Since(start); d < 200*time.Millisecond || n < 2 {
		t.Fatalf("gave up after %v and %d calls", d, n)
	}
}

func TestPollStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Poll(ctx, time.Minute, time.Millisecond, "it", func() (bool, error) { return false, nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll = %v, want context.Canceled", err)
	}
}

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as the real one does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r)
}

func eventually(within time.Duration, cond func() (bool, string)) (msg string) {
	r := &recorder{TB: nil}
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
		msg = r.msg
	}()
	Eventually(r, within, "the thing", cond)
	return ""
}

func TestEventually(t *testing.T) {
	n := 0
	if msg := eventually(5*time.Second, func() (bool, string) { n++; return n == 2, "" }); msg != "" || n != 2 {
		t.Fatalf("Eventually failed (%q) or called cond %d times, want 2", msg, n)
	}
	msg := eventually(40*time.Millisecond, func() (bool, string) { return false, "still pending" })
	if !strings.Contains(msg, "the thing") || !strings.Contains(msg, "(last: still pending)") {
		t.Fatalf("timeout message %q does not name what and the last state", msg)
	}
}
