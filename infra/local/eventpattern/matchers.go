package eventpattern

import (
	"bytes"
	"net/netip"
	"strings"
	"unicode/utf8"
)

type leafKind uint8

const (
	leafString leafKind = iota + 1
	leafNumber
	leafTrue
	leafFalse
	leafNull
)

// leaf is one scalar value of an event at a field path.
type leaf struct {
	kind leafKind
	text string // string value, or number literal
	q    int64  // comparable form of a number, when qok
	qok  bool
	// memStart and memLen locate the leaf's array positions in the
	// scanner's arena: which element of which array it came from.
	memStart, memLen int32
}

// valueMatcher tests one leaf against one pattern alternative.
type valueMatcher interface {
	match(l *leaf) bool
}

type exactString struct {
	s    string
	ip   netip.Addr
	isIP bool
}

// newExactString builds an equality test. Like EventBridge, a value that is
// an IP address literal matches any spelling of the same address.
func newExactString(s string) exactString {
	m := exactString{s: s}
	if looksLikeIP(s) {
		if a, msg := parseIP(s); msg == "" {
			m.ip, m.isIP = a, true
		}
	}
	return m
}

func (m exactString) match(l *leaf) bool {
	if l.kind != leafString {
		return false
	}
	if l.text == m.s {
		return true
	}
	if m.isIP && looksLikeIP(l.text) {
		a, msg := parseIP(l.text)
		return msg == "" && a == m.ip
	}
	return false
}

type exactNumber struct {
	text string
	q    int64
	qok  bool
}

func newExactNumber(text string) exactNumber {
	q, err := comparable(text)
	return exactNumber{text: text, q: q, qok: err == nil}
}

func (m exactNumber) match(l *leaf) bool {
	if l.kind != leafNumber {
		return false
	}
	return l.text == m.text || (m.qok && l.qok && l.q == m.q)
}

type exactLiteral leafKind

func (m exactLiteral) match(l *leaf) bool { return l.kind == leafKind(m) }

type prefixMatcher string

func (m prefixMatcher) match(l *leaf) bool {
	return l.kind == leafString && strings.HasPrefix(l.text, string(m))
}

type suffixMatcher string

func (m suffixMatcher) match(l *leaf) bool {
	return l.kind == leafString && strings.HasSuffix(l.text, string(m))
}

type prefixFold string

func (m prefixFold) match(l *leaf) bool {
	return l.kind == leafString && hasPrefixFold(l.text, string(m))
}

type suffixFold string

func (m suffixFold) match(l *leaf) bool {
	return l.kind == leafString && hasSuffixFold(l.text, string(m))
}

type equalsFold string

func (m equalsFold) match(l *leaf) bool {
	return l.kind == leafString && strings.EqualFold(l.text, string(m))
}

// hasPrefixFold reports whether s begins with prefix under Unicode simple
// case folding, rune by rune.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		_, n1 := utf8.DecodeRuneInString(s)
		_, n2 := utf8.DecodeRuneInString(prefix)
		if !strings.EqualFold(s[:n1], prefix[:n2]) {
			return false
		}
		s, prefix = s[n1:], prefix[n2:]
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		_, n1 := utf8.DecodeLastRuneInString(s)
		_, n2 := utf8.DecodeLastRuneInString(suffix)
		if !strings.EqualFold(s[len(s)-n1:], suffix[len(suffix)-n2:]) {
			return false
		}
		s, suffix = s[:len(s)-n1], suffix[:len(suffix)-n2]
	}
	return true
}

// numericRange is a numeric interval over comparable numbers; "=" is the
// closed interval [v, v].
type numericRange struct {
	lo, hi         int64
	hasLo, hasHi   bool
	openLo, openHi bool
}

func (m numericRange) match(l *leaf) bool {
	if l.kind != leafNumber || !l.qok {
		return false
	}
	if m.hasLo && (l.q < m.lo || m.openLo && l.q == m.lo) {
		return false
	}
	if m.hasHi && (l.q > m.hi || m.openHi && l.q == m.hi) {
		return false
	}
	return true
}

// cidrMatcher matches string values that are IP addresses inside a network,
// comparing the 4- or 16-byte forms.
type cidrMatcher struct {
	lo, hi []byte
}

func newCIDRMatcher(addr netip.Addr, bits int) cidrMatcher {
	lo := addr.AsSlice()
	hi := append([]byte(nil), lo...)
	host := len(lo)*8 - bits
	for i := len(hi) - 1; i >= 0 && host > 0; i-- {
		if host >= 8 {
			hi[i] = 0xff
		} else {
			hi[i] |= byte(1<<host - 1)
		}
		host -= 8
	}
	return cidrMatcher{lo: lo, hi: hi}
}

func (m cidrMatcher) match(l *leaf) bool {
	if l.kind != leafString || !looksLikeIP(l.text) {
		return false
	}
	a, msg := parseIP(l.text)
	if msg != "" {
		return false
	}
	b := a.AsSlice()
	return len(b) == len(m.lo) && bytes.Compare(b, m.lo) >= 0 && bytes.Compare(b, m.hi) <= 0
}

// The anything-but family matches every leaf that is not excluded, including
// null, booleans and values of another type than the excluded ones.

type anythingButStrings map[string]struct{}

func (m anythingButStrings) match(l *leaf) bool {
	if l.kind != leafString {
		return true
	}
	_, hit := m[l.text]
	return !hit
}

type anythingButNumbers map[int64]struct{}

func (m anythingButNumbers) match(l *leaf) bool {
	if l.kind != leafNumber || !l.qok {
		return true
	}
	_, hit := m[l.q]
	return !hit
}

type anythingButFold []string

func (m anythingButFold) match(l *leaf) bool {
	if l.kind != leafString {
		return true
	}
	for _, s := range m {
		if strings.EqualFold(l.text, s) {
			return false
		}
	}
	return true
}

type anythingButPrefix []string

func (m anythingButPrefix) match(l *leaf) bool {
	if l.kind != leafString {
		return true
	}
	for _, s := range m {
		if strings.HasPrefix(l.text, s) {
			return false
		}
	}
	return true
}

type anythingButSuffix []string

func (m anythingButSuffix) match(l *leaf) bool {
	if l.kind != leafString {
		return true
	}
	for _, s := range m {
		if strings.HasSuffix(l.text, s) {
			return false
		}
	}
	return true
}

type anythingButWildcard []*wildcard

func (m anythingButWildcard) match(l *leaf) bool {
	if l.kind != leafString {
		return true
	}
	for _, w := range m {
		if w.matchString(l.text) {
			return false
		}
	}
	return true
}

// wildcardsOf lists the wildcard patterns inside m, for the complexity check.
func wildcardsOf(m valueMatcher) []*wildcard {
	switch w := m.(type) {
	case *wildcard:
		return []*wildcard{w}
	case anythingButWildcard:
		return w
	}
	return nil
}
