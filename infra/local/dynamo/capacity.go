package dynamo

import (
	"math"
	"math/big"
	"slices"
	"strings"
)

// ConsumedCapacity is the capacity an operation used on one table, as
// ReturnConsumedCapacity asks for it: TOTAL gives CapacityUnits alone,
// INDEXES adds the table's part and each index's. Transactions also give
// the units as ReadCapacityUnits or WriteCapacityUnits, as DynamoDB does.
// Nothing is metered: the units are what DynamoDB would charge, from the
// sizes of the items read and written (reads: 4 KB units, halved when
// eventually consistent; writes: 1 KB units; transactions: twice that).
type ConsumedCapacity struct {
	TableName              string              `json:"TableName"`
	CapacityUnits          float64             `json:"CapacityUnits"`
	ReadCapacityUnits      *float64            `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits     *float64            `json:"WriteCapacityUnits,omitempty"`
	Table                  *Capacity           `json:"Table,omitempty"`
	GlobalSecondaryIndexes map[string]Capacity `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  map[string]Capacity `json:"LocalSecondaryIndexes,omitempty"`
}

// Capacity is the capacity used on a table or an index.
type Capacity struct {
	CapacityUnits      float64  `json:"CapacityUnits"`
	ReadCapacityUnits  *float64 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits *float64 `json:"WriteCapacityUnits,omitempty"`
}

// capMode is a ReturnConsumedCapacity: "" (NONE), TOTAL or INDEXES.
type capMode string

func parseCapMode(s string) (capMode, error) {
	switch s {
	case "", "NONE":
		return "", nil
	case "TOTAL", "INDEXES":
		return capMode(s), nil
	}
	return "", validation("1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", s)
}

// capAxis says whether a report repeats the units as read or write units
// (transactions do).
type capAxis int

const (
	axisNone capAxis = iota
	axisRead
	axisWrite
)

// units is the capacity one operation used on one table: the table's own
// and each index's.
type units struct {
	table    float64
	gsi, lsi map[string]float64
}

// addIndex adds n units to the index ix.
func (u *units) addIndex(ix *index, n float64) {
	m := &u.gsi
	if ix.local {
		m = &u.lsi
	}
	if *m == nil {
		*m = map[string]float64{}
	}
	(*m)[ix.Name] += n
}

// add adds o to u.
func (u *units) add(o units) {
	u.table += o.table
	for name, n := range o.gsi {
		if u.gsi == nil {
			u.gsi = map[string]float64{}
		}
		u.gsi[name] += n
	}
	for name, n := range o.lsi {
		if u.lsi == nil {
			u.lsi = map[string]float64{}
		}
		u.lsi[name] += n
	}
}

func (u units) total() float64 {
	n := u.table
	for _, v := range u.gsi {
		n += v
	}
	for _, v := range u.lsi {
		n += v
	}
	return n
}

// report returns the ConsumedCapacity of u on table name, or nil when the
// mode asks for none.
func (u units) report(name string, mode capMode, axis capAxis) *ConsumedCapacity {
	if mode == "" {
		return nil
	}
	detail := func(n float64) Capacity {
		c := Capacity{CapacityUnits: n}
		switch axis {
		case axisRead:
			c.ReadCapacityUnits = &n
		case axisWrite:
			c.WriteCapacityUnits = &n
		}
		return c
	}
	total := detail(u.total())
	cc := &ConsumedCapacity{TableName: name, CapacityUnits: total.CapacityUnits, ReadCapacityUnits: total.ReadCapacityUnits, WriteCapacityUnits: total.WriteCapacityUnits}
	if mode == "INDEXES" {
		t := detail(u.table)
		cc.Table = &t
		for _, m := range []struct {
			src map[string]float64
			dst *map[string]Capacity
		}{{u.gsi, &cc.GlobalSecondaryIndexes}, {u.lsi, &cc.LocalSecondaryIndexes}} {
			for name, n := range m.src {
				if *m.dst == nil {
					*m.dst = map[string]Capacity{}
				}
				(*m.dst)[name] = detail(n)
			}
		}
	}
	return cc
}

// tableUnits gathers the units of operations over several tables, for the
// batch and transaction responses.
type tableUnits map[string]*units

func (tu tableUnits) add(name string, u units) {
	if tu[name] == nil {
		tu[name] = &units{}
	}
	tu[name].add(u)
}

// report returns one ConsumedCapacity per table, by table name.
func (tu tableUnits) report(mode capMode, axis capAxis) []ConsumedCapacity {
	if mode == "" {
		return nil
	}
	out := []ConsumedCapacity{}
	for _, name := range sortedKeys(tu) {
		out = append(out, *tu[name].report(name, mode, axis))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// readUnits are the read units of reading size bytes: one per 4 KB begun,
// at least one, halved for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	n := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		n /= 2
	}
	return n
}

// writeUnits are the write units of writing size bytes: one per 1 KB
// begun, at least one.
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/1024))
}

// writeCost is the capacity a write of an item uses: on the table, the
// larger of the item before and after; on each index, what changes in it
// (nothing when its entry stays the same, the old and the new entries when
// the entry moves to another key).
func writeCost(t *table, old, nw Item) units {
	u := units{table: writeUnits(max(itemSize(old), itemSize(nw)))}
	for _, ix := range t.indexes {
		oldIn, newIn := false, false
		var oldKey, newKey [2]string
		if old != nil {
			oldKey[0], oldKey[1], oldIn = ix.entry(old)
		}
		if nw != nil {
			newKey[0], newKey[1], newIn = ix.entry(nw)
		}
		oldSize, newSize := 0, 0
		if oldIn {
			oldSize = itemSize(ix.view(t, old))
		}
		if newIn {
			newSize = itemSize(ix.view(t, nw))
		}
		switch {
		case !oldIn && !newIn:
		case !oldIn:
			u.addIndex(ix, writeUnits(newSize))
		case !newIn:
			u.addIndex(ix, writeUnits(oldSize))
		case oldKey != newKey:
			u.addIndex(ix, writeUnits(oldSize)+writeUnits(newSize))
		case !(Value{Type: TypeM, M: ix.view(t, old)}).Equal(Value{Type: TypeM, M: ix.view(t, nw)}):
			u.addIndex(ix, max(writeUnits(oldSize), writeUnits(newSize)))
		}
	}
	return u
}

// itemSize is an item's size as DynamoDB counts it (developer guide, "Item
// sizes"): the UTF-8 bytes of each attribute name and value; numbers take
// about a byte per two significant digits plus one; maps and lists three
// bytes plus a byte per element.
func itemSize(it Item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v Value) int {
	switch v.Type {
	case TypeS:
		return len(v.S)
	case TypeN:
		return numberSize(v.S)
	case TypeB:
		return len(v.B)
	case TypeBOOL, TypeNULL:
		return 1
	case TypeSS:
		n := 0
		for _, s := range v.Set {
			n += len(s)
		}
		return n
	case TypeNS:
		n := 0
		for _, s := range v.Set {
			n += numberSize(s)
		}
		return n
	case TypeBS:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case TypeL:
		n := 3 + len(v.L)
		for _, c := range v.L {
			n += valueSize(c)
		}
		return n
	case TypeM:
		n := 3
		for k, c := range v.M {
			n += len(k) + 1 + valueSize(c)
		}
		return n
	}
	return 0
}

// numberSize is the size of a number: a byte per pair of significant
// digits on each side of the decimal point, one more, and one for a minus.
func numberSize(s string) int {
	if n, ok := integerSize(s); ok {
		return n
	}
	return decimalSize(s)
}

// decimalSize is numberSize of any number.
func decimalSize(s string) int {
	d, err := parseDecimal(s)
	if err != nil {
		return len(s)
	}
	d = d.norm()
	if d.mant.Sign() == 0 {
		return 1
	}
	digits := new(big.Int).Abs(d.mant).String()
	intDigits := min(max(len(digits)+d.exp, 0), len(digits))
	frac := len(digits) - intDigits
	n := (intDigits+1)/2 + (frac+1)/2 + 1
	if d.mant.Sign() < 0 {
		n++
	}
	return n
}

// integerSize is numberSize of an integer written plainly (an optional sign
// and digits: how the stack stores most numbers), counted on the text: the
// significant digits are those between the leading and the trailing zeros.
func integerSize(s string) (int, bool) {
	if len(s) == 0 || len(s) > maxNumberLength {
		return 0, false
	}
	neg := s[0] == '-'
	digits := s
	if s[0] == '-' || s[0] == '+' {
		digits = s[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	digits = strings.TrimRight(strings.TrimLeft(digits, "0"), "0")
	if digits == "" {
		return 1, true // zero
	}
	n := (len(digits)+1)/2 + 1
	if neg {
		n++
	}
	return n, true
}
