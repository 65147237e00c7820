package jsonata

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/ids"
)

// Step Functions' additions to the JSONata library, documented in "Transforming
// data with JSONata in Step Functions": $partition, $range, $hash, $random
// (with an optional seed), $uuid and $parse. Their failures use codes in
// the D315x block, which the reference implementation leaves unused.

// defineStepFunctions defines Step Functions' additions.
func (b builtinTable) defineStepFunctions() {
	b.define("partition", "<an:a>", 2, fnPartition)
	b.define("range", "<nnn?:a>", 3, fnRange)
	b.define("hash", "<ss:s>", 2, fnHash)
	b.define("uuid", "<:s>", 0, fnUUID)
	b.define("parse", "<s-:x>", 1, fnParse)
}

// maxRangeItems is the limit Step Functions puts on States.ArrayRange and
// $range.
const maxRangeItems = 1000

func fnPartition(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	arr := a[0].(*array)
	size := argNumber(a, 1)
	if !isInteger(size) || size < 1 {
		throw(&Error{Code: "D3150", Value: size, Index: 2})
	}
	n := int(math.Min(size, float64(len(arr.vals)+1)))
	out := &array{vals: []any{}}
	for i := 0; i < len(arr.vals); i += n {
		end := min(i+n, len(arr.vals))
		out.push(&array{vals: append([]any(nil), arr.vals[i:end]...)})
	}
	return out
}

func fnRange(c *call, a []any) any {
	start, end := a[0], a[1]
	if start == nil || end == nil {
		return nil
	}
	s, e := start.(float64), end.(float64)
	step := 1.0
	if st, ok := argAt(a, 2).(float64); ok {
		step = st
	}
	if !isInteger(s) || !isInteger(e) {
		throw(&Error{Code: "D3151", Value: step, Index: 1})
	}
	if !isInteger(step) || step == 0 {
		throw(&Error{Code: "D3151", Value: step, Index: 3})
	}
	count := math.Floor((e-s)/step) + 1
	if count < 0 {
		count = 0
	}
	if count > maxRangeItems {
		throw(&Error{Code: "D3154", Value: count})
	}
	out := &array{vals: make([]any, 0, int(count))}
	for i := 0; i < int(count); i++ {
		out.push(s + float64(i)*step)
	}
	return out
}

func fnHash(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	alg, _ := argAt(a, 1).(string)
	h := expr.NewHash(alg)
	if h == nil {
		throw(&Error{Code: "D3152", Value: alg, Index: 2})
	}
	_, _ = io.WriteString(h, a[0].(string)) // a hash.Hash never fails to write
	return hex.EncodeToString(h.Sum(nil))
}

// fnRandom is $random([seed]): with a seed the number depends on the seed
// alone; without, it comes from the evaluation's random source.
func fnRandom(c *call, a []any) any {
	if seed, ok := argAt(a, 0).(float64); ok {
		bits := math.Float64bits(seed)
		r := rand.New(rand.NewPCG(bits, bits^0x9E3779B97F4A7C15))
		return r.Float64()
	}
	return c.ev.random()
}

func (ev *evaluator) random() float64 {
	if ev.opts != nil && ev.opts.Random != nil {
		f := ev.opts.Random()
		if f >= 0 && f < 1 {
			return f
		}
		return math.Abs(math.Mod(f, 1))
	}
	return rand.Float64()
}

func fnUUID(c *call, a []any) any {
	if c.ev.opts != nil && c.ev.opts.UUID != nil {
		return c.ev.opts.UUID()
	}
	if c.ev.opts == nil || c.ev.opts.Random == nil {
		return ids.UUID()
	}
	// an injected Random makes $uuid reproducible: draw its 16 bytes from it
	var b [16]byte
	for i := range b {
		b[i] = byte(c.ev.random() * 256)
	}
	u, _ := ids.FromReader(bytes.NewReader(b[:])) // never fails: 16 bytes are there
	return u
}

func fnParse(c *call, a []any) any {
	if a[0] == nil {
		return nil
	}
	v, err := parseJSON(a[0].(string))
	if err != nil {
		throw(&Error{Code: "D3153", Value: a[0]})
	}
	return v
}

// parseJSON decodes one JSON document into evaluator values, keeping the
// order of object keys.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON document")
	}
	return v, nil
}

// DecodeJSON decodes one JSON document into a value that Eval accepts and
// that keeps the document's key order (as AWS does), unlike map[string]any.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("decode JSON: unexpected data after the document")
	}
	return &Document{v: v}, nil
}

// Document is a decoded JSON document that keeps key order; pass it to
// Eval as the input or as a variable's value.
type Document struct{ v any }

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is not a string")
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			arr := &array{vals: []any{}}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				arr.push(v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, err
		}
		return f, nil
	case nil:
		return null, nil
	case string, bool:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
