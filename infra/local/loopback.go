package local

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"loanflow/infra/local/internal/reqbody"
	"loanflow/infra/local/internal/warm"
)

// loopback carries the functions' own HTTP calls to this stack (AWS SDK calls,
// the valuation request, the signed callback) to the stack's handler in-process:
// the same request and response bytes through the same handlers as over the
// socket, without the socket. A request for any other host goes to next.
type loopback struct {
	host   string // the stack's listen address, host:port
	target *loopTarget
	next   http.RoundTripper
}

// loopTarget is the stack's handler, shared by every loopback of one stack.
type loopTarget struct {
	handler atomic.Pointer[http.Handler] // nil until the stack serves and once it closes
	calls   atomic.Int64                 // in-process calls still running
	// workers run the handler: goroutines that keep the stack they grew
	// serving one call for the next, as a server's connection goroutines do.
	workers *warm.Pool
}

// workerIdle is how long a loopback worker waits for its next call before it ends.
const workerIdle = 10 * time.Second

func newLoopTarget() *loopTarget { return &loopTarget{workers: warm.New(workerIdle)} }

// close makes later calls go to the socket (closed by then) and waits, up
// to limit, for the calls still running in-process.
func (t *loopTarget) close(limit time.Duration) {
	t.handler.Store(nil)
	t.workers.Close()
	for deadline := time.Now().Add(limit); t.calls.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// enter counts a call and returns the handler to serve it, or nil (the call
// not counted) when the stack does not serve in-process. The call is counted
// before the handler is read, so that close, which clears the handler and then
// waits for the count, cannot miss it.
func (t *loopTarget) enter() *http.Handler {
	t.calls.Add(1)
	hp := t.handler.Load()
	if hp == nil {
		t.leave()
	}
	return hp
}

func (t *loopTarget) leave() { t.calls.Add(-1) }

func (t *loopback) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != t.host || req.URL.Scheme != "http" {
		return t.next.RoundTrip(req)
	}
	hp := t.target.enter()
	if hp == nil {
		return t.next.RoundTrip(req)
	}
	if err := req.Context().Err(); err != nil {
		t.target.leave()
		closeBody(req)
		return nil, err
	}
	// The server's view of the request, as net/http would build it, with a
	// body of its own: a handler still running after the caller gave up must
	// not read the stream that the SDK rewinds for its retry.
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := reqbody.Read(req.Body, req.ContentLength, maxPresizedBody)
		closeBody(req)
		if err != nil {
			t.target.leave()
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = b
	} else {
		closeBody(req)
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	in.Host = req.URL.Host
	in.Body, in.ContentLength = http.NoBody, 0
	if len(body) > 0 {
		in.Body, in.ContentLength = reqbody.NewBody(body), int64(len(body))
	}
	// The handler runs on a goroutine of its own (a worker's, free until
	// the handler returns) so that the caller's deadline ends the call even
	// if a handler is slow to notice it, as a socket would.
	rec := &recorder{header: make(http.Header)}
	done := make(chan error, 1)
	t.target.workers.Go(func() {
		defer t.target.leave()
		done <- serve(*hp, rec, in)
	})
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	out := rec.body.Bytes()
	rec.header["Content-Length"] = []string{strconv.Itoa(len(out))} // the canonical key, as Set would make it
	return &http.Response{
		Status:        statusLine(rec.code),
		StatusCode:    rec.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       req,
	}, nil
}

// maxPresizedBody bounds the buffer allocated up front for a declared length.
const maxPresizedBody = 16 << 20

// statusLine is the Status of a response with that code, as net/http's
// client gives it ("200 OK").
func statusLine(code int) string {
	switch code {
	case http.StatusOK:
		return "200 OK"
	case http.StatusBadRequest:
		return "400 Bad Request"
	}
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// serve runs the handler; a panic becomes an error for this one call, as the
// HTTP server would turn it into a closed connection.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s %s: handler panic: %v", r.Method, r.URL.Path, p)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
}

// recorder is the http.ResponseWriter of an in-process call.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(p)
}

// Flush lets streaming handlers (server-sent events) run; the caller sees the
// body when the handler returns.
func (r *recorder) Flush() {}

// through wraps a function's own HTTP transport with the stack's: calls to
// the stack stay in-process, calls elsewhere (a real valuation service) go
// out through next.
func (t *loopback) through(next http.RoundTripper) http.RoundTripper {
	return &loopback{host: t.host, next: next, target: t.target}
}
