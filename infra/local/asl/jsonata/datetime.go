package jsonata

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Date/time and integer formatting and parsing: a port of datetime.js
// (XPath F&O format-integer and format-dateTime, and their inverses).

var (
	fewWords     = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
	ordinalWords = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
	decadeWords  = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
	magnitudes   = []string{"Thousand", "Million", "Billion", "Trillion"}
	// numberWords is the words-to-number table, built on first use.
	numberWords = sync.OnceValue(newNumberWords)
)

// wordTable maps each number word to its value; keys lists the words in
// the order they were added (the alternatives of the parsing regexp).
type wordTable struct {
	values map[string]float64
	keys   []string
}

func newNumberWords() wordTable {
	t := wordTable{values: map[string]float64{}}
	add := func(k string, v float64) {
		if _, ok := t.values[k]; !ok {
			t.keys = append(t.keys, k)
		}
		t.values[k] = v
	}
	for i, w := range fewWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range ordinalWords {
		add(strings.ToLower(w), float64(i))
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		add(lw, float64((i+2)*10))
		add(lw[:len(lw)-1]+"ieth", float64((i+2)*10))
	}
	add("hundredth", 100)
	for i, w := range magnitudes {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		add(lw, v)
		add(lw+"th", v)
	}
	return t
}

func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens := int(math.Floor(num / 10))
			rem := math.Mod(num, 10)
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(rem, false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds := int(math.Floor(num / 100))
			rem := math.Mod(num, 100)
			if prev {
				words = ", "
			}
			words += fewWords[hundreds] + " Hundred"
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudes) {
				mag = len(magnitudes)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudes[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

var reWordSplit = lazyRegexp(`,\s|\sand\s|[\s\\-]`)

func wordsToNumber(text string) float64 {
	parts := reWordSplit().Split(text, -1)
	segs := []float64{0}
	for _, p := range parts {
		value, ok := numberWords().values[p]
		if !ok {
			value = math.NaN()
		}
		if value < 100 || math.IsNaN(value) {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+value)
		} else {
			top := segs[len(segs)-1]
			segs[len(segs)-1] = top * value
		}
	}
	total := 0.0
	for _, s := range segs {
		total += s
	}
	return total
}

var romanNumerals = []struct {
	v float64
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

var romanValues = map[byte]float64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}

func decimalToRoman(value float64) string {
	var b strings.Builder
	if value >= 1000 {
		thousands := math.Floor(value / 1000)
		checkStringLength(thousands, "formatInteger")
		b.WriteString(strings.Repeat("m", int(thousands)))
		value -= thousands * 1000
	}
	for value >= 1 {
		for _, n := range romanNumerals {
			if value >= n.v {
				b.WriteString(n.s)
				value -= n.v
				break
			}
		}
	}
	return b.String()
}

func romanToDecimal(roman string) float64 {
	decimal := 0.0
	mx := 1.0
	for i := len(roman) - 1; i >= 0; i-- {
		v, ok := romanValues[roman[i]]
		if !ok {
			return math.NaN()
		}
		if v < mx {
			decimal -= v
		} else {
			mx = v
			decimal += v
		}
	}
	return decimal
}

func decimalToLetters(value float64, aChar rune) string {
	var letters []rune
	for value > 0 {
		letters = append([]rune{rune(math.Mod(value-1, 26)) + aChar}, letters...)
		value = math.Floor((value - 1) / 26)
	}
	return string(letters)
}

func lettersToDecimal(letters string, aChar rune) float64 {
	decimal := 0.0
	rs := []rune(letters)
	for i := 0; i < len(rs); i++ {
		decimal += float64(rs[len(rs)-i-1]-aChar+1) * math.Pow(26, float64(i))
	}
	return decimal
}

const (
	fmtDecimal  = "decimal"
	fmtLetters  = "letters"
	fmtRoman    = "roman"
	fmtWords    = "words"
	fmtSequence = "sequence"
	caseUpper   = "upper"
	caseLower   = "lower"
	caseTitle   = "title"
)

type separator struct {
	position  int
	character string
}

type intFormat struct {
	primary         string
	caseType        string
	ordinal         bool
	zeroCode        rune
	mandatoryDigits int
	optionalDigits  int
	regular         bool
	groupingRegular separator
	grouping        []separator
	token           string
	parseWidth      int
}

func fnFormatInteger(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	if !isNumeric(a[0]) {
		throw(&Error{Code: "D1001", Value: a[0]})
	}
	value := math.Floor(a[0].(float64))
	f := analyseIntegerPicture(argString(a, 1))
	return formatIntegerWith(value, f)
}

func formatIntegerWith(value float64, f *intFormat) string {
	var s string
	negative := value < 0
	value = math.Abs(value)
	switch f.primary {
	case fmtLetters:
		a := 'a'
		if f.caseType == caseUpper {
			a = 'A'
		}
		s = decimalToLetters(value, a)
	case fmtRoman:
		s = decimalToRoman(value)
		if f.caseType == caseUpper {
			s = strings.ToUpper(s)
		}
	case fmtWords:
		s = numberToWords(value, f.ordinal)
		switch f.caseType {
		case caseUpper:
			s = strings.ToUpper(s)
		case caseLower:
			s = strings.ToLower(s)
		}
	case fmtDecimal:
		s = formatNumberJS(value)
		if pad := f.mandatoryDigits - len(s); pad > 0 {
			checkStringLength(float64(pad), "formatInteger")
			s = strings.Repeat("0", pad) + s
		}
		if f.zeroCode != 0x30 {
			out := []rune(s)
			for i, r := range out {
				out[i] = r + f.zeroCode - 0x30
			}
			s = string(out)
		}
		if f.regular {
			r := []rune(s)
			n := (len(r) - 1) / f.groupingRegular.position
			for ii := n; ii > 0; ii-- {
				pos := len(r) - ii*f.groupingRegular.position
				r = append(append(append([]rune{}, r[:pos]...), []rune(f.groupingRegular.character)...), r[pos:]...)
			}
			s = string(r)
		} else {
			r := []rune(s)
			for i := len(f.grouping) - 1; i >= 0; i-- {
				sep := f.grouping[i]
				pos := len(r) - sep.position
				if pos < 0 {
					pos = 0
				}
				r = append(append(append([]rune{}, r[:pos]...), []rune(sep.character)...), r[pos:]...)
			}
			s = string(r)
		}
		if f.ordinal {
			suffix := map[byte]string{'1': "st", '2': "nd", '3': "rd"}
			last := s[len(s)-1]
			sfx, ok := suffix[last]
			if !ok || (len(s) > 1 && s[len(s)-2] == '1') {
				sfx = "th"
			}
			s += sfx
		}
	case fmtSequence:
		throw(&Error{Code: "D3130", Value: f.token})
	}
	if negative {
		s = "-" + s
	}
	return s
}

var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

func analyseIntegerPicture(picture string) *intFormat {
	f := &intFormat{primary: fmtDecimal, caseType: caseLower}
	primary := picture
	if semi := strings.LastIndex(picture, ";"); semi != -1 {
		primary = picture[:semi]
		if mod := picture[semi+1:]; strings.HasPrefix(mod, "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.caseType = caseUpper
		f.primary = fmtLetters
	case "a":
		f.primary = fmtLetters
	case "I":
		f.caseType = caseUpper
		f.primary = fmtRoman
	case "i":
		f.primary = fmtRoman
	case "W":
		f.caseType = caseUpper
		f.primary = fmtWords
	case "Ww":
		f.caseType = caseTitle
		f.primary = fmtWords
	case "w":
		f.primary = fmtWords
	default:
		zeroCode := rune(-1)
		mandatory, optional := 0, 0
		var groups []separator
		sepPos := 0
		cps := []rune(primary)
		for i := len(cps) - 1; i >= 0; i-- {
			cp := cps[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					mandatory++
					sepPos++
					if zeroCode == -1 {
						zeroCode = g
					} else if g != zeroCode {
						throw(&Error{Code: "D3131"})
					}
					break
				}
			}
			if !digit {
				if cp == '#' {
					sepPos++
					optional++
				} else {
					groups = append(groups, separator{position: sepPos, character: string(cp)})
				}
			}
		}
		if mandatory > 0 {
			f.primary = fmtDecimal
			f.zeroCode = zeroCode
			f.mandatoryDigits = mandatory
			f.optionalDigits = optional
			regular := func(seps []separator) int {
				if len(seps) == 0 {
					return 0
				}
				for _, s := range seps[1:] {
					if s.character != seps[0].character {
						return 0
					}
				}
				gcd := func(a, b int) int {
					for b != 0 {
						a, b = b, a%b
					}
					return a
				}
				factor := seps[0].position
				for _, s := range seps[1:] {
					factor = gcd(factor, s.position)
				}
				for i := 1; i <= len(seps); i++ {
					found := false
					for _, s := range seps {
						if s.position == i*factor {
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
			if r := regular(groups); r > 0 {
				f.regular = true
				f.groupingRegular = separator{position: r, character: groups[0].character}
			} else {
				f.grouping = groups
			}
		} else {
			f.primary = fmtSequence
			f.token = primary
		}
	}
	return f
}

var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1", 'H': "1", 'h': "1",
	'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n",
}

type dtPart struct {
	literal       bool
	value         string
	component     byte
	presentation1 string
	presentation2 string
	ordinal       bool
	names         string
	integerFormat *intFormat
	widthMin      int // -1 when absent
	widthMax      int // -1 when absent
	hasWidth      bool
	n             int
}

var reSpaces = lazyRegexp(`\s+`)

func analyseDateTimePicture(picture string) []*dtPart {
	var spec []*dtPart
	addLiteral := func(start, end int) {
		if end > start {
			lit := strings.ReplaceAll(picture[start:end], "]]", "]")
			spec = append(spec, &dtPart{literal: true, value: lit})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] == '[' {
			if pos+1 < len(picture) && picture[pos+1] == '[' {
				addLiteral(start, pos)
				spec = append(spec, &dtPart{literal: true, value: "["})
				pos += 2
				start = pos
				continue
			}
			addLiteral(start, pos)
			start = pos
			end := strings.IndexByte(picture[start:], ']')
			if end == -1 {
				throw(&Error{Code: "D3135"})
			}
			pos = start + end
			marker := reSpaces().ReplaceAllString(picture[start+1:pos], "")
			def := &dtPart{widthMin: -1, widthMax: -1}
			if marker != "" {
				def.component = marker[0]
			}
			var presMod string
			if comma := strings.LastIndex(marker, ","); comma != -1 {
				widthMod := marker[comma+1:]
				parseWidth := func(s string) int {
					if s == "" || s == "*" {
						return -1
					}
					n, ok := parseIntJS(s)
					if !ok {
						return -1
					}
					return n
				}
				if dash := strings.Index(widthMod, "-"); dash == -1 {
					def.widthMin = parseWidth(widthMod)
				} else {
					def.widthMin = parseWidth(widthMod[:dash])
					def.widthMax = parseWidth(widthMod[dash+1:])
				}
				def.hasWidth = true
				presMod = string(rs([]rune(marker)).substring(1, utf8.RuneCountInString(marker[:comma])))
			} else if marker != "" {
				presMod = marker[1:]
			}
			if utf8.RuneCountInString(presMod) == 1 {
				def.presentation1 = presMod
			} else if presMod != "" {
				last := presMod[len(presMod)-1]
				if strings.IndexByte("atco", last) != -1 {
					def.presentation2 = string(last)
					if last == 'o' {
						def.ordinal = true
					}
					def.presentation1 = presMod[:len(presMod)-1]
				} else {
					def.presentation1 = presMod
				}
			} else {
				p, ok := defaultPresentation[def.component]
				if !ok {
					throw(&Error{Code: "D3132", Value: string(def.component)})
				}
				def.presentation1 = p
			}
			if def.presentation1 == "" {
				throw(&Error{Code: "D3132", Value: string(def.component)})
			}
			switch {
			case def.presentation1[0] == 'n':
				def.names = caseLower
			case def.presentation1[0] == 'N':
				if len(def.presentation1) > 1 && def.presentation1[1] == 'n' {
					def.names = caseTitle
				} else {
					def.names = caseUpper
				}
			case strings.IndexByte("YMDdFWwXxHhmsf", def.component) != -1:
				pattern := def.presentation1
				if def.presentation2 != "" {
					pattern += ";" + def.presentation2
				}
				def.integerFormat = analyseIntegerPicture(pattern)
				if def.hasWidth && def.widthMin >= 0 && def.integerFormat.mandatoryDigits < def.widthMin {
					def.integerFormat.mandatoryDigits = def.widthMin
				}
				if def.component == 'Y' {
					def.n = -1
					if def.hasWidth && def.widthMax >= 0 {
						def.n = def.widthMax
						def.integerFormat.mandatoryDigits = def.n
					} else if w := def.integerFormat.mandatoryDigits + def.integerFormat.optionalDigits; w >= 2 {
						def.n = w
					}
				}
				if len(spec) > 0 {
					prev := spec[len(spec)-1]
					if prev.integerFormat != nil {
						prev.integerFormat.parseWidth = prev.integerFormat.mandatoryDigits
					}
				}
			}
			if def.component == 'Z' || def.component == 'z' {
				def.integerFormat = analyseIntegerPicture(def.presentation1)
			}
			spec = append(spec, def)
			start = pos + 1
		}
		pos++
	}
	addLiteral(start, pos)
	return spec
}

var dayNames = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

const millisInADay = 1000 * 60 * 60 * 24

func utcMillis(year, month int) float64 {
	return float64(time.Date(year, time.Month(month+1), 1, 0, 0, 0, 0, time.UTC).UnixMilli())
}

func startOfFirstWeek(year, month int) float64 {
	jan1 := utcMillis(year, month)
	day := int(time.UnixMilli(int64(jan1)).UTC().Weekday())
	if day == 0 {
		day = 7
	}
	if day > 4 {
		return jan1 + float64(8-day)*millisInADay
	}
	return jan1 - float64(day-1)*millisInADay
}

func ym(year, month int) (int, int) {
	for month > 11 {
		month -= 12
		year++
	}
	for month < 0 {
		month += 12
		year--
	}
	return year, month
}

func deltaWeeks(start, end float64) float64 {
	return (end-start)/(millisInADay*7) + 1
}

func dateFragment(t time.Time, component byte) any {
	switch component {
	case 'Y':
		return float64(t.Year())
	case 'M':
		return float64(t.Month())
	case 'D':
		return float64(t.Day())
	case 'd':
		return float64(t.YearDay())
	case 'F':
		d := int(t.Weekday())
		if d == 0 {
			d = 7
		}
		return float64(d)
	case 'W':
		y := t.Year()
		start := startOfFirstWeek(y, 0)
		today := float64(time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixMilli())
		week := deltaWeeks(start, today)
		if week > 52 {
			if today >= startOfFirstWeek(y+1, 0) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(y-1, 0), today)
		}
		return math.Floor(week)
	case 'w':
		y, m := t.Year(), int(t.Month())-1
		start := startOfFirstWeek(y, m)
		today := float64(time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixMilli())
		week := deltaWeeks(start, today)
		if week > 4 {
			ny, nm := ym(y, m+1)
			if today >= startOfFirstWeek(ny, nm) {
				week = 1
			}
		} else if week < 1 {
			py, pm := ym(y, m-1)
			week = deltaWeeks(startOfFirstWeek(py, pm), today)
		}
		return math.Floor(week)
	case 'X':
		y := t.Year()
		now := float64(t.UnixMilli())
		if now < startOfFirstWeek(y, 0) {
			return float64(y - 1)
		} else if now >= startOfFirstWeek(y+1, 0) {
			return float64(y + 1)
		}
		return float64(y)
	case 'x':
		y, m := t.Year(), int(t.Month())-1
		now := float64(t.UnixMilli())
		ny, nm := ym(y, m+1)
		if now < startOfFirstWeek(y, m) {
			_, pm := ym(y, m-1)
			return float64(pm + 1)
		} else if now >= startOfFirstWeek(ny, nm) {
			return float64(nm + 1)
		}
		return float64(m + 1)
	case 'H':
		return float64(t.Hour())
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if t.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(t.Minute())
	case 's':
		return float64(t.Second())
	case 'f':
		return float64(t.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return nil
}

// iso8601Spec is the default picture of $now and $fromMillis.
var iso8601Spec = sync.OnceValue(func() []*dtPart {
	return analyseDateTimePicture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]")
})

func formatDateTime(millis float64, picture string, hasPicture bool, timezone string, hasTZ bool) string {
	offsetHours, offsetMinutes := 0, 0
	if hasTZ {
		offset, ok := parseIntJS(timezone)
		if ok {
			offsetHours = int(math.Floor(float64(offset) / 100))
			offsetMinutes = offset % 100
		}
	}
	var spec []*dtPart
	if !hasPicture {
		spec = iso8601Spec()
	} else {
		spec = analyseDateTimePicture(picture)
	}
	offsetMillis := float64((60*offsetHours + offsetMinutes) * 60 * 1000)
	t := time.UnixMilli(int64(math.Floor(millis + offsetMillis))).UTC()
	var b strings.Builder
	for _, part := range spec {
		if part.literal {
			b.WriteString(part.value)
			continue
		}
		b.WriteString(formatComponent(t, part, offsetHours, offsetMinutes))
	}
	return b.String()
}

func formatComponent(t time.Time, m *dtPart, offsetHours, offsetMinutes int) string {
	value := dateFragment(t, m.component)
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", m.component) != -1:
		n, _ := value.(float64)
		if m.component == 'Y' && m.n != -1 {
			n = math.Mod(n, math.Pow(10, float64(m.n)))
		}
		if m.names != "" {
			var name string
			switch m.component {
			case 'M', 'x':
				name = monthNames[int(n)-1]
			case 'F':
				name = dayNames[int(n)]
			default:
				throw(&Error{Code: "D3133", Value: string(m.component)})
			}
			switch m.names {
			case caseUpper:
				name = strings.ToUpper(name)
			case caseLower:
				name = strings.ToLower(name)
			}
			if m.hasWidth && m.widthMax >= 0 && len(name) > m.widthMax {
				name = name[:m.widthMax]
			}
			return name
		}
		return formatIntegerWith(n, m.integerFormat)
	case m.component == 'f':
		n, _ := value.(float64)
		return formatIntegerWith(n, m.integerFormat)
	case m.component == 'Z' || m.component == 'z':
		offset := offsetHours*100 + offsetMinutes
		var s string
		if m.integerFormat.regular {
			s = formatIntegerWith(float64(offset), m.integerFormat)
		} else {
			numDigits := m.integerFormat.mandatoryDigits
			switch numDigits {
			case 1, 2:
				s = formatIntegerWith(float64(offsetHours), m.integerFormat)
				if offsetMinutes != 0 {
					s += ":" + formatIntegerWith(float64(offsetMinutes), analyseIntegerPicture("00"))
				}
			case 3, 4:
				s = formatIntegerWith(float64(offset), m.integerFormat)
			default:
				throw(&Error{Code: "D3134", Value: float64(numDigits)})
			}
		}
		if offset >= 0 {
			s = "+" + s
		}
		if m.component == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && m.presentation2 == "t" {
			s = "Z"
		}
		return s
	case m.component == 'P':
		s, _ := value.(string)
		if m.names == caseUpper {
			s = strings.ToUpper(s)
		}
		return s
	}
	if s, ok := value.(string); ok {
		return s
	}
	if value == nil {
		return "undefined"
	}
	return formatNumberJS(value.(float64))
}

type matchPart struct {
	regex     string
	parse     func(string) float64
	component byte
}

func integerMatcher(f *intFormat) matchPart {
	isUpper := f.caseType == caseUpper
	var m matchPart
	switch f.primary {
	case fmtLetters:
		if isUpper {
			m.regex = "[A-Z]+"
		} else {
			m.regex = "[a-z]+"
		}
		m.parse = func(v string) float64 {
			a := 'a'
			if isUpper {
				a = 'A'
			}
			return lettersToDecimal(v, a)
		}
	case fmtRoman:
		if isUpper {
			m.regex = "[MDCLXVI]+"
		} else {
			m.regex = "[mdclxvi]+"
		}
		m.parse = func(v string) float64 {
			if !isUpper {
				v = strings.ToUpper(v)
			}
			return romanToDecimal(v)
		}
	case fmtWords:
		alts := append(append([]string{}, numberWords().keys...), "and", `[\-, ]`)
		m.regex = "(?:" + strings.Join(alts, "|") + ")+"
		m.parse = func(v string) float64 { return wordsToNumber(strings.ToLower(v)) }
	case fmtDecimal:
		m.regex = "[0-9]"
		if f.parseWidth > 0 {
			m.regex += "{" + strconv.Itoa(f.parseWidth) + "}"
		} else {
			m.regex += "+"
		}
		if f.ordinal {
			m.regex += "(?:th|st|nd|rd)"
		}
		m.parse = func(v string) float64 {
			digits := v
			if f.ordinal {
				digits = string(rs([]rune(digits)).substring(0, utf8.RuneCountInString(digits)-2))
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, s := range f.grouping {
					digits = strings.ReplaceAll(digits, s.character, "")
				}
			}
			if f.zeroCode != 0x30 {
				out := []rune(digits)
				for i, r := range out {
					out[i] = r - f.zeroCode + 0x30
				}
				digits = string(out)
			}
			n, ok := parseIntJS(digits)
			if !ok {
				return math.NaN()
			}
			return float64(n)
		}
	case fmtSequence:
		throw(&Error{Code: "D3130", Value: f.token})
	}
	return m
}

func fnParseInteger(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	f := analyseIntegerPicture(argString(a, 1))
	m := integerMatcher(f)
	return m.parse(a[0].(string))
}

func dateMatchers(spec []*dtPart) []matchPart {
	parts := make([]matchPart, 0, len(spec))
	for _, part := range spec {
		var m matchPart
		switch {
		case part.literal:
			m.regex = regexp.QuoteMeta(part.value)
		case part.component == 'Z' || part.component == 'z':
			var sep string
			if part.integerFormat.regular {
				sep = part.integerFormat.groupingRegular.character
			}
			if part.component == 'z' {
				m.regex = "GMT"
			}
			m.regex += "[-+][0-9]+"
			if sep != "" {
				m.regex += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			comp := part.component
			m.parse = func(v string) float64 {
				if comp == 'z' {
					v = v[3:]
				}
				h, mins := 0, 0
				if sep != "" {
					i := strings.Index(v, sep)
					h, _ = parseIntJS(v[:i])
					mins, _ = parseIntJS(v[i+len(sep):])
				} else if len(v)-1 <= 2 {
					h, _ = parseIntJS(v)
				} else {
					h, _ = parseIntJS(v[:3])
					mins, _ = parseIntJS(v[3:])
				}
				return float64(h*60 + mins)
			}
		case part.component == 'f':
			m.regex = "[0-9]+"
			m.parse = func(v string) float64 {
				if len(v) > 3 {
					v = v[:3]
				}
				f, _ := strconv.ParseFloat("0."+v, 64)
				return f * 1000
			}
		case part.integerFormat != nil:
			m = integerMatcher(part.integerFormat)
		default:
			m.regex = "[a-zA-Z]+"
			lookup := map[string]float64{}
			switch part.component {
			case 'M', 'x':
				for i, name := range monthNames {
					if part.hasWidth && part.widthMax > 0 {
						name = name[:min(len(name), part.widthMax)]
					}
					lookup[name] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames {
					if i == 0 {
						continue
					}
					if part.hasWidth && part.widthMax > 0 {
						name = name[:min(len(name), part.widthMax)]
					}
					lookup[name] = float64(i)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				throw(&Error{Code: "D3133", Value: string(part.component)})
			}
			m.parse = func(v string) float64 {
				if n, ok := lookup[v]; ok {
					return n
				}
				return math.NaN()
			}
		}
		m.component = part.component
		parts = append(parts, m)
	}
	return parts
}

func (c *call) parseDateTime(timestamp, picture string) any {
	spec := analyseDateTimePicture(picture)
	parts := dateMatchers(spec)
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, p := range parts {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	info := re.FindStringSubmatch(timestamp)
	if info == nil {
		return nil
	}
	comps := map[byte]float64{}
	for i := 1; i < len(info); i++ {
		p := parts[i-1]
		if p.parse != nil {
			comps[p.component] = p.parse(info[i])
		}
	}
	if len(comps) == 0 {
		return nil
	}
	has := func(k byte) bool {
		v, ok := comps[k]
		return ok && v != 0 && !math.IsNaN(v)
	}
	mask := 0
	shift := func(k byte) {
		mask <<= 1
		if has(k) {
			mask++
		}
	}
	isType := func(typ int) bool { return ^typ&mask == 0 && typ&mask != 0 }
	for _, k := range []byte("YXMxWwdD") {
		shift(k)
	}
	dateA := isType(161)
	dateB := !dateA && isType(130)
	dateC := isType(84)
	dateD := !dateC && isType(72)
	mask = 0
	for _, k := range []byte("PHhmsf") {
		shift(k)
	}
	timeA := isType(23)
	timeB := !timeA && isType(47)
	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	now := c.ev.now().UTC()
	startSpecified, endSpecified := false, false
	for _, k := range []byte(dateComps + timeComps) {
		if _, ok := comps[k]; !ok {
			if startSpecified {
				if strings.IndexByte("MDd", k) != -1 {
					comps[k] = 1
				} else {
					comps[k] = 0
				}
				endSpecified = true
			} else {
				v, _ := dateFragment(now, k).(float64)
				comps[k] = v
			}
		} else {
			startSpecified = true
			if endSpecified {
				throw(&Error{Code: "D3136"})
			}
		}
	}
	if comps['M'] > 0 {
		comps['M']--
	} else {
		comps['M'] = 0
	}
	if dateB {
		firstJan := utcMillis(int(comps['Y']), 0)
		derived := time.UnixMilli(int64(firstJan + (comps['d']-1)*millisInADay)).UTC()
		comps['M'] = float64(derived.Month() - 1)
		comps['D'] = float64(derived.Day())
	}
	if dateC || dateD {
		throw(&Error{Code: "D3136"})
	}
	if timeB {
		if comps['h'] == 12 {
			comps['H'] = 0
		} else {
			comps['H'] = comps['h']
		}
		if comps['P'] == 1 {
			comps['H'] += 12
		}
	}
	for _, k := range []byte("YMDHmsf") {
		if math.IsNaN(comps[k]) {
			return math.NaN()
		}
	}
	millis := dateUTC(comps['Y'], comps['M'], comps['D'], comps['H'], comps['m'], comps['s'], comps['f'])
	if z := comps['Z'] + comps['z']; z != 0 {
		millis -= z * 60 * 1000
	}
	return millis
}

// dateUTC is Date.UTC with overflowing fields carried over.
func dateUTC(y, mo, d, h, mi, s, ms float64) float64 {
	t := time.Date(int(y), time.Month(int(mo)+1), int(d), int(h), int(mi), int(s), int(ms)*1e6, time.UTC)
	return float64(t.UnixMilli())
}

var iso8601Regex = lazyRegexp(`^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

var reISOParse = lazyRegexp(`^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2}):(\d{2}))?(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$`)

// dateParse is Date.parse for the timestamps the ISO 8601 pattern admits.
func dateParse(s string) float64 {
	m := reISOParse().FindStringSubmatch(s)
	if m == nil {
		return math.NaN()
	}
	num := func(x string, def int) int {
		if x == "" {
			return def
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	year, month, day := num(m[1], 0), num(m[2], 1), num(m[3], 1)
	hour, minute, sec := num(m[4], 0), num(m[5], 0), num(m[6], 0)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 24 || minute > 59 || sec > 59 {
		return math.NaN()
	}
	if hour == 24 && (minute != 0 || sec != 0) {
		return math.NaN()
	}
	if m[4] == "" && m[7] != "" {
		return math.NaN()
	}
	ms := 0
	if m[7] != "" {
		frac := m[7] + "00"
		ms = num(frac[:3], 0)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	millis := float64(t.UnixMilli())
	if tz := m[8]; tz != "" && tz != "Z" {
		sign := 1.0
		if tz[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(tz[1:], ":", "")
		h, _ := strconv.Atoi(digits[:2])
		mi, _ := strconv.Atoi(digits[2:])
		if h > 23 || mi > 59 {
			return math.NaN()
		}
		millis -= sign * float64(h*60+mi) * 60 * 1000
	}
	return millis
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month+1), 0, 0, 0, 0, 0, time.UTC).Day()
}

func fnToMillis(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	ts := a[0].(string)
	if pic, ok := argAt(a, 1).(string); ok {
		return c.parseDateTime(ts, pic)
	}
	if !iso8601Regex().MatchString(ts) {
		throw(&Error{Code: "D3110", Value: ts})
	}
	return dateParse(ts)
}

func fnFromMillis(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	pic, hasPic := argAt(a, 1).(string)
	tz, hasTZ := argAt(a, 2).(string)
	return formatDateTime(a[0].(float64), pic, hasPic, tz, hasTZ)
}

func fnNow(c *call, a []any) any {
	pic, hasPic := argAt(a, 0).(string)
	tz, hasTZ := argAt(a, 1).(string)
	return formatDateTime(float64(c.ev.now().UnixMilli()), pic, hasPic, tz, hasTZ)
}

func fnMillis(c *call, a []any) any {
	return float64(c.ev.now().UnixMilli())
}
