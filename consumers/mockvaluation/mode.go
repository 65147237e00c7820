package mockvaluation

import (
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"loanflow/contracts"
)

// Mode is how the mock service behaves for one request, chosen by a marker
// "mock:<mode>" in the property's name (e.g. "12 mock:late").
type Mode string

// Fault modes.
const (
	// ModeNormal values the property and calls back once.
	ModeNormal Mode = "normal"
	// ModeFailed calls back with a FAILED valuation (ACCESS_REFUSED).
	ModeFailed Mode = "failed"
	// ModeLate calls back after Config.LateDelay, past the processor's timeout.
	ModeLate Mode = "late"
	// ModeDuplicate calls back twice with the same valuation.
	ModeDuplicate Mode = "duplicate"
	// ModeUnknownReference calls back on a random callback id.
	ModeUnknownReference Mode = "unknown-reference"
	// ModeNoCallback accepts the request and never calls back.
	ModeNoCallback Mode = "no-callback"
	// ModeServerError answers every request with 503.
	ModeServerError Mode = "server-error"
	// ModeSlow waits Config.SlowResponse before accepting the request.
	ModeSlow Mode = "slow"
	// ModeFlaky answers 503 to the first request for an idempotency key and
	// accepts the retries (per function instance: on AWS a retry may meet a
	// fresh instance and fail once more).
	ModeFlaky Mode = "flaky"
	// ModeForged signs the callback with the wrong key.
	ModeForged Mode = "forged"
	// ModeStale signs the callback with a timestamp a day old.
	ModeStale Mode = "stale"
)

// Modes lists every mode.
var Modes = []Mode{ModeNormal, ModeFailed, ModeLate, ModeDuplicate, ModeUnknownReference, ModeNoCallback,
	ModeServerError, ModeSlow, ModeFlaky, ModeForged, ModeStale}

var (
	modeMarker  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\bmock:([a-z-]+)`) })
	valueMarker = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\bvalue=([0-9]{1,12})\b`) })
)

// ParseMode returns the mode a property name asks for; ModeNormal without a
// known marker.
func ParseMode(name string) Mode {
	m := modeMarker().FindStringSubmatch(name)
	if m == nil {
		return ModeNormal
	}
	want := Mode(strings.ToLower(m[1]))
	for _, mode := range Modes {
		if mode == want {
			return mode
		}
	}
	return ModeNormal
}

// PropertyValue is the mock's valuation in pence: "value=<pence>" in the
// name pins it; otherwise it is derived from the address, between £150,000
// and £899,000 in £1,000 steps, the same every time.
func PropertyValue(p contracts.Property) int64 {
	if m := valueMarker().FindStringSubmatch(p.Name); m != nil {
		if v, err := strconv.ParseInt(m[1], 10, 64); err == nil && v > 0 {
			return v
		}
	}
	a := p.Address
	key := strings.ToUpper(strings.Join([]string{a.Line1, a.Line2, a.Town, strings.ReplaceAll(a.Postcode, " ", "")}, "|"))
	sum := sha256.Sum256([]byte(key))
	thousands := 150 + int64(binary.BigEndian.Uint64(sum[:8])%750)
	return thousands * 1000 * 100
}
