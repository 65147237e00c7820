package dynamo

import (
	"math/big"
	"regexp"
	"strings"
	"sync"
)

// decimal is an exact number: mant × 10^exp.
type decimal struct {
	mant *big.Int
	exp  int
}

// DynamoDB's number limits (developer guide, "Data types"): up to 38
// significant digits, magnitude from 1E-130 to
// 9.9999999999999999999999999999999999999E+125, positive or negative.
const (
	maxNumberDigits    = 38
	maxNumberMagnitude = 125
	minNumberMagnitude = -130
	// maxNumberLength bounds the text of a number parsed at all.
	maxNumberLength = 200
	// maxExponent bounds the exponents parsed at all: past it a non-zero
	// number is out of range whatever its (at most 200) digits, and no sum
	// has to scale a mantissa by a larger power of ten.
	maxExponent = 1000
)

// DynamoDB's messages for a number it cannot store (dynalite's tests, which
// run against DynamoDB, and DynamoDB Local's error table give the wording).
const (
	msgNumberOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgNumberUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgNumberPrecision = "Attempting to store more than 38 significant digits in a Number"
)

var numberRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`) })

var bigTen = big.NewInt(10)

// parseNumber parses a number a request gives: valid syntax, within
// DynamoDB's limits.
func parseNumber(s string) (decimal, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return decimal{}, err
	}
	if msg := d.limit(); msg != "" {
		return decimal{}, validation("%s", msg)
	}
	return d, nil
}

// parseDecimal parses a decimal number without DynamoDB's precision and
// magnitude limits, so that a value an older version stored still compares
// and adds; only an exponent past maxExponent is refused.
func parseDecimal(s string) (decimal, error) {
	s = strings.TrimSpace(s)
	if d, ok := plainInteger(s); ok {
		return d, nil
	}
	return parseDecimalText(s)
}

// plainInteger parses s when it is up to 18 decimal digits and nothing else
// (an epoch-seconds TTL, a count, a price in minor units: most numbers an
// item holds), to what parseDecimalText returns for it, without a regular
// expression or big-number division; ok is false for any other text.
func plainInteger(s string) (d decimal, ok bool) {
	if len(s) == 0 || len(s) > 18 {
		return decimal{}, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return decimal{}, false
		}
		n = n*10 + int64(c-'0')
	}
	exp := 0
	for n != 0 && n%10 == 0 {
		n, exp = n/10, exp+1
	}
	return decimal{mant: big.NewInt(n), exp: exp}, true
}

// parseDecimalText is parseDecimal for trimmed text of any form.
func parseDecimalText(s string) (decimal, error) {
	if !numberRE().MatchString(s) || len(s) > maxNumberLength {
		return decimal{}, validation("The parameter cannot be converted to a numeric value: %s", s)
	}
	mantStr, expStr, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mantStr, ".")
	m, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return decimal{}, validation("The parameter cannot be converted to a numeric value: %s", s)
	}
	if m.Sign() == 0 {
		return decimal{mant: m}, nil
	}
	exp := -len(frac)
	if expStr != "" {
		n, _ := new(big.Int).SetString(expStr, 10) // digits, by numberRE
		if n.CmpAbs(big.NewInt(maxExponent)) > 0 {
			if n.Sign() > 0 {
				return decimal{}, validation("%s", msgNumberOverflow)
			}
			return decimal{}, validation("%s", msgNumberUnderflow)
		}
		exp += int(n.Int64())
	}
	return decimal{mant: m, exp: exp}.norm(), nil
}

// limit returns DynamoDB's message for a number outside its limits, or "".
// Like DynamoDB it checks the magnitude before the precision.
func (d decimal) limit() string {
	if d.mant.Sign() == 0 {
		return ""
	}
	digits := d.digits()
	switch mag := d.exp + digits - 1; {
	case mag > maxNumberMagnitude:
		return msgNumberOverflow
	case mag < minNumberMagnitude:
		return msgNumberUnderflow
	case digits > maxNumberDigits:
		return msgNumberPrecision
	}
	return ""
}

// checkResult checks the result of SET's + and - and of ADD. DynamoDB answers
// a result with more than 38 significant digits (1E+50 + 1) with its overflow
// message, not the precision one, as ScyllaDB's Alternator tests observed
// against DynamoDB (test_number.py, test_update_expression_plus_imprecise).
func (d decimal) checkResult() error {
	switch msg := d.limit(); msg {
	case "":
		return nil
	case msgNumberPrecision:
		return validation("%s", msgNumberOverflow)
	default:
		return validation("%s", msg)
	}
}

func (d decimal) digits() int { return len(new(big.Int).Abs(d.mant).String()) }

// norm strips trailing zeros from the mantissa.
func (d decimal) norm() decimal {
	m := new(big.Int).Set(d.mant)
	if m.Sign() == 0 {
		return decimal{mant: m}
	}
	r := new(big.Int)
	for {
		q, rem := new(big.Int).QuoRem(m, bigTen, r)
		if rem.Sign() != 0 {
			break
		}
		m, d.exp = q, d.exp+1
	}
	return decimal{mant: m, exp: d.exp}
}

// String formats d as a plain decimal without exponent.
func (d decimal) String() string {
	neg := d.mant.Sign() < 0
	s := new(big.Int).Abs(d.mant).String()
	switch {
	case d.exp >= 0:
		s += strings.Repeat("0", d.exp)
	case len(s) > -d.exp:
		s = s[:len(s)+d.exp] + "." + s[len(s)+d.exp:]
	default:
		s = "0." + strings.Repeat("0", -d.exp-len(s)) + s
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}

// align returns the mantissas of a and b scaled to a common exponent.
func align(a, b decimal) (*big.Int, *big.Int, int) {
	exp := min(a.exp, b.exp)
	scale := func(d decimal) *big.Int {
		return new(big.Int).Mul(d.mant, new(big.Int).Exp(bigTen, big.NewInt(int64(d.exp-exp)), nil))
	}
	return scale(a), scale(b), exp
}

func (d decimal) cmp(o decimal) int {
	a, b, _ := align(d, o)
	return a.Cmp(b)
}

func (d decimal) add(o decimal) decimal {
	a, b, exp := align(d, o)
	return decimal{mant: a.Add(a, b), exp: exp}.norm()
}

func (d decimal) neg() decimal { return decimal{mant: new(big.Int).Neg(d.mant), exp: d.exp} }

// addNumbers returns a + b (a - b with minus) for SET's arithmetic and ADD.
// The operands may be stored values outside DynamoDB's limits; the result is
// refused unless it is within them, so that nothing out of range is stored.
func addNumbers(a, b string, minus bool) (Value, error) {
	x, err := parseDecimal(a)
	if err != nil {
		return Value{}, err
	}
	y, err := parseDecimal(b)
	if err != nil {
		return Value{}, err
	}
	if minus {
		y = y.neg()
	}
	r := x.add(y)
	if err := r.checkResult(); err != nil {
		return Value{}, err
	}
	return Value{Type: TypeN, S: r.String()}, nil
}

// normalizeNumber returns the canonical form of a number string.
func normalizeNumber(s string) (string, error) {
	d, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// compareNumbers compares two number strings; one that is not a number
// compares as text.
func compareNumbers(a, b string) int {
	da, err1 := parseDecimal(a)
	db, err2 := parseDecimal(b)
	if err1 != nil || err2 != nil {
		return strings.Compare(a, b)
	}
	return da.cmp(db)
}
