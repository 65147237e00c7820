// Package modellen measures strings as AWS's API models bound them: a
// length constraint ("Member must have length less than or equal to 256")
// counts UTF-16 code units, as the Java strings behind the services do, not
// bytes: "é" is 1, an emoji 2.
package modellen

import "unicode/utf16"

// Len is the length of s in UTF-16 code units.
func Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
