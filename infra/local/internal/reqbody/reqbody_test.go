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

// Take hands over what is unread of a Body, and leaves it read; any other
// reader, or a Body past the limit, is left alone.
func TestTakeHandsOverTheUnreadRestOfABodyOnly(t *testing.T) {
	b := NewBody([]byte("0123456789"))
	head := make([]byte, 3)
	if n, err := b.Read(head); n != 3 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	if _, ok := Take(b, 6); ok {
		t.Fatal("took 7 bytes past a limit of 6")
	}
	rest, ok := Take(b, 7)
	if !ok || string(rest) != "3456789" {
		t.Fatalf("took %q, %v; want \"3456789\", true", rest, ok)
	}
	if n, err := b.Read(head); n != 0 || err != io.EOF {
		t.Errorf("after Take, read %d, %v; want 0, EOF", n, err)
	}
	if again, ok := Take(b, 7); !ok || len(again) != 0 {
		t.Errorf("second Take: %q, %v; want empty, true", again, ok)
	}
	r := strings.NewReader("abc")
	if _, ok := Take(r, 10); ok || r.Len() != 3 {
		t.Errorf("took from a strings.Reader (ok %v, %d bytes left)", ok, r.Len())
	}
}
