package eventbus

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// epoch is a timestamp of the AWS JSON 1.1 protocol: a JSON number of
// epoch seconds, with milliseconds, both ways (the SDKs send and read that;
// a request may also give RFC 3339 text).
type epoch time.Time

// MarshalJSON writes epoch seconds.
func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds or RFC 3339 text.
func (e *epoch) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errors.New("expected a timestamp (epoch seconds or RFC 3339)")
		}
		*e = epoch(t)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return errors.New("expected a timestamp (epoch seconds or RFC 3339)")
	}
	// To the millisecond, AWS's precision: the float's last bits are noise.
	*e = epoch(time.UnixMilli(int64(math.Round(secs * 1000))).UTC())
	return nil
}

// stamp is t as a response timestamp, nil (left out) for the zero time.
func stamp(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
