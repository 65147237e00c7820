package local

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func newLoopback(h http.Handler, next http.RoundTripper) *loopback {
	t := &loopback{host: "127.0.0.1:4566", next: next, target: newLoopTarget()}
	t.target.handler.Store(&h)
	return t
}

var errNext = errors.New("went to the network")

func toNext(*http.Request) (*http.Response, error) { return nil, errNext }

func TestLoopbackServesTheStackInProcess(t *testing.T) {
	var seen *http.Request
	var body string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("X-Amzn-Requestid", "r-1")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ValidationException"}`)
	})
	c := &http.Client{Transport: newLoopback(h, roundTripFunc(toNext))}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/queue?x=1", strings.NewReader(`{"a":1}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || string(got) != `{"__type":"ValidationException"}` ||
		resp.Header.Get("X-Amzn-Requestid") != "r-1" || resp.ContentLength != int64(len(got)) {
		t.Fatalf("response = %d %q %v (length %d)", resp.StatusCode, got, resp.Header, resp.ContentLength)
	}
	if seen == nil || seen.RequestURI != "/queue?x=1" || seen.Host != "127.0.0.1:4566" ||
		seen.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessage" || body != `{"a":1}` {
		t.Fatalf("the handler saw %+v with body %q", seen, body)
	}
}

func TestLoopbackSendsOtherHostsToTheNetwork(t *testing.T) {
	c := &http.Client{Transport: newLoopback(http.NotFoundHandler(), roundTripFunc(toNext))}
	for _, u := range []string{"http://valuations.example.com/valuations", "http://127.0.0.1:4567/", "https://127.0.0.1:4566/"} {
		if _, err := c.Get(u); !errors.Is(err, errNext) {
			t.Errorf("GET %s: err = %v, want the next transport's", u, err)
		}
	}
	// Before the stack serves, nothing is in-process.
	idle := &loopback{host: "127.0.0.1:4566", next: roundTripFunc(toNext), target: newLoopTarget()}
	if _, err := (&http.Client{Transport: idle}).Get("http://127.0.0.1:4566/"); !errors.Is(err, errNext) {
		t.Errorf("before serving: err = %v, want the next transport's", err)
	}
}

func TestLoopbackPanicIsAnErrorForThatCall(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	_, err := (&http.Client{Transport: newLoopback(h, roundTripFunc(toNext))}).Get("http://127.0.0.1:4566/x")
	if err == nil || !strings.Contains(err.Error(), "handler panic: boom") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
}

func TestLoopbackHonoursTheCallersDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }) // ignores its context
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:4566/slow", nil)
	_, err := (&http.Client{Transport: newLoopback(h, roundTripFunc(toNext))}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

// Closing waits for the calls running in-process; later calls go to the
// network (a closed socket by then), not to the closing stack.
func TestLoopbackCloseWaitsForRunningCalls(t *testing.T) {
	release := make(chan struct{})
	var finished atomic.Bool
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release; finished.Store(true) })
	lb := newLoopback(h, roundTripFunc(toNext))
	go func() { _, _ = (&http.Client{Transport: lb}).Get("http://127.0.0.1:4566/slow") }()
	for lb.target.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(release) })
	lb.target.close(5 * time.Second)
	if !finished.Load() {
		t.Fatal("close returned while a call was still running in-process")
	}
	if _, err := (&http.Client{Transport: lb}).Get("http://127.0.0.1:4566/"); !errors.Is(err, errNext) {
		t.Fatalf("after close: err = %v, want the next transport's", err)
	}
}

// watchedBody is a request body that records reads after the call returned.
type watchedBody struct {
	r        io.Reader
	returned *atomic.Bool
	late     *atomic.Bool
}

func (b watchedBody) Read(p []byte) (int, error) {
	if b.returned.Load() {
		b.late.Store(true)
	}
	return b.r.Read(p)
}

func (watchedBody) Close() error { return nil }

// A handler still running after the caller gave up reads its own copy of the
// body, never the caller's stream (which the SDK rewinds for its retry).
func TestLoopbackHandlerAfterTheDeadlineReadsItsOwnBody(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	got := make(chan string, 1)
	h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	})
	var returned, late atomic.Bool
	for _, length := range []int64{7, -1} { // declared, and unknown
		// The deadline passes once the handler runs, not after a time: on
		// a slow machine a timer could pass it before the call reached
		// the handler, which would then never run.
		ctx := deadlineAfter(entered)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:4566/slow", nil)
		req.Body, req.ContentLength = watchedBody{r: strings.NewReader(`{"a":1}`), returned: &returned, late: &late}, length
		returned.Store(false)
		_, err := newLoopback(h, roundTripFunc(toNext)).RoundTrip(req)
		returned.Store(true)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", err)
		}
		release <- struct{}{}
		if b := <-got; b != `{"a":1}` || late.Load() {
			t.Fatalf("Content-Length %d: the late handler read %q (the caller's body after it returned: %v)", length, b, late.Load())
		}
	}
}

// passedDeadline is a context whose deadline passes when done is closed.
type passedDeadline struct {
	context.Context
	done chan struct{}
}

func (c passedDeadline) Done() <-chan struct{} { return c.done }

func (c passedDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// deadlineAfter returns a context whose deadline passes once signal has
// sent once.
func deadlineAfter(signal <-chan struct{}) context.Context {
	c := passedDeadline{Context: context.Background(), done: make(chan struct{})}
	go func() {
		<-signal
		close(c.done)
	}()
	return c
}

// A body is read whole whether its declared length is right, short or long.
func TestLoopbackReadsTheWholeBody(t *testing.T) {
	got := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	})
	lb := newLoopback(h, roundTripFunc(toNext))
	body := strings.Repeat("x", 3000)
	for _, length := range []int64{3000, 10, 5000, 0, -1} {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
		req.Body, req.ContentLength = io.NopCloser(iotest.OneByteReader(strings.NewReader(body))), length
		if _, err := lb.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if b := <-got; b != body {
			t.Errorf("Content-Length %d: the handler read %d bytes, want %d", length, len(b), len(body))
		}
	}
}
