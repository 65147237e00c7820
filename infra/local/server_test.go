package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// startServer serves h with the stack's server settings, requestReadTimeout
// set to d.
func startServer(t *testing.T, d time.Duration, h http.Handler) *httptest.Server {
	t.Helper()
	was := requestReadTimeout
	requestReadTimeout = d
	t.Cleanup(func() { requestReadTimeout = was })
	srv := httptest.NewUnstartedServer(h)
	srv.Config = newHTTPServer(h)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// TestSlowBodyTimesOut declares a body and sends one byte of it, once with
// a length and once chunked: the read fails once requestReadTimeout has
// passed, where it used to wait for ever.
func TestSlowBodyTimesOut(t *testing.T) {
	readErr := make(chan error, 1)
	srv := startServer(t, 200*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
	}))
	for _, head := range []string{"Content-Length: 8388608\r\n\r\nx", "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "POST / HTTP/1.1\r\nHost: x\r\n%s", head)
		w.Flush()
		select {
		case err := <-readErr:
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("%q: reading the slow body: %v, want a timeout", head, err)
			}
		case <-time.After(30 * time.Second):
			conn.Close() // lets the handler, and the server's Close, return
			t.Fatalf("%q: the slow body was still being read after 30 s", head)
		}
		conn.Close()
	}
}

// TestReadTimeoutEndsWithTheBody reads a body, then keeps the request open
// five times requestReadTimeout, as a long poll does: the request's context
// must not end, and the answer must arrive. The same without a body.
func TestReadTimeoutEndsWithTheBody(t *testing.T) {
	const d = 100 * time.Millisecond
	srv := startServer(t, d, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(5 * d):
			fmt.Fprintf(w, "held %d bytes", len(b))
		case <-r.Context().Done():
			http.Error(w, "cancelled", http.StatusServiceUnavailable)
		}
	}))
	for _, body := range []string{`{"WaitTimeSeconds":20}`, ""} {
		resp, err := srv.Client().Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("held %d bytes", len(body)); resp.StatusCode != http.StatusOK || string(got) != want {
			t.Errorf("body %q: %d %q, want 200 %q", body, resp.StatusCode, got, want)
		}
	}
}
