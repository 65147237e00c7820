// Package ids makes the local stack's random identifiers: RFC 4122 version 4
// UUIDs, as AWS gives message ids, execution names, subscription ids and
// States.UUID. Hand-written (ten lines) rather than github.com/google/uuid,
// which implements database/sql's Scanner and Valuer and so would pull
// database/sql/driver into the pure ASL interpreter.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
)

// UUID returns a random version 4 UUID in its canonical form.
func UUID() string {
	s, err := FromReader(rand.Reader)
	if err != nil { // crypto/rand.Reader does not fail (it crashes the process first)
		panic(fmt.Sprintf("ids: read random bytes: %v", err))
	}
	return s
}

// FromReader returns the version 4 UUID made of the next 16 bytes of r (a
// seeded source makes it reproducible).
func FromReader(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("uuid: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var u [36]byte
	hex.Encode(u[0:8], b[0:4])
	u[8] = '-'
	hex.Encode(u[9:13], b[4:6])
	u[13] = '-'
	hex.Encode(u[14:18], b[6:8])
	u[18] = '-'
	hex.Encode(u[19:23], b[8:10])
	u[23] = '-'
	hex.Encode(u[24:], b[10:])
	return string(u[:]), nil
}
