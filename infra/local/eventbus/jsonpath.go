package eventbus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// eventPath is a JSONPath in the subset EventBridge evaluates for InputPath
// and InputPathsMap: "$", then dot names ("$.detail-type", "$.a/b": any
// character but '.' and '['), bracket names ['x'] or ["x"], array indexes
// [0] (negative counts from the end) and wildcards .* and [*].
//
// It walks the event's JSON text rather than a decoded map, so a selected
// object keeps the key order it had in the event, as on AWS. (The project's
// github.com/theory/jsonpath follows RFC 9535, whose dot names can't hold a
// '-', and works on decoded values, which lose that order.)
type eventPath struct {
	src      string
	steps    []pathStep
	definite bool // no wildcard: selects at most one value
}

type pathStep struct {
	wild  bool
	name  string
	index int
	isIdx bool
}

// compileEventPath parses an EventBridge JSONPath.
func compileEventPath(s string) (*eventPath, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, errors.New("a path starts with $")
	}
	p := &eventPath{src: s, definite: true}
	rest := s[1:]
	for rest != "" {
		var st pathStep
		switch rest[0] {
		case '.':
			rest = rest[1:]
			if strings.HasPrefix(rest, "*") {
				st.wild, rest = true, rest[1:]
				break
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("empty name at %q (recursive descent is not supported)", "."+rest)
			}
			st.name, rest = rest[:end], rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ in %q", rest)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			switch {
			case inner == "*":
				st.wild = true
			case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0]:
				st.name = inner[1 : len(inner)-1]
			default:
				n, err := strconv.Atoi(inner)
				if err != nil {
					return nil, fmt.Errorf("[%s] is neither an index, a quoted name nor *", inner)
				}
				st.index, st.isIdx = n, true
			}
		default:
			return nil, fmt.Errorf("unexpected %q: steps start with . or [", rest[:1])
		}
		if st.wild {
			p.definite = false
		}
		p.steps = append(p.steps, st)
	}
	return p, nil
}

// eval selects from doc, a JSON text. A definite path returns the value it
// selects and true, or false when there is none; a path with a wildcard
// returns a JSON array of the matches (possibly empty), in document order.
func (p *eventPath) eval(doc json.RawMessage) (json.RawMessage, bool) {
	nodes := []json.RawMessage{bytes.TrimSpace(doc)}
	for _, st := range p.steps {
		var next []json.RawMessage
		for _, n := range nodes {
			next = append(next, st.apply(n)...)
		}
		nodes = next
	}
	if p.definite {
		if len(nodes) != 1 {
			return nil, false
		}
		return nodes[0], true
	}
	out := []byte{'['}
	for i, n := range nodes {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, n...)
	}
	return append(out, ']'), true
}

func (st pathStep) apply(n json.RawMessage) []json.RawMessage {
	if len(n) == 0 {
		return nil
	}
	switch {
	case n[0] == '[' && (st.wild || st.isIdx):
		var elems []json.RawMessage
		if err := json.Unmarshal(n, &elems); err != nil {
			return nil
		}
		if st.wild {
			return elems
		}
		i := st.index
		if i < 0 {
			i += len(elems)
		}
		if i < 0 || i >= len(elems) {
			return nil
		}
		return elems[i : i+1]
	case n[0] == '{' && !st.isIdx:
		ms, ok := members(n)
		if !ok {
			return nil
		}
		var out []json.RawMessage
		for _, m := range ms {
			switch {
			case st.wild:
				out = append(out, m.value)
			case m.key == st.name:
				out = []json.RawMessage{m.value} // the last duplicate wins
			}
		}
		return out
	}
	return nil
}

type member struct {
	key   string
	value json.RawMessage
}

// members lists an object's members in document order.
func members(obj json.RawMessage) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{key: k, value: bytes.TrimSpace(v)})
	}
	return out, true
}
