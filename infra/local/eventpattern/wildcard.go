package eventpattern

import (
	"sort"
	"strings"
)

// wildcard is a compiled "wildcard" operand: literal segments separated by
// '*', each of which matches any run of characters, possibly empty.
type wildcard struct {
	source   string
	segments []string // len(segments) == number of '*' + 1
}

// parseWildcard validates a wildcard operand. Positions in messages count
// from the opening quote of the JSON string, as EventBridge's do.
func parseWildcard(s string) (*wildcard, error) {
	w := &wildcard{source: s}
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, invalid("Consecutive wildcard characters at pos %d", i+1)
			}
			w.segments = append(w.segments, cur.String())
			cur.Reset()
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\') {
				cur.WriteByte(s[i+1])
				i++
				continue
			}
			return nil, invalid("Invalid escape character at pos %d", i+1)
		default:
			cur.WriteByte(s[i])
		}
	}
	w.segments = append(w.segments, cur.String())
	return w, nil
}

func (w *wildcard) match(l *leaf) bool {
	return l.kind == leafString && w.matchString(l.text)
}

// matchString matches greedily: the first segment anchors the start, the
// last anchors the end, and each middle one takes its leftmost occurrence,
// which is optimal for patterns whose only metacharacter is '*'.
func (w *wildcard) matchString(s string) bool {
	segs := w.segments
	if len(segs) == 1 {
		return s == segs[0]
	}
	first, last := segs[0], segs[len(segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return true
}

// wildcardComplexityLimit is the largest complexity EventBridge accepts for
// the wildcard patterns of one field.
const wildcardComplexityLimit = 10

// wildcardState is a state of the byte automaton EventBridge builds for the
// wildcard patterns of one field.
type wildcardState struct {
	literal map[byte][]int // transitions on one byte
	star    int            // state entered on any byte (a '*'), or 0
	weight  int            // number of patterns whose path runs through here
	trie    map[byte]int   // shared transitions while no '*' has been seen
	first   int            // shared '*' state of a determinate prefix
}

// tooComplex reports whether the wildcard patterns of one field exceed the
// complexity EventBridge accepts. The measure follows event-ruler's
// MachineComplexityEvaluator: the largest number of pattern prefixes that a
// single input could keep alive at once, where a state that may continue
// through a '*' also counts the '*' state. Patterns share storage up to and
// including their first '*'; after it their states are distinct, so
// repeated sequences after a wildcard multiply the live states.
func tooComplex(ws []*wildcard) bool {
	if len(ws) == 0 {
		return false
	}
	seen := map[string]bool{}
	states := []wildcardState{{}}
	alphabet := map[byte]bool{}
	newState := func() int {
		states = append(states, wildcardState{})
		return len(states) - 1
	}
	addLiteral := func(from int, b byte, to int) {
		if states[from].literal == nil {
			states[from].literal = map[byte][]int{}
		}
		states[from].literal[b] = append(states[from].literal[b], to)
	}
	for _, w := range ws {
		if seen[w.source] {
			continue
		}
		seen[w.source] = true
		tokens := []int{'"'}
		for i, seg := range w.segments {
			if i > 0 {
				tokens = append(tokens, -1)
			}
			for j := 0; j < len(seg); j++ {
				tokens = append(tokens, int(seg[j]))
			}
		}
		tokens = append(tokens, '"')

		cur, pre := 0, -1 // pre: state before the latest '*'
		determinate := true
		states[0].weight++
		for i, t := range tokens {
			var next int
			switch {
			case t == -1 && determinate:
				next = states[cur].first
				if next == 0 {
					next = newState()
					states[cur].first = next
					states[cur].star = next
					states[next].star = next
				}
				determinate = false
				pre = cur
			case t == -1:
				next = newState()
				states[cur].star = next
				states[next].star = next
				pre = cur
			case determinate:
				b := byte(t)
				alphabet[b] = true
				next = states[cur].trie[b]
				if next == 0 {
					next = newState()
					if states[cur].trie == nil {
						states[cur].trie = map[byte]int{}
					}
					states[cur].trie[b] = next
					addLiteral(cur, b, next)
				}
			default:
				b := byte(t)
				alphabet[b] = true
				next = newState()
				addLiteral(cur, b, next)
				if i > 0 && tokens[i-1] == -1 {
					addLiteral(pre, b, next) // the '*' matched nothing
				}
			}
			states[next].weight++
			cur = next
		}
	}

	inputs := make([]int, 0, len(alphabet)+1)
	inputs = append(inputs, -1) // stands for every byte without a literal edge
	for b := range alphabet {
		inputs = append(inputs, int(b))
	}
	sort.Ints(inputs)

	visited := map[string]bool{}
	pending := [][]int{{0}}
	for len(pending) > 0 {
		active := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		for _, in := range inputs {
			set := map[int]bool{}
			for _, id := range active {
				if s := states[id].star; s != 0 {
					set[s] = true
				}
				if in >= 0 {
					for _, n := range states[id].literal[byte(in)] {
						set[n] = true
					}
				}
			}
			if len(set) == 0 {
				continue
			}
			complexity := 0
			next := make([]int, 0, len(set))
			for id := range set {
				next = append(next, id)
				complexity += states[id].weight
				if s := states[id].star; s != 0 && !set[s] {
					complexity += states[s].weight
				}
			}
			if complexity > wildcardComplexityLimit {
				return true
			}
			sort.Ints(next)
			key := keyOf(next)
			if !visited[key] {
				visited[key] = true
				pending = append(pending, next)
			}
		}
	}
	return false
}

func keyOf(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(itoa(id))
		b.WriteByte(',')
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var buf [20]byte
	n := len(buf)
	for i > 0 {
		n--
		buf[n] = digits[i%10]
		i /= 10
	}
	return string(buf[n:])
}
