package bench

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// LoanMapDefinition is the CPU-bound benchmark state machine: an inline Map
// that scores every loan application of a batch through Choice and Pass
// states and the intrinsic functions States.Format, States.MathAdd,
// States.ArrayLength and States.ArrayGetItem, with an ItemSelector, a
// ResultSelector and ResultPaths. It has no Task state.
//
//go:embed testdata/loan_map.asl.json
var LoanMapDefinition []byte

// MapItems is the number of loan applications in the benchmark batch. An
// iteration writes about 18 history events (8 states entered and exited, the
// iteration's start and end), and AWS fails an execution at its 25,000th
// event: 1,000 items (about 18,000 events) is a Map AWS runs to its end.
const MapItems = 1000

// products is the product table the definition indexes with
// States.ArrayGetItem.
var products = []string{"fixed30", "fixed15", "arm5", "arm7", "heloc"}

// Application is one loan application of the benchmark batch, with short
// field names so that a batch stays far below AWS's 256 KiB input limit.
type Application struct {
	Score   int `json:"s"` // credit score, 560..850
	AmountK int `json:"a"` // amount in thousands, 50..950
	Product int `json:"p"` // index into the batch's products
}

// Batch is the input of LoanMapDefinition.
type Batch struct {
	Batch        string        `json:"batch"`
	BaseBps      int           `json:"baseBps"`
	Products     []string      `json:"products"`
	Applications []Application `json:"applications"`
}

// GenerateBatch returns a deterministic batch of n applications: the same n
// always gives the same bytes.
func GenerateBatch(n int) Batch {
	b := Batch{Batch: "B-2025-06", BaseBps: 400, Products: products, Applications: make([]Application, n)}
	r := splitmix64(20250601)
	for i := range b.Applications {
		b.Applications[i] = Application{
			Score:   560 + int(r.next()%291),
			AmountK: 50 + int(r.next()%901),
			Product: int(r.next() % uint64(len(products))),
		}
	}
	return b
}

// MarshalBatch encodes a batch as the execution input.
func MarshalBatch(b Batch) ([]byte, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	return data, nil
}

// splitmix64 is a tiny deterministic generator (stable across Go releases,
// unlike the standard library's distributions).
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// ExpectedOutput computes, in plain Go, the output LoanMapDefinition must
// produce for b: it restates the definition's rules and is the oracle of the
// unit test and a sanity check of the benchmark.
func ExpectedOutput(b Batch) map[string]any {
	decisions := make([]any, len(b.Applications))
	for i, a := range b.Applications {
		code, adj := "S", 175
		switch {
		case a.Score >= 720 && a.AmountK <= 600:
			code, adj = "P", -25
		case a.Score >= 640:
			code, adj = "N", 40
		}
		name := b.Products[a.Product]
		bps := b.BaseBps + adj
		if name == "heloc" {
			bps += 75
		}
		decision := "A"
		if code == "S" && a.AmountK > 400 {
			decision = "D"
		}
		decisions[i] = strings.Join([]string{strconv.Itoa(i), code, name, strconv.Itoa(bps), decision}, ":")
	}
	var first any
	if len(decisions) > 0 {
		first = decisions[0]
	}
	return map[string]any{
		"batch":     b.Batch,
		"count":     float64(len(decisions)),
		"first":     first,
		"summary":   fmt.Sprintf("batch %s scored %d applications", b.Batch, len(decisions)),
		"decisions": decisions,
	}
}

// SameJSON reports whether two JSON documents are equal as values (object
// key order and number spelling do not matter), and, when they differ, a
// short description of the first difference.
func SameJSON(a, b []byte) (bool, string, error) {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		return false, "", fmt.Errorf("decode first document: %w", err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		return false, "", fmt.Errorf("decode second document: %w", err)
	}
	if reflect.DeepEqual(va, vb) {
		return true, "", nil
	}
	return false, firstDiff("$", va, vb), nil
}

// firstDiff describes the first place where two decoded JSON values differ.
func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object vs %T", path, b)
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing in second", path, k)
			}
			if !reflect.DeepEqual(v, w) {
				return firstDiff(path+"."+k, v, w)
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return fmt.Sprintf("%s.%s: missing in first", path, k)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: array vs %T", path, b)
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: %d items vs %d", path, len(x), len(y))
		}
		for i := range x {
			if !reflect.DeepEqual(x[i], y[i]) {
				return firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])
			}
		}
	}
	return fmt.Sprintf("%s: %s vs %s", path, short(a), short(b))
}

func short(v any) string {
	data, _ := json.Marshal(v)
	if len(data) > 80 {
		return string(data[:77]) + "..."
	}
	return string(data)
}
