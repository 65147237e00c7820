package sqs

import (
	"strings"
	"testing"
)

// TestNumberAttributeValues: a Number attribute is a decimal number of up to
// 38 significant digits between 10^-128 and 10^+126, as the SQS developer
// guide words it; Go's number syntaxes are not.
func TestNumberAttributeValues(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-1", "+1", "1.5", "1.", ".5", "0.000", "007", "1e10", "1E-10", "-2.5e+3",
		strings.Repeat("9", 38), "1" + strings.Repeat("0", 100), "1e125", "9.99e125", "1e-128", "0e999999",
		"1" + strings.Repeat("0", 125), "0." + strings.Repeat("0", 127) + "1"} {
		if !validNumber(s) {
			t.Errorf("%.60q refused", s)
		}
	}
	for _, s := range []string{"", "Inf", "-inf", "NaN", "0x10", "0b101", "1_000", " 1", "1 ", "1e", "e5", ".", "-", "1.2.3",
		"1e1000000000", strings.Repeat("9", 39), "1" + strings.Repeat("0", 126), "1e126", "1e-129", "12,5"} {
		if validNumber(s) {
			t.Errorf("%.60q accepted", s)
		}
	}
}
