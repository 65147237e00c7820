package eventbus

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A schedule is a rule's ScheduleExpression: rate(value unit) or
// cron(minutes hours day-of-month month day-of-week year), in UTC, to the
// minute (EventBridge's user guide, "Using cron and rate expressions to
// schedule rules").
type schedule interface {
	// next returns the first firing time after t. anchor is when the
	// schedule started or last fired: a rate counts from it, a cron
	// ignores it. ok is false when the schedule never fires again.
	next(anchor, t time.Time) (at time.Time, ok bool)
}

// errInvalidSchedule is an expression PutRule can't read.
var errInvalidSchedule = errors.New("invalid schedule expression")

// rateRE is a rate expression exactly as AWS takes it: no space inside the
// parentheses but the one between value and unit, a lower-case unit
// (LocalStack's test_put_rule_with_invalid_schedule_rate, recorded
// against AWS, refuses "rate( 10 minutes )", " rate(10 minutes)" and
// "rate(10 MINUTES)").
var rateRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$`)
})

// parseSchedule reads a ScheduleExpression.
func parseSchedule(expr string) (schedule, error) {
	if m := rateRE().FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return nil, errInvalidSchedule
		}
		// 1 takes the singular unit, more the plural: rate(1 minute),
		// rate(5 minutes); rate(1 minutes) and rate(5 minute) are refused.
		if plural := strings.HasSuffix(m[2], "s"); plural != (n > 1) {
			return nil, errInvalidSchedule
		}
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
		return rateSchedule{every: time.Duration(n) * unit}, nil
	}
	if strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")") {
		return parseCron(expr[len("cron(") : len(expr)-1])
	}
	return nil, errInvalidSchedule
}

// rateSchedule fires every interval, counted from when the rule was put
// ("A rate expression starts when you create the scheduled event rule").
type rateSchedule struct{ every time.Duration }

func (r rateSchedule) next(anchor, t time.Time) (time.Time, bool) {
	if t.Before(anchor) {
		return anchor.Add(r.every), true
	}
	k := t.Sub(anchor)/r.every + 1
	return anchor.Add(k * r.every), true
}

// Cron field bounds.
const (
	minYear = 1970
	maxYear = 2199
)

// cronSchedule is a parsed six-field cron expression. Exactly one of the
// day-of-month and day-of-week fields is '?', the other one decides.
type cronSchedule struct {
	minutes uint64 // bit m: minute m
	hours   uint32 // bit h: hour h
	months  uint16 // bit m: month m (1-12)
	years   [maxYear - minYear + 1]bool

	byWeekday bool // the day-of-month field is '?'
	// Day of month: listed days, L (last day), LW (last weekday), nW
	// (the weekday nearest day n).
	days        uint32
	lastDay     bool
	lastWeekday bool
	nearest     []int
	// Day of week (1 = SUN .. 7 = SAT): listed days, nL (the month's last
	// such day), n#k (its k-th).
	weekdays uint8
	lastOf   []int
	nth      [][2]int
}

var (
	monthNames   = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	weekdayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

// parseCron reads the six fields of cron(...).
func parseCron(body string) (*cronSchedule, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, errInvalidSchedule
	}
	c := &cronSchedule{}
	set := func(field string, lo, hi int, names map[string]int, mark func(int)) error {
		vals, err := cronValues(field, lo, hi, names)
		if err != nil {
			return err
		}
		for _, v := range vals {
			mark(v)
		}
		return nil
	}
	if err := set(f[0], 0, 59, nil, func(v int) { c.minutes |= 1 << v }); err != nil {
		return nil, err
	}
	if err := set(f[1], 0, 23, nil, func(v int) { c.hours |= 1 << v }); err != nil {
		return nil, err
	}
	if err := set(f[3], 1, 12, monthNames, func(v int) { c.months |= 1 << v }); err != nil {
		return nil, err
	}
	if err := set(f[5], minYear, maxYear, nil, func(v int) { c.years[v-minYear] = true }); err != nil {
		return nil, err
	}
	// "You can't use * in both the Day-of-month and Day-of-week fields. If
	// you use it in one, you must use ? in the other": one is '?', only one.
	switch dom, dow := f[2] == "?", f[4] == "?"; {
	case dom == dow:
		return nil, errInvalidSchedule
	case dom:
		c.byWeekday = true
		return c, c.parseWeekdays(f[4])
	default:
		return c, c.parseDays(f[2])
	}
}

// cronValues expands a list of values, ranges (wrapping past the top, as
// MON-SUN does) and increments (a/b, a-c/b, */b) within lo..hi.
func cronValues(field string, lo, hi int, names map[string]int) ([]int, error) {
	var out []int
	for _, item := range strings.Split(field, ",") {
		base, stepText, stepped := strings.Cut(item, "/")
		step := 1
		if stepped {
			s, err := strconv.Atoi(stepText)
			if err != nil || s < 1 {
				return nil, errInvalidSchedule
			}
			step = s
		}
		from, to := lo, hi
		switch {
		case base == "*":
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var err error
			if from, err = cronValue(a, lo, hi, names); err != nil {
				return nil, err
			}
			if to, err = cronValue(b, lo, hi, names); err != nil {
				return nil, err
			}
		default:
			v, err := cronValue(base, lo, hi, names)
			if err != nil {
				return nil, err
			}
			from, to = v, v
			if stepped {
				to = hi // 0/15: from 0, every 15, to the end
			}
		}
		span := to - from
		if span < 0 {
			span += hi - lo + 1
		}
		for i := 0; i <= span; i += step {
			out = append(out, lo+(from-lo+i)%(hi-lo+1))
		}
	}
	return out, nil
}

func cronValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, errInvalidSchedule
	}
	return v, nil
}

func (c *cronSchedule) parseDays(field string) error {
	for _, item := range strings.Split(field, ",") {
		switch {
		case item == "L":
			c.lastDay = true
		case item == "LW":
			c.lastWeekday = true
		case strings.HasSuffix(item, "W"):
			n, err := cronValue(strings.TrimSuffix(item, "W"), 1, 31, nil)
			if err != nil {
				return err
			}
			c.nearest = append(c.nearest, n)
		default:
			vals, err := cronValues(item, 1, 31, nil)
			if err != nil {
				return err
			}
			for _, v := range vals {
				c.days |= 1 << v
			}
		}
	}
	return nil
}

func (c *cronSchedule) parseWeekdays(field string) error {
	for _, item := range strings.Split(field, ",") {
		switch {
		case item == "L": // the last day of the week: Saturday
			c.weekdays |= 1 << 7
		case strings.HasSuffix(item, "L"):
			n, err := cronValue(strings.TrimSuffix(item, "L"), 1, 7, weekdayNames)
			if err != nil {
				return err
			}
			c.lastOf = append(c.lastOf, n)
		case strings.Contains(item, "#"):
			d, k, _ := strings.Cut(item, "#")
			n, err := cronValue(d, 1, 7, weekdayNames)
			if err != nil {
				return err
			}
			nth, err := strconv.Atoi(k)
			if err != nil || nth < 1 || nth > 5 {
				return errInvalidSchedule
			}
			c.nth = append(c.nth, [2]int{n, nth})
		default:
			vals, err := cronValues(item, 1, 7, weekdayNames)
			if err != nil {
				return err
			}
			for _, v := range vals {
				c.weekdays |= 1 << v
			}
		}
	}
	return nil
}

// next returns the first minute after t that the expression names.
func (c *cronSchedule) next(_, t time.Time) (time.Time, bool) {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= maxYear {
		y, m, d := t.Date()
		switch {
		case y < minYear || !c.years[y-minYear]:
			t = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case c.months&(1<<int(m)) == 0:
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(y, m, d):
			t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		default:
			h, ok := firstBit(uint64(c.hours), t.Hour(), 23)
			if !ok {
				t = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
				continue
			}
			from := t.Minute()
			if h > t.Hour() {
				from = 0
			}
			mi, ok := firstBit(c.minutes, from, 59)
			if !ok {
				t = time.Date(y, m, d, h+1, 0, 0, 0, time.UTC)
				continue
			}
			return time.Date(y, m, d, h, mi, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// firstBit returns the lowest set bit of mask in from..to.
func firstBit(mask uint64, from, to int) (int, bool) {
	for i := from; i <= to; i++ {
		if mask&(1<<i) != 0 {
			return i, true
		}
	}
	return 0, false
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (c *cronSchedule) dayMatches(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	if c.byWeekday {
		wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = SUN
		if c.weekdays&(1<<wd) != 0 {
			return true
		}
		for _, n := range c.lastOf {
			if n == wd && d+7 > last {
				return true
			}
		}
		for _, nk := range c.nth {
			if nk[0] == wd && (d-1)/7+1 == nk[1] {
				return true
			}
		}
		return false
	}
	if c.days&(1<<d) != 0 || (c.lastDay && d == last) || (c.lastWeekday && d == nearestWeekday(y, m, last)) {
		return true
	}
	for _, n := range c.nearest {
		if n <= last && d == nearestWeekday(y, m, n) {
			return true
		}
	}
	return false
}

// nearestWeekday is the Monday-to-Friday day nearest day n of the month,
// without leaving the month (nW).
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
