package reqbody

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// A body is read whole whatever its declared length says: right, short,
// long, unknown or past the presize bound, and in reads of any size.
func TestReadsTheWholeBodyWhateverItsDeclaredLength(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	for _, declared := range []int64{-1, 0, 1, 999, 1000, 1001, 5000, 1 << 30} {
		for name, r := range map[string]io.Reader{
			"plain":    strings.NewReader(body),
			"one byte": iotest.OneByteReader(strings.NewReader(body)),
			"half":     iotest.HalfReader(strings.NewReader(body)),
		} {
			got, err := Read(r, declared, 1<<20)
			if err != nil || string(got) != body {
				t.Errorf("declared %d, %s: read %d bytes, %v", declared, name, len(got), err)
			}
		}
	}
}

// A read error comes back with what was read before it.
func TestReturnsTheReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))
	got, err := Read(r, 10, 1<<20)
	if !errors.Is(err, boom) || !bytes.Equal(got, []byte("abc")) {
		t.Fatalf("got %q, %v; want \"abc\", boom", got, err)
	}
}
