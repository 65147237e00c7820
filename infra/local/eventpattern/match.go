package eventpattern

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
)

// arrayPos says that a leaf lies in element idx of the array numbered id.
type arrayPos struct{ id, idx int32 }

// scratch is the per-call working memory of a match, pooled so that a match
// allocates little beyond the event's own strings.
type scratch struct {
	leaves [][]leaf // by field path index
	arena  []arrayPos
	stack  []arrayPos
	path   []byte
	nextID int32
	chosen []*leaf
	steps  int
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (p *Pattern) getScratch() *scratch {
	s := scratchPool.Get().(*scratch)
	if cap(s.leaves) < len(p.paths) {
		s.leaves = make([][]leaf, len(p.paths))
	}
	s.leaves = s.leaves[:len(p.paths)]
	for i := range s.leaves {
		s.leaves[i] = s.leaves[i][:0]
	}
	s.arena, s.stack, s.path, s.chosen = s.arena[:0], s.stack[:0], s.path[:0], s.chosen[:0]
	s.nextID, s.steps = 0, 0
	return s
}

func putScratch(s *scratch) {
	for i := range s.leaves {
		clear(s.leaves[i]) // drop references to event strings
	}
	scratchPool.Put(s)
}

func (s *scratch) add(idx int32, l leaf) {
	l.memStart = int32(len(s.arena))
	l.memLen = int32(len(s.stack))
	s.arena = append(s.arena, s.stack...)
	s.leaves[idx] = append(s.leaves[idx], l)
}

// Match reports whether the event, given as raw JSON, matches the pattern.
// Malformed event JSON is reported as an error. Only the parts of the event
// that the pattern names are decoded; the rest is validated and skipped.
func (p *Pattern) Match(event []byte) (bool, error) {
	s := p.getScratch()
	defer putScratch(s)
	e := eventScanner{lexer: lexer{data: event}, p: p, s: s}
	if err := e.scan(); err != nil {
		return false, fmt.Errorf("eventpattern: malformed event JSON: %w", err)
	}
	return p.eval(s), nil
}

// MatchValue reports whether an already-decoded event matches the pattern.
// The event is what encoding/json produces into an any: map[string]any,
// []any, string, bool, nil, and numbers as json.Number (preferred, decode
// with UseNumber: compared from their exact text) or float64. Other Go
// integer and float types are accepted too; values of any other type are
// ignored, as if absent.
func (p *Pattern) MatchValue(event any) bool {
	s := p.getScratch()
	defer putScratch(s)
	if m, ok := event.(map[string]any); ok {
		w := valueWalker{p: p, s: s}
		w.object(m, 0)
	}
	return p.eval(s)
}

type eventScanner struct {
	lexer
	p *Pattern
	s *scratch
}

func (e *eventScanner) scan() error {
	e.skipWS()
	var err error
	if e.pos < len(e.data) && e.data[e.pos] == '{' {
		err = e.object(0)
	} else {
		err = e.skipValue(0)
	}
	if err != nil {
		return err
	}
	e.skipWS()
	if e.pos != len(e.data) {
		return e.unexpected("end of input")
	}
	return nil
}

// object reads an object whose dotted path is in e.s.path.
func (e *eventScanner) object(depth int) error {
	if depth > maxDepth {
		return e.errorf("nesting deeper than %d levels", maxDepth)
	}
	e.pos++ // '{'
	e.skipWS()
	if e.pos < len(e.data) && e.data[e.pos] == '}' {
		e.pos++
		return nil
	}
	for {
		e.skipWS()
		if e.pos >= len(e.data) || e.data[e.pos] != '"' {
			return e.unexpected("double-quote to start field name")
		}
		base := len(e.s.path)
		if base > 0 {
			e.s.path = append(e.s.path, '.')
		}
		if err := e.appendKey(); err != nil {
			return err
		}
		info, ok := e.p.lookup[string(e.s.path)]
		e.skipWS()
		if e.pos >= len(e.data) || e.data[e.pos] != ':' {
			return e.unexpected("a colon to separate field name and value")
		}
		e.pos++
		var err error
		if ok {
			err = e.value(info, depth+1)
		} else {
			err = e.skipValue(depth + 1)
		}
		if err != nil {
			return err
		}
		e.s.path = e.s.path[:base]
		e.skipWS()
		if e.pos < len(e.data) && e.data[e.pos] == ',' {
			e.pos++
			continue
		}
		if e.pos < len(e.data) && e.data[e.pos] == '}' {
			e.pos++
			return nil
		}
		return e.unexpected("comma or '}' in object")
	}
}

// appendKey decodes a member name onto the path without allocating when the
// name has no escapes.
func (e *eventScanner) appendKey() error {
	start := e.pos
	for i := start + 1; i < len(e.data); i++ {
		c := e.data[i]
		if c == '"' {
			e.s.path = append(e.s.path, e.data[start+1:i]...)
			e.pos = i + 1
			return nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
	}
	name, err := e.scanString()
	if err != nil {
		return err
	}
	e.s.path = append(e.s.path, name...)
	return nil
}

func (e *eventScanner) value(info pathInfo, depth int) error {
	if depth > maxDepth {
		return e.errorf("nesting deeper than %d levels", maxDepth)
	}
	e.skipWS()
	if e.pos >= len(e.data) {
		return e.unexpected("a JSON value")
	}
	switch c := e.data[e.pos]; {
	case c == '{':
		if !info.prefix {
			return e.skipValue(depth)
		}
		return e.object(depth)
	case c == '[':
		return e.array(info, depth)
	case info.idx < 0:
		return e.skipValue(depth)
	case c == '"':
		s, err := e.scanString()
		if err != nil {
			return err
		}
		e.s.add(info.idx, leaf{kind: leafString, text: s})
	case c == '-' || '0' <= c && c <= '9':
		text, err := e.scanNumber()
		if err != nil {
			return err
		}
		e.s.add(info.idx, numberLeaf(text))
	case c == 't':
		if err := e.expectLiteral("true"); err != nil {
			return err
		}
		e.s.add(info.idx, leaf{kind: leafTrue})
	case c == 'f':
		if err := e.expectLiteral("false"); err != nil {
			return err
		}
		e.s.add(info.idx, leaf{kind: leafFalse})
	case c == 'n':
		if err := e.expectLiteral("null"); err != nil {
			return err
		}
		e.s.add(info.idx, leaf{kind: leafNull})
	default:
		return e.unexpected("a JSON value")
	}
	return nil
}

func (e *eventScanner) array(info pathInfo, depth int) error {
	e.pos++ // '['
	e.skipWS()
	if e.pos < len(e.data) && e.data[e.pos] == ']' {
		e.pos++
		return nil
	}
	id := e.s.nextID
	e.s.nextID++
	for idx := int32(0); ; idx++ {
		e.s.stack = append(e.s.stack, arrayPos{id: id, idx: idx})
		err := e.value(info, depth+1)
		e.s.stack = e.s.stack[:len(e.s.stack)-1]
		if err != nil {
			return err
		}
		e.skipWS()
		if e.pos < len(e.data) && e.data[e.pos] == ',' {
			e.pos++
			continue
		}
		if e.pos < len(e.data) && e.data[e.pos] == ']' {
			e.pos++
			return nil
		}
		return e.unexpected("comma or ']' in array")
	}
}

func numberLeaf(text string) leaf {
	l := leaf{kind: leafNumber, text: text}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		l.q, l.qok = quantize(f)
	}
	return l
}

// valueWalker is the MatchValue counterpart of eventScanner.
type valueWalker struct {
	p *Pattern
	s *scratch
}

func (w *valueWalker) object(m map[string]any, depth int) {
	if depth > maxDepth {
		return
	}
	for k, v := range m {
		base := len(w.s.path)
		if base > 0 {
			w.s.path = append(w.s.path, '.')
		}
		w.s.path = append(w.s.path, k...)
		if info, ok := w.p.lookup[string(w.s.path)]; ok {
			w.value(info, v, depth+1)
		}
		w.s.path = w.s.path[:base]
	}
}

func (w *valueWalker) value(info pathInfo, v any, depth int) {
	if depth > maxDepth {
		return
	}
	var l leaf
	switch x := v.(type) {
	case map[string]any:
		if info.prefix {
			w.object(x, depth)
		}
		return
	case []any:
		id := w.s.nextID
		w.s.nextID++
		for i, item := range x {
			w.s.stack = append(w.s.stack, arrayPos{id: id, idx: int32(i)})
			w.value(info, item, depth+1)
			w.s.stack = w.s.stack[:len(w.s.stack)-1]
		}
		return
	case string:
		l = leaf{kind: leafString, text: x}
	case json.Number:
		l = numberLeaf(string(x))
	case float64:
		l = floatLeaf(x)
	case float32:
		l = floatLeaf(float64(x))
	case int:
		l = numberLeaf(strconv.FormatInt(int64(x), 10))
	case int64:
		l = numberLeaf(strconv.FormatInt(x, 10))
	case int32:
		l = numberLeaf(strconv.FormatInt(int64(x), 10))
	case uint:
		l = numberLeaf(strconv.FormatUint(uint64(x), 10))
	case uint64:
		l = numberLeaf(strconv.FormatUint(x, 10))
	case uint32:
		l = numberLeaf(strconv.FormatUint(uint64(x), 10))
	case bool:
		l = leaf{kind: leafFalse}
		if x {
			l.kind = leafTrue
		}
	case nil:
		l = leaf{kind: leafNull}
	default:
		return
	}
	if info.idx >= 0 {
		w.s.add(info.idx, l)
	}
}

func floatLeaf(f float64) leaf {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return leaf{kind: leafNumber, text: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	l := leaf{kind: leafNumber, text: strconv.FormatFloat(f, 'g', -1, 64)}
	l.q, l.qok = quantize(f)
	return l
}

// maxSearchSteps bounds the search for array-consistent choices of leaves.
// Real events never come near it; past it the search answers as if values
// from different elements of one array could be combined.
const maxSearchSteps = 1 << 16

func (p *Pattern) eval(s *scratch) bool {
	for _, br := range p.branches {
		if p.evalBranch(br, s) {
			return true
		}
	}
	return false
}

// candidates holds, for one field that must be met by a value, the leaves
// that satisfy it.
type candidates []*leaf

func (p *Pattern) evalBranch(br []field, s *scratch) bool {
	var pending []candidates
	for i := range br {
		f := &br[i]
		leaves := s.leaves[f.idx]
		if len(leaves) == 0 {
			if f.absent {
				continue
			}
			return false
		}
		var cs candidates
		free := false
		for j := range leaves {
			l := &leaves[j]
			if f.exists || f.matchesLeaf(l) {
				if l.memLen == 0 {
					free = true // outside any array: agrees with every choice
					break
				}
				cs = append(cs, l)
			}
		}
		if free {
			continue
		}
		if len(cs) == 0 {
			return false
		}
		pending = append(pending, cs)
	}
	if len(pending) <= 1 {
		return true
	}
	s.chosen = s.chosen[:0]
	s.steps = 0
	return s.search(pending)
}

func (f *field) matchesLeaf(l *leaf) bool {
	for _, m := range f.matchers {
		if m.match(l) {
			return true
		}
	}
	return false
}

// search picks one leaf per field so that no two picked leaves come from
// different elements of the same array, as EventBridge requires.
func (s *scratch) search(pending []candidates) bool {
	if len(pending) == 0 {
		return true
	}
	for _, l := range pending[0] {
		s.steps++
		if s.steps > maxSearchSteps {
			return true
		}
		ok := true
		for _, c := range s.chosen {
			if !s.compatible(l, c) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		s.chosen = append(s.chosen, l)
		found := s.search(pending[1:])
		s.chosen = s.chosen[:len(s.chosen)-1]
		if found {
			return true
		}
	}
	return false
}

func (s *scratch) compatible(a, b *leaf) bool {
	ma := s.arena[a.memStart : a.memStart+a.memLen]
	mb := s.arena[b.memStart : b.memStart+b.memLen]
	for _, x := range ma {
		for _, y := range mb {
			if x.id == y.id && x.idx != y.idx {
				return false
			}
		}
	}
	return true
}
