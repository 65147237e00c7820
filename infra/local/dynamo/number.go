package dynamo

import (
	"math/big"
	"regexp"
	"strings"
)

// decimal is an exact number: mant × 10^exp.
type decimal struct {
	mant *big.Int
	exp  int
}

var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

var bigTen = big.NewInt(10)

// parseNumber parses a DynamoDB number (at most 38 significant digits).
func parseNumber(s string) (decimal, error) {
	s = strings.TrimSpace(s)
	if !numberRE.MatchString(s) || len(s) > 200 {
		return decimal{}, validation("The parameter cannot be converted to a numeric value: %s", s)
	}
	mantStr, expStr, _ := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if expStr != "" {
		n, ok := new(big.Int).SetString(expStr, 10)
		if !ok || !n.IsInt64() || n.Int64() > 1000 || n.Int64() < -1000 {
			return decimal{}, validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
		}
		exp = int(n.Int64())
	}
	intPart, frac, _ := strings.Cut(mantStr, ".")
	exp -= len(frac)
	m, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return decimal{}, validation("The parameter cannot be converted to a numeric value: %s", s)
	}
	d := decimal{mant: m, exp: exp}.norm()
	if len(new(big.Int).Abs(d.mant).String()) > 38 {
		return decimal{}, validation("Attempting to store more than 38 significant digits in a Number")
	}
	if d.mant.Sign() != 0 && (d.exp+len(new(big.Int).Abs(d.mant).String()) > 126 || d.exp+len(new(big.Int).Abs(d.mant).String()) < -129) {
		return decimal{}, validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
	}
	return d, nil
}

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

// normalizeNumber returns the canonical form of a number string.
func normalizeNumber(s string) (string, error) {
	d, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// compareNumbers compares two canonical number strings.
func compareNumbers(a, b string) int {
	da, err1 := parseNumber(a)
	db, err2 := parseNumber(b)
	if err1 != nil || err2 != nil {
		return strings.Compare(a, b)
	}
	return da.cmp(db)
}
