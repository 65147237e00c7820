package jsonata

import (
	"math"
	"math/big"
	"strings"
)

// $formatNumber: XPath F&O fn:format-number, ported from functions.js with
// its quirks. Strings are handled as rune slices (JavaScript indexes UTF-16
// code units; the two agree outside the astral planes).

type rs []rune

func (r rs) indexOf(sub string, from int) int {
	n := []rune(sub)
	if from < 0 {
		from = 0
	}
	if len(n) == 0 {
		if from > len(r) {
			return len(r)
		}
		return from
	}
	for i := from; i+len(n) <= len(r); i++ {
		if string(r[i:i+len(n)]) == sub {
			return i
		}
	}
	return -1
}

func (r rs) lastIndexOf(sub string) int {
	n := []rune(sub)
	for i := len(r) - len(n); i >= 0; i-- {
		if string(r[i:i+len(n)]) == sub {
			return i
		}
	}
	return -1
}

func (r rs) charAt(i int) string {
	if i < 0 || i >= len(r) {
		return ""
	}
	return string(r[i])
}

// substring is String.prototype.substring.
func (r rs) substring(s, e int) rs {
	s = max(0, min(s, len(r)))
	e = max(0, min(e, len(r)))
	if s > e {
		s, e = e, s
	}
	return r[s:e]
}

// slice is String.prototype.slice.
func (r rs) slice(s, e int) rs {
	n := len(r)
	if s < 0 {
		s = max(n+s, 0)
	} else {
		s = min(s, n)
	}
	if e < 0 {
		e = max(n+e, 0)
	} else {
		e = min(e, n)
	}
	if e < s {
		e = s
	}
	return r[s:e]
}

func (r rs) count(pred func(string) bool) int {
	n := 0
	for _, c := range r {
		if pred(string(c)) {
			n++
		}
	}
	return n
}

type picParts struct {
	prefix, suffix, activePart, mantissaPart, integerPart, fractionalPart, subpicture rs
	exponentPart                                                                      rs
	hasExponent                                                                       bool
}

type picVars struct {
	integerPartGroupingPositions    []int
	regularGrouping                 int
	minimumIntegerPartSize          int
	scalingFactor                   int
	prefix, suffix                  rs
	fractionalPartGroupingPositions []int
	minimumFactionalPartSize        int
	maximumFactionalPartSize        int
	minimumExponentSize             int
	picture                         rs
}

func fnFormatNumber(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	value := a[0].(float64)
	picture := argString(a, 1)
	props := map[string]string{
		"decimal-separator":  ".",
		"grouping-separator": ",",
		"exponent-separator": "e",
		"infinity":           "Infinity",
		"minus-sign":         "-",
		"NaN":                "NaN",
		"percent":            "%",
		"per-mille":          "\u2030",
		"zero-digit":         "0",
		"digit":              "#",
		"pattern-separator":  ";",
	}
	if opts := argAt(a, 2); opts != nil {
		for _, k := range objKeys(opts) {
			v, _ := objGet(opts, k)
			if s, ok := v.(string); ok {
				props[k] = s
			} else {
				props[k] = functionString(v, false)
			}
		}
	}
	zero := []rune(props["zero-digit"] + "0")[0]
	family := make([]string, 10)
	for i := range family {
		family[i] = string(zero + rune(i))
	}
	isDigitFamily := func(ch string) bool {
		for _, d := range family {
			if d == ch {
				return true
			}
		}
		return false
	}
	active := append(append([]string{}, family...), props["decimal-separator"], props["exponent-separator"], props["grouping-separator"], props["digit"], props["pattern-separator"])
	isActive := func(ch string) bool {
		for _, x := range active {
			if x == ch {
				return true
			}
		}
		return false
	}
	subPictures := strings.Split(picture, props["pattern-separator"])
	if len(subPictures) > 2 {
		throw(&Error{Code: "D3080"})
	}
	expSep := props["exponent-separator"]
	decSep := props["decimal-separator"]
	grpSep := props["grouping-separator"]
	digit := props["digit"]

	splitParts := func(sp string) picParts {
		sub := rs([]rune(sp))
		var prefix, suffix rs
		for i := 0; i < len(sub); i++ {
			ch := string(sub[i])
			if isActive(ch) && ch != expSep {
				prefix = sub[:i]
				break
			}
		}
		for i := len(sub) - 1; i >= 0; i-- {
			ch := string(sub[i])
			if isActive(ch) && ch != expSep {
				suffix = sub[i+1:]
				break
			}
		}
		p := picParts{prefix: prefix, suffix: suffix, subpicture: sub}
		p.activePart = sub.substring(len(prefix), len(sub)-len(suffix))
		expPos := sub.indexOf(expSep, len(prefix))
		if expPos == -1 || expPos > len(sub)-len(suffix) {
			p.mantissaPart = p.activePart
		} else {
			p.mantissaPart = p.activePart.substring(0, expPos)
			p.exponentPart = p.activePart.substring(expPos+1, len(p.activePart))
			p.hasExponent = true
		}
		dp := p.mantissaPart.indexOf(decSep, 0)
		if dp == -1 {
			p.integerPart = p.mantissaPart
			p.fractionalPart = suffix
		} else {
			p.integerPart = p.mantissaPart.substring(0, dp)
			p.fractionalPart = p.mantissaPart.substring(dp+1, len(p.mantissaPart))
		}
		return p
	}

	validate := func(p picParts) {
		code := ""
		sub := p.subpicture
		decimalPos := sub.indexOf(decSep, 0)
		if decimalPos != sub.lastIndexOf(decSep) {
			code = "D3081"
		}
		if sub.indexOf(props["percent"], 0) != sub.lastIndexOf(props["percent"]) {
			code = "D3082"
		}
		if sub.indexOf(props["per-mille"], 0) != sub.lastIndexOf(props["per-mille"]) {
			code = "D3083"
		}
		if sub.indexOf(props["percent"], 0) != -1 && sub.indexOf(props["per-mille"], 0) != -1 {
			code = "D3084"
		}
		valid := false
		for _, ch := range p.mantissaPart {
			if isDigitFamily(string(ch)) || string(ch) == digit {
				valid = true
				break
			}
		}
		if !valid {
			code = "D3085"
		}
		for _, ch := range p.activePart {
			if !isActive(string(ch)) {
				code = "D3086"
				break
			}
		}
		if decimalPos != -1 {
			if sub.charAt(decimalPos-1) == grpSep || sub.charAt(decimalPos+1) == grpSep {
				code = "D3087"
			}
		} else if p.integerPart.charAt(len(p.integerPart)-1) == grpSep {
			code = "D3088"
		}
		if sub.indexOf(grpSep+grpSep, 0) != -1 {
			code = "D3089"
		}
		if opt := p.integerPart.indexOf(digit, 0); opt != -1 && p.integerPart.substring(0, opt).count(isDigitFamily) > 0 {
			code = "D3090"
		}
		if opt := p.fractionalPart.lastIndexOf(digit); opt != -1 && p.fractionalPart.substring(opt, len(p.fractionalPart)).count(isDigitFamily) > 0 {
			code = "D3091"
		}
		if p.hasExponent && len(p.exponentPart) > 0 && (sub.indexOf(props["percent"], 0) != -1 || sub.indexOf(props["per-mille"], 0) != -1) {
			code = "D3092"
		}
		if p.hasExponent && (len(p.exponentPart) == 0 || p.exponentPart.count(func(s string) bool { return !isDigitFamily(s) }) > 0) {
			code = "D3093"
		}
		if code != "" {
			throw(&Error{Code: code})
		}
	}

	analyse := func(p picParts) picVars {
		groupingPositions := func(part rs, toLeft bool) []int {
			var positions []int
			gp := part.indexOf(grpSep, 0)
			for gp != -1 {
				var chars rs
				if toLeft {
					chars = part.substring(0, gp)
				} else {
					chars = part.substring(gp, len(part))
				}
				positions = append(positions, chars.count(func(s string) bool { return isDigitFamily(s) || s == digit }))
				gp = p.integerPart.indexOf(grpSep, gp+1)
			}
			return positions
		}
		intPositions := groupingPositions(p.integerPart, false)
		regular := func(indexes []int) int {
			if len(indexes) == 0 {
				return 0
			}
			gcd := func(a, b int) int {
				for b != 0 {
					a, b = b, a%b
				}
				return a
			}
			factor := indexes[0]
			for _, x := range indexes[1:] {
				factor = gcd(factor, x)
			}
			for i := 1; i <= len(indexes); i++ {
				found := false
				for _, x := range indexes {
					if x == i*factor {
						found = true
						break
					}
				}
				if !found {
					return 0
				}
			}
			return factor
		}
		v := picVars{integerPartGroupingPositions: intPositions, regularGrouping: regular(intPositions), prefix: p.prefix, suffix: p.suffix, picture: p.subpicture}
		v.fractionalPartGroupingPositions = groupingPositions(p.fractionalPart, true)
		v.minimumIntegerPartSize = p.integerPart.count(isDigitFamily)
		v.scalingFactor = v.minimumIntegerPartSize
		v.minimumFactionalPartSize = p.fractionalPart.count(isDigitFamily)
		v.maximumFactionalPartSize = p.fractionalPart.count(func(s string) bool { return isDigitFamily(s) || s == digit })
		if v.minimumIntegerPartSize == 0 && v.maximumFactionalPartSize == 0 {
			if p.hasExponent {
				v.minimumFactionalPartSize = 1
				v.maximumFactionalPartSize = 1
			} else {
				v.minimumIntegerPartSize = 1
			}
		}
		if p.hasExponent && v.minimumIntegerPartSize == 0 && p.integerPart.indexOf(digit, 0) != -1 {
			v.minimumIntegerPartSize = 1
		}
		if v.minimumIntegerPartSize == 0 && v.minimumFactionalPartSize == 0 {
			v.minimumFactionalPartSize = 1
		}
		if p.hasExponent {
			v.minimumExponentSize = p.exponentPart.count(isDigitFamily)
		}
		return v
	}

	var vars []picVars
	var hasExp []bool
	for _, sp := range subPictures {
		p := splitParts(sp)
		validate(p)
		vars = append(vars, analyse(p))
		hasExp = append(hasExp, p.hasExponent)
	}
	minus := props["minus-sign"]
	zeroDigit := string(zero)
	if len(vars) == 1 {
		v := vars[0]
		v.prefix = append(rs([]rune(minus)), v.prefix...)
		vars = append(vars, v)
	}
	pic := vars[0]
	if value < 0 {
		pic = vars[1]
	}
	adjusted := value
	if pic.picture.indexOf(props["percent"], 0) != -1 {
		adjusted = value * 100
	} else if pic.picture.indexOf(props["per-mille"], 0) != -1 {
		adjusted = value * 1000
	}
	var mantissa float64
	exponent := 0
	hasExponent := pic.minimumExponentSize != 0
	if !hasExponent {
		mantissa = adjusted
	} else {
		maxM := math.Pow(10, float64(pic.scalingFactor))
		minM := math.Pow(10, float64(pic.scalingFactor-1))
		mantissa = adjusted
		if mantissa != 0 && !math.IsInf(mantissa, 0) && !math.IsNaN(mantissa) {
			for math.Abs(mantissa) < minM {
				mantissa *= 10
				exponent--
			}
			for math.Abs(mantissa) > maxM {
				mantissa /= 10
				exponent++
			}
		}
	}
	rounded := roundHalfEven(mantissa, float64(pic.maximumFactionalPartSize))
	makeString := func(v float64, dp int) rs {
		s := toFixed(math.Abs(v), dp)
		if zeroDigit != "0" {
			out := []rune(s)
			for i, d := range out {
				if d >= '0' && d <= '9' {
					out[i] = zero + (d - '0')
				}
			}
			return out
		}
		return rs([]rune(s))
	}
	sv := makeString(rounded, pic.maximumFactionalPartSize)
	if i := sv.indexOf(".", 0); i == -1 {
		sv = append(sv, []rune(decSep)...)
	} else {
		sv = append(append(append(rs{}, sv[:i]...), []rune(decSep)...), sv[i+1:]...)
	}
	for len(sv) > 0 && string(sv[0]) == zeroDigit {
		sv = sv[1:]
	}
	for len(sv) > 0 && string(sv[len(sv)-1]) == zeroDigit {
		sv = sv[:len(sv)-1]
	}
	decimalPos := sv.indexOf(decSep, 0)
	padLeft := pic.minimumIntegerPartSize - decimalPos
	padRight := pic.minimumFactionalPartSize - (len(sv) - decimalPos - 1)
	if padLeft > 0 {
		sv = append(rs([]rune(strings.Repeat(zeroDigit, padLeft))), sv...)
	}
	if padRight > 0 {
		sv = append(sv, []rune(strings.Repeat(zeroDigit, padRight))...)
	}
	insert := func(at int, s string) {
		left := sv.slice(0, at)
		right := sv.slice(at, len(sv))
		if at < 0 {
			left = sv.slice(0, at)
			right = sv.slice(at, len(sv))
		}
		out := append(append(append(rs{}, left...), []rune(s)...), right...)
		sv = out
	}
	decimalPos = sv.indexOf(decSep, 0)
	if pic.regularGrouping > 0 {
		groupCount := int(math.Floor(float64(decimalPos-1) / float64(pic.regularGrouping)))
		for g := 1; g <= groupCount; g++ {
			insert(decimalPos-g*pic.regularGrouping, grpSep)
		}
	} else {
		for _, pos := range pic.integerPartGroupingPositions {
			insert(decimalPos-pos, grpSep)
			decimalPos++
		}
	}
	decimalPos = sv.indexOf(decSep, 0)
	for _, pos := range pic.fractionalPartGroupingPositions {
		insert(pos+decimalPos+1, grpSep)
	}
	decimalPos = sv.indexOf(decSep, 0)
	if pic.picture.indexOf(decSep, 0) == -1 || decimalPos == len(sv)-1 {
		if len(sv) > 0 {
			sv = sv[:len(sv)-1]
		}
	}
	if hasExponent {
		se := makeString(float64(exponent), 0)
		if pl := pic.minimumExponentSize - len(se); pl > 0 {
			se = append(rs([]rune(strings.Repeat(zeroDigit, pl))), se...)
		}
		sign := ""
		if exponent < 0 {
			sign = minus
		}
		sv = append(append(sv, []rune(expSep+sign)...), se...)
	}
	_ = hasExp
	return string(pic.prefix) + string(sv) + string(pic.suffix)
}

// toFixed is Number.prototype.toFixed for finite numbers below 1e21.
func toFixed(x float64, dp int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1e21 {
		return formatNumberJS(x)
	}
	if dp > 100 {
		dp = 100
	}
	neg := x < 0
	if neg {
		x = -x
	}
	exact := new(big.Float).SetFloat64(x).Text('f', 1100)
	intPart, frac, _ := strings.Cut(exact, ".")
	for len(frac) < dp+1 {
		frac += "0"
	}
	keep := intPart + frac[:dp]
	roundUp := frac[dp] >= '5'
	digits := []byte(keep)
	if roundUp {
		i := len(digits) - 1
		for i >= 0 {
			if digits[i] == '9' {
				digits[i] = '0'
				i--
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	il := len(digits) - dp
	s := string(digits[:il])
	if dp > 0 {
		s += "." + string(digits[il:])
	}
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}
