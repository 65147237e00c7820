package eventbus

import (
	"encoding/json"
	"testing"
	"time"
)

// Timestamps go both ways as epoch seconds to the millisecond; a float's
// noise does not move one a millisecond down.
func TestEpochRoundTrip(t *testing.T) {
	for _, in := range []string{`1796421353.26`, `1796421353.259999`, `"2026-12-04T21:55:53.26Z"`} {
		var e epoch
		if err := json.Unmarshal([]byte(in), &e); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if want := time.UnixMilli(1796421353260); !time.Time(e).Equal(want) {
			t.Fatalf("%s read as %s, want %s", in, time.Time(e), want)
		}
		if out, _ := json.Marshal(e); string(out) != "1796421353.26" {
			t.Fatalf("%s written as %s", in, out)
		}
	}
	var e epoch
	if err := json.Unmarshal([]byte(`true`), &e); err == nil {
		t.Fatal("true read as a timestamp")
	}
}
