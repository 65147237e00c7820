package ids

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUIDIsVersion4AndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		u := UUID()
		if !canonical.MatchString(u) {
			t.Fatalf("%q is not a canonical version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("%q came twice", u)
		}
		seen[u] = true
	}
}

func TestFromReaderIsReproducible(t *testing.T) {
	src := bytes.Repeat([]byte{0xff}, 16)
	got, err := FromReader(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := "ffffffff-ffff-4fff-bfff-ffffffffffff"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := FromReader(strings.NewReader("short")); err == nil {
		t.Fatal("a reader with fewer than 16 bytes made a UUID")
	}
}
