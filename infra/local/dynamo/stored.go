package dynamo

import (
	"encoding/json"
	"fmt"
	"strings"
)

// storedValue decodes an attribute value as stored. A stored value was
// checked when it was written, so only its JSON shape is checked here:
// numbers read in canonical form, but one an older version let through that
// does not parse (not a number, an exponent past 1000) reads as the text it
// is, and one out of DynamoDB's range as the number it is, so that its item
// can still be read, scanned past, fixed and deleted.
type storedValue Value

// UnmarshalJSON decodes DynamoDB JSON without validating the values.
func (v *storedValue) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if len(raw) != 1 {
		return fmt.Errorf("attribute value has %d types, want 1", len(raw))
	}
	for typ, body := range raw {
		*v = storedValue{Type: typ}
		switch typ {
		case TypeS:
			return json.Unmarshal(body, &v.S)
		case TypeN:
			if err := json.Unmarshal(body, &v.S); err != nil {
				return err
			}
			v.S = storedNumber(v.S)
			return nil
		case TypeB:
			return json.Unmarshal(body, &v.B)
		case TypeBOOL:
			return json.Unmarshal(body, &v.Bool)
		case TypeNULL:
			return nil
		case TypeM:
			var m map[string]storedValue
			if err := json.Unmarshal(body, &m); err != nil {
				return err
			}
			v.M = make(map[string]Value, len(m))
			for k, c := range m {
				v.M[k] = Value(c)
			}
			return nil
		case TypeL:
			var l []storedValue
			if err := json.Unmarshal(body, &l); err != nil {
				return err
			}
			v.L = make([]Value, len(l))
			for i, c := range l {
				v.L[i] = Value(c)
			}
			return nil
		case TypeSS, TypeNS:
			if err := json.Unmarshal(body, &v.Set); err != nil {
				return err
			}
			if typ == TypeNS {
				for i, n := range v.Set {
					v.Set[i] = storedNumber(n)
				}
			}
			return nil
		case TypeBS:
			return json.Unmarshal(body, &v.BS)
		}
		return fmt.Errorf("unknown attribute type %q", typ)
	}
	return nil
}

// storedNumber returns the canonical form of a stored number, or the number
// as it is when it does not parse.
func storedNumber(n string) string {
	if canonicalInteger(n) {
		return n // what parsing would give back, without a regexp and a big.Int
	}
	if d, err := parseDecimal(n); err == nil {
		return d.String()
	}
	return n
}

// decodeStored decodes a stored item: with the item codec (parseStored)
// when it can, else with encoding/json and storedValue's leniencies.
func decodeStored(raw string) (Item, error) {
	if it, err := parseStored(raw); err == nil {
		return it, nil
	}
	return decodeStoredJSON(raw)
}

// decodeStoredJSON decodes a stored item with encoding/json.
func decodeStoredJSON(raw string) (Item, error) {
	var m map[string]storedValue
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, err
	}
	it := make(Item, len(m))
	for k, v := range m {
		it[k] = Value(v)
	}
	return it, nil
}

// keyItem rebuilds the key attributes of a row from its key columns.
func (t *table) keyItem(pk, sk string) Item {
	it := Item{t.hashKey(): {Type: t.attrType(t.hashKey()), S: pk}}
	if r := t.rangeKey(); r != "" {
		it[r] = Value{Type: t.attrType(r), S: sk}
	}
	return it
}

// errUndecodable refuses an update of an item that reads as its key only.
func errUndecodable(t *table) error {
	return validation("The stored item cannot be decoded (it was written by an older version of the loanflow local stack, or damaged); "+
		"it reads as its key only and can be replaced with PutItem or deleted, not updated. Table: %s", t.Name)
}

// canonicalInteger reports whether n is an integer as decimal.String writes
// one: "0", or digits with no leading zero after an optional "-".
func canonicalInteger(n string) bool {
	if n == "0" {
		return true
	}
	digits := strings.TrimPrefix(n, "-")
	if digits == "" || digits[0] == '0' || len(n) > maxNumberLength {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
