package eventpattern

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// errorPrefix opens every message of InvalidEventPatternException.
const errorPrefix = "Event pattern is not valid. Reason: "

// maxBranches caps how many alternatives the $or expansion of one pattern may
// produce. EventBridge has its own (undocumented) limit; this one keeps a
// hostile pattern from exhausting memory.
const maxBranches = 1024

// InvalidPatternError reports a pattern that EventBridge would reject with
// InvalidEventPatternException.
type InvalidPatternError struct {
	// Message is the text AWS puts in the exception, such as
	// "Event pattern is not valid. Reason: Empty arrays are not allowed".
	Message string
}

// Error returns Message.
func (e *InvalidPatternError) Error() string { return e.Message }

func invalid(format string, args ...any) *InvalidPatternError {
	return &InvalidPatternError{Message: errorPrefix + fmt.Sprintf(format, args...)}
}

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	branches [][]field // $or alternatives; each is a conjunction of fields
	paths    []string  // every field path, indexed by field.idx
	// lookup holds every field path and every dotted prefix of one, so the
	// event scanner can skip the parts of an event no field can reach.
	lookup map[string]pathInfo
}

type pathInfo struct {
	idx    int32 // index in Pattern.paths, or -1 when only a prefix
	prefix bool  // some longer field path starts with this one and a dot
}

// field is one condition: the value at path must satisfy one of matchers,
// or be absent when absent is set.
type field struct {
	path     string
	idx      int
	matchers []valueMatcher
	exists   bool // an {"exists": true} alternative
	absent   bool // an {"exists": false} alternative
}

// rule maps a field path to its alternatives for one $or branch. As in
// EventBridge, a later occurrence of a path replaces an earlier one.
type rule map[string][]alternative

type alternative struct {
	m      valueMatcher // nil for exists
	exists bool
	absent bool
}

// Compile parses and validates raw pattern text as EventBridge does. An
// invalid pattern returns *InvalidPatternError whose Message reads like the
// message of AWS's InvalidEventPatternException.
func Compile(pattern []byte) (*Pattern, error) {
	root, err := parseDocument(pattern)
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	if root.kind != nodeObject {
		return nil, invalid("Filter is not an object")
	}
	c := &compiler{}
	if err := c.parseObject(nil, root, false); err != nil {
		return nil, err
	}
	return c.finish()
}

type compiler struct {
	rules []rule
}

func (c *compiler) parseObject(path []string, n *node, inOr bool) error {
	if len(n.members) == 0 {
		return invalid("Empty objects are not allowed")
	}
	for _, m := range n.members {
		if m.name == "$or" {
			if err := c.parseOr(path, m.value); err != nil {
				return err
			}
			continue
		}
		if inOr && reservedInOr[m.name] {
			return invalid("%s is Ruler reserved fieldName which cannot be used inside $or.", m.name)
		}
		switch m.value.kind {
		case nodeObject:
			if err := c.parseObject(append(path[:len(path):len(path)], m.name), m.value, inOr); err != nil {
				return err
			}
		case nodeArray:
			if err := c.writeRules(joinPath(path, m.name), m.value); err != nil {
				return err
			}
		default:
			return invalid("%q must be an object or an array", m.name)
		}
	}
	return nil
}

var reservedInOr = map[string]bool{
	"anything-but": true, "cidr": true, "equals-ignore-case": true, "exactly": true,
	"exists": true, "numeric": true, "prefix": true, "suffix": true, "wildcard": true,
}

func joinPath(path []string, name string) string {
	if len(path) == 0 {
		return name
	}
	return strings.Join(path, ".") + "." + name
}

func copyRules(rules []rule) []rule {
	out := make([]rule, len(rules))
	for i, r := range rules {
		nr := make(rule, len(r))
		for k, v := range r {
			nr[k] = v
		}
		out[i] = nr
	}
	return out
}

func (c *compiler) parseOr(path []string, n *node) error {
	current := copyRules(c.rules)
	c.rules = nil
	if n.kind != nodeArray {
		return invalid("It must be an Array followed with $or.")
	}
	for _, item := range n.items {
		if item.kind != nodeObject {
			return invalid("Only JSON object is allowed in array of $or relationship.")
		}
		saved := c.rules
		c.rules = copyRules(current)
		if len(c.rules) == 0 {
			c.rules = []rule{{}}
		}
		if err := c.parseObject(path, item, true); err != nil {
			return err
		}
		c.rules = append(saved, c.rules...)
		if len(c.rules) > maxBranches {
			return invalid("Rule is too complex - $or expands to more than %d combinations", maxBranches)
		}
	}
	if len(n.items) < 2 {
		return invalid("There must have at least 2 Objects in $or relationship.")
	}
	return nil
}

func (c *compiler) writeRules(name string, n *node) error {
	var alts []alternative
	for _, item := range n.items {
		switch item.kind {
		case nodeObject:
			a, err := matchExpression(item)
			if err != nil {
				return err
			}
			alts = append(alts, a)
		case nodeString:
			alts = append(alts, alternative{m: newExactString(item.text)})
		case nodeNumber:
			alts = append(alts, alternative{m: newExactNumber(item.text)})
		case nodeTrue:
			alts = append(alts, alternative{m: exactLiteral(leafTrue)})
		case nodeFalse:
			alts = append(alts, alternative{m: exactLiteral(leafFalse)})
		case nodeNull:
			alts = append(alts, alternative{m: exactLiteral(leafNull)})
		default:
			return invalid("Match value must be String, number, true, false, or null")
		}
	}
	if len(alts) == 0 {
		return invalid("Empty arrays are not allowed")
	}
	if len(c.rules) == 0 {
		c.rules = []rule{{}}
	}
	for _, r := range c.rules {
		r[name] = alts
	}
	return nil
}

const (
	msgOneKey      = "Only one key allowed in match expression"
	msgTooMany     = "Too many elements in numeric expression"
	msgAnyButValue = "Value of anything-but must be an array or single string/number value."
)

func matchExpression(n *node) (alternative, error) {
	if len(n.members) == 0 {
		return alternative{}, invalid("Match expression name not found")
	}
	op, v := n.members[0].name, n.members[0].value
	extra := len(n.members) > 1
	var (
		a   alternative
		err error
	)
	oneKey := msgOneKey
	switch op {
	case "prefix", "suffix":
		a, err = affixExpression(op, v)
	case "numeric":
		oneKey = msgTooMany
		if v.kind != nodeArray {
			return a, invalid("Value of numeric must be an array.")
		}
		var r numericRange
		r, err = numericExpression(v.items)
		a.m = r
	case "anything-but":
		oneKey = msgTooMany
		a, err = anythingButExpression(v)
	case "exists":
		switch v.kind {
		case nodeTrue:
			a.exists = true
		case nodeFalse:
			a.absent = true
		default:
			return a, invalid("exists match pattern must be either true or false.")
		}
	case "cidr":
		if v.kind != nodeString {
			return a, invalid("prefix match pattern must be a string")
		}
		var m cidrMatcher
		m, err = parseCIDR(v.text)
		a.m = m
	case "equals-ignore-case":
		if v.kind != nodeString {
			return a, invalid("equals-ignore-case match pattern must be a string")
		}
		a.m = equalsFold(v.text)
	case "wildcard":
		if v.kind != nodeString {
			return a, invalid("wildcard match pattern must be a string")
		}
		var w *wildcard
		w, err = parseWildcard(v.text)
		a.m = w
	default:
		return a, invalid("Unrecognized match type %s", op)
	}
	if err != nil {
		return a, err
	}
	if extra {
		return a, invalid("%s", oneKey)
	}
	return a, nil
}

// affixExpression handles prefix and suffix, with their equals-ignore-case
// object form.
func affixExpression(op string, v *node) (alternative, error) {
	switch v.kind {
	case nodeString:
		if op == "prefix" {
			return alternative{m: prefixMatcher(v.text)}, nil
		}
		return alternative{m: suffixMatcher(v.text)}, nil
	case nodeObject:
		if len(v.members) == 0 {
			return alternative{}, invalid("%s expression name not found", strings.ToUpper(op[:1])+op[1:])
		}
		inner := v.members[0]
		if inner.name != "equals-ignore-case" {
			return alternative{}, invalid("Unsupported %s pattern: %s", op, inner.name)
		}
		if inner.value.kind != nodeString {
			return alternative{}, invalid("equals-ignore-case match pattern must be a string")
		}
		if len(v.members) > 1 {
			return alternative{}, invalid(msgOneKey)
		}
		if op == "prefix" {
			return alternative{m: prefixFold(inner.value.text)}, nil
		}
		return alternative{m: suffixFold(inner.value.text)}, nil
	}
	return alternative{}, invalid("%s match pattern must be a string", op)
}

func anythingButExpression(v *node) (alternative, error) {
	kind := ""
	operand := v
	if v.kind == nodeObject {
		if len(v.members) == 0 {
			return alternative{}, invalid("Anything-But expression name not found")
		}
		kind = v.members[0].name
		switch kind {
		case "equals-ignore-case", "prefix", "suffix", "wildcard":
		default:
			return alternative{}, invalid("Unsupported anything-but pattern: %s", kind)
		}
		operand = v.members[0].value
	}
	switch operand.kind {
	case nodeArray, nodeString, nodeNumber:
	default:
		return alternative{}, invalid(msgAnyButValue)
	}
	items := operand.items
	if operand.kind != nodeArray {
		items = []*node{operand}
	}
	var (
		m   valueMatcher
		err error
	)
	if kind == "" {
		m, err = anythingButValues(items, operand.kind == nodeArray)
	} else {
		m, err = anythingButSet(kind, items)
	}
	if err != nil {
		return alternative{}, err
	}
	if v.kind == nodeObject && len(v.members) > 1 {
		return alternative{}, invalid(msgTooMany)
	}
	return alternative{m: m}, nil
}

func anythingButValues(items []*node, list bool) (valueMatcher, error) {
	var (
		strs      = map[string]struct{}{}
		nums      = map[int64]struct{}{}
		hasString bool
		hasNumber bool
	)
	for _, it := range items {
		switch it.kind {
		case nodeString:
			strs[it.text] = struct{}{}
			hasString = true
		case nodeNumber:
			q, err := comparable(it.text)
			if err != nil {
				return nil, err
			}
			nums[q] = struct{}{}
			hasNumber = true
		default:
			if list {
				return nil, invalid("Inside anything but list, start|null|boolean is not supported.")
			}
			return nil, invalid("Inside anything-but list, start|null|boolean is not supported.")
		}
	}
	if list && hasNumber == hasString {
		return nil, invalid("Inside anything but list, either all values are number or string, mixed type is not supported")
	}
	if hasNumber {
		return anythingButNumbers(nums), nil
	}
	return anythingButStrings(strs), nil
}

func anythingButSet(kind string, items []*node) (valueMatcher, error) {
	var texts []string
	for _, it := range items {
		if it.kind != nodeString {
			switch kind {
			case "equals-ignore-case":
				return nil, invalid("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
			case "wildcard":
				return nil, invalid("wildcard match pattern must be a string")
			default:
				return nil, invalid("prefix/suffix match pattern must be a string")
			}
		}
		if (kind == "prefix" || kind == "suffix") && it.text == "" {
			return nil, invalid("Null prefix/suffix not allowed")
		}
		texts = append(texts, it.text)
	}
	switch kind {
	case "equals-ignore-case":
		return anythingButFold(texts), nil
	case "prefix":
		return anythingButPrefix(texts), nil
	case "suffix":
		return anythingButSuffix(texts), nil
	}
	ws := make(anythingButWildcard, 0, len(texts))
	for _, t := range texts {
		w, err := parseWildcard(t)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// numericExpression validates the operand list of "numeric" in the order
// EventBridge reads it, so that the first problem is the one reported.
func numericExpression(items []*node) (numericRange, error) {
	var r numericRange
	at := func(i int) *node {
		if i < len(items) {
			return items[i]
		}
		return nil
	}
	text := func(n *node) string {
		if n == nil {
			return "]"
		}
		return n.tokenText()
	}
	isNum := func(n *node) bool { return n != nil && n.kind == nodeNumber }

	first := at(0)
	if first == nil || first.kind != nodeString {
		return r, invalid("Invalid member in numeric match: %s", text(first))
	}
	op := first.text
	switch op {
	case "=":
		if !isNum(at(1)) {
			return r, invalid("Value of equals must be numeric")
		}
		if len(items) != 2 {
			return r, invalid(msgTooMany)
		}
		q, err := comparable(items[1].text)
		if err != nil {
			return r, err
		}
		return numericRange{lo: q, hi: q, hasLo: true, hasHi: true}, nil
	case ">=", ">":
		if !isNum(at(1)) {
			return r, invalid("Value of %s must be numeric", op)
		}
		lo, err := comparable(items[1].text)
		if err != nil {
			return r, err
		}
		r = numericRange{lo: lo, hasLo: true, openLo: op == ">"}
		if len(items) == 2 {
			return r, nil
		}
		second := items[2]
		if second.kind != nodeString {
			return r, invalid("Bad value in numeric range: %s", second.tokenText())
		}
		op2 := second.text
		if op2 != "<" && op2 != "<=" {
			return r, invalid("Bad numeric range operator: %s", op2)
		}
		if !isNum(at(3)) {
			return r, invalid("Value of %s must be numeric", op2)
		}
		if len(items) != 4 {
			return r, invalid("Too many terms in numeric range expression")
		}
		hi, err := comparable(items[3].text)
		if err != nil {
			return r, err
		}
		if lo >= hi {
			return r, invalid("Bottom must be less than top")
		}
		r.hi, r.hasHi, r.openHi = hi, true, op2 == "<"
		return r, nil
	case "<=", "<":
		if !isNum(at(1)) {
			return r, invalid("Value of %s must be numeric", op)
		}
		if len(items) != 2 {
			return r, invalid(msgTooMany)
		}
		hi, err := comparable(items[1].text)
		if err != nil {
			return r, err
		}
		return numericRange{hi: hi, hasHi: true, openHi: op == "<"}, nil
	}
	return r, invalid("Unrecognized numeric range operator: %s", op)
}

// numericLimit is the magnitude EventBridge documents numeric matching over.
const numericLimit = 5e9

// comparable turns a number into EventBridge's fixed-point form: six
// decimal digits, offset so that every value is positive, truncated.
func comparable(text string) (int64, error) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return 0, invalid("Invalid number %s", text)
	}
	q, ok := quantize(f)
	if !ok {
		return 0, invalid("Value must be between -5.0E9 and 5.0E9, inclusive")
	}
	return q, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func quantize(f float64) (int64, bool) {
	if !(f >= -numericLimit && f <= numericLimit) { // also rejects NaN
		return 0, false
	}
	return int64(1e6 * (numericLimit + f)), true
}

// parseCIDR validates a "cidr" operand with EventBridge's messages.
func parseCIDR(s string) (cidrMatcher, error) {
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" { // Java's split drops trailing empties
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return cidrMatcher{}, invalid("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.ParseInt(parts[1], 10, 32)
	if err != nil {
		return cidrMatcher{}, invalid("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return cidrMatcher{}, invalid("Malformed CIDR, mask bits must not be negative")
	}
	addr, msg := parseIP(parts[0])
	if msg != "" {
		return cidrMatcher{}, invalid("%s", msg)
	}
	if addr.Is4() && bits > 31 {
		return cidrMatcher{}, invalid("IPv4 mask bits must be < 32")
	}
	if addr.Is6() && bits > 127 {
		return cidrMatcher{}, invalid("IPv6 mask bits must be < 128")
	}
	return newCIDRMatcher(addr, int(bits)), nil
}

// parseIP accepts what EventBridge calls an IP address literal: only digits
// and dots (IPv4) or hex digits and colons (IPv6).
func parseIP(s string) (netip.Addr, string) {
	if !looksLikeIP(s) {
		return netip.Addr{}, "Nonstandard IP address: " + s
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, "Invalid IP address: " + s
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	return a, ""
}

func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	v4, v6 := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		digit := '0' <= c && c <= '9'
		hex := digit || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		v4 = v4 && (digit || c == '.')
		v6 = v6 && (hex || c == ':')
	}
	return v4 || v6
}

func (c *compiler) finish() (*Pattern, error) {
	p := &Pattern{lookup: map[string]pathInfo{}}
	index := map[string]int{}
	wildcards := map[string][]*wildcard{}
	for _, r := range c.rules {
		names := make([]string, 0, len(r))
		for name := range r {
			names = append(names, name)
		}
		sort.Strings(names)
		fields := make([]field, 0, len(names))
		for _, name := range names {
			idx, ok := index[name]
			if !ok {
				idx = len(p.paths)
				index[name] = idx
				p.paths = append(p.paths, name)
			}
			f := field{path: name, idx: idx}
			for _, a := range r[name] {
				switch {
				case a.exists:
					f.exists = true
				case a.absent:
					f.absent = true
				default:
					f.matchers = append(f.matchers, a.m)
					wildcards[name] = append(wildcards[name], wildcardsOf(a.m)...)
				}
			}
			fields = append(fields, f)
		}
		p.branches = append(p.branches, fields)
	}
	for _, ws := range wildcards {
		if tooComplex(ws) {
			return nil, invalid("Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character")
		}
	}
	for i, name := range p.paths {
		info := p.lookup[name]
		info.idx = int32(i)
		p.lookup[name] = info
		for j := 0; j < len(name); j++ {
			if name[j] == '.' {
				pre := name[:j]
				pi, ok := p.lookup[pre]
				if !ok {
					pi.idx = -1
				}
				pi.prefix = true
				p.lookup[pre] = pi
			}
		}
	}
	return p, nil
}
