// Package reqbody reads an HTTP request body whole, into a buffer of its
// declared length when it has one: one allocation for the common body,
// where io.ReadAll grows its buffer from 512 bytes.
package reqbody

import "io"

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
