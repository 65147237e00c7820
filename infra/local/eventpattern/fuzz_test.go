package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzCompileMatch checks that no pattern or event text makes Compile or
// Match panic, that Compile fails only with *InvalidPatternError, and that
// Match and MatchValue agree on every valid event.
func FuzzCompileMatch(f *testing.F) {
	seeds := [][2]string{
		{`{"source":["a"]}`, `{"source":"a"}`},
		{`{"d":{"n":[{"numeric":[">",0,"<=",5]}]}}`, `{"d":{"n":[1,7]}}`},
		{`{"d":{"s":[{"anything-but":{"prefix":"x"}}, {"exists":false}]}}`, `{"d":{"s":null}}`},
		{`{"f":[{"wildcard":"*/a/*"}],"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"f":"x/a/y","ip":"10.1.2.3"}`},
		{`{"$or":[{"a":["1"]},{"b":{"c":[{"suffix":{"equals-ignore-case":".PNG"}}]}}]}`, `{"b":{"c":"x.png"}}`},
		{`{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1"},{"c":"2","b":["1"]}]}`},
		{`{"a.b":[{"equals-ignore-case":"x"}],"a":{"b":[true,null,1e2]}}`, `{"a.b":"X","a":{"b":100}}`},
		{`{"x":[{"anything-but":{"wildcard":["*a","b*"]}}]}`, `{"x":["ab",5,false]}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := Compile(pattern)
		if err != nil {
			var ipe *InvalidPatternError
			if !errors.As(err, &ipe) {
				t.Fatalf("Compile error %T %v, want *InvalidPatternError", err, err)
			}
			return
		}
		got, err := p.Match(event)
		if err != nil {
			if json.Valid(event) {
				t.Fatalf("Match rejected valid JSON %q: %v", event, err)
			}
			return
		}
		if !json.Valid(event) {
			t.Fatalf("Match accepted invalid JSON %q", event)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(event))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return
		}
		if hasDuplicateKeys(event) {
			return // a decoded map keeps only the last duplicate
		}
		if again := p.MatchValue(v); again != got {
			t.Fatalf("Match = %v but MatchValue = %v\npattern %s\nevent %s", got, again, pattern, event)
		}
	})
}

// hasDuplicateKeys reports whether any object in the JSON text repeats a
// member name, a case where raw and decoded events legitimately differ.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: v == '{', keys: map[string]bool{}, expect: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.expect {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.expect = false
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}
