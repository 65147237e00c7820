// Package reqbody reads an HTTP request body whole, into a buffer of its
// declared length when it has one: one allocation for the common body,
// where io.ReadAll grows its buffer from 512 bytes.
package reqbody

import (
	"bytes"
	"io"
)

// Read reads r to its end, as io.ReadAll does. declared is the body's
// declared length (http.Request.ContentLength): when it is positive and at
// most presize, the buffer is allocated at that length up front; a body
// longer or shorter than declared is still read whole. Any bound on the
// body's size is r's (http.MaxBytesReader).
func Read(r io.Reader, declared, presize int64) ([]byte, error) {
	if declared <= 0 || declared > presize {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, declared+1) // the extra byte lets the read that sees EOF not grow it
	for {
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// Body is a request body held whole in memory by an in-process transport
// (the loopback's copy of its caller's body, which nothing else holds): a
// handler may Take its bytes instead of reading them into a copy of its own.
type Body struct {
	r bytes.Reader
	b []byte
}

// NewBody returns a Body over b; b must not be used by anything else.
func NewBody(b []byte) *Body {
	body := &Body{b: b}
	body.r.Reset(b)
	return body
}

// Read implements io.Reader.
func (b *Body) Read(p []byte) (int, error) { return b.r.Read(p) }

// Close implements io.Closer.
func (b *Body) Close() error { return nil }

// Take returns what is still unread of r when r is a *Body with at most
// limit bytes left, and leaves it read to its end, as reading it whole
// would; ok is false for any other reader, which is left as it was.
func Take(r io.Reader, limit int64) (b []byte, ok bool) {
	body, isBody := r.(*Body)
	if !isBody || int64(body.r.Len()) > limit {
		return nil, false
	}
	rest := body.b[len(body.b)-body.r.Len():]
	body.r.Reset(nil)
	return rest, true
}
