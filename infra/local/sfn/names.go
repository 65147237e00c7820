package sfn

import (
	"strings"
	"unicode"
)

// validName applies AWS's rules for state machine and execution names.
func validName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// nameFromARN returns the last ':'-separated part of an ARN.
func nameFromARN(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}
