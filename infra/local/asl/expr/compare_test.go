package expr

import "testing"

// Strings order by UTF-16 code units: a character beyond U+FFFF (a
// surrogate pair, 0xD83D...) sorts before U+FF5E, unlike by code point.
func TestCompareUTF16(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"abc", "abd", -1},
		{"abc", "ab", 1},
		{"same", "same", 0},
		{"\U0001F600", "\uFF5E", -1},
		{"x\uFF5E", "x\U0001F600", 1},
		{"é", "e", 1},
	} {
		if got := CompareUTF16(c.a, c.b); got != c.want {
			t.Errorf("CompareUTF16(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
