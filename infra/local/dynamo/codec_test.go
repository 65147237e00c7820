package dynamo

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// reflectMarshal is DynamoDB JSON as encoding/json writes it from maps, the
// encoding items were stored in before the item codec.
func reflectMarshal(v Value) any {
	switch v.Type {
	case TypeS, TypeN:
		return map[string]any{v.Type: v.S}
	case TypeB:
		return map[string]any{v.Type: v.B}
	case TypeBOOL:
		return map[string]any{v.Type: v.Bool}
	case TypeNULL:
		return map[string]any{v.Type: true}
	case TypeM:
		m := map[string]any{}
		for k, c := range v.M {
			m[k] = reflectMarshal(c)
		}
		return map[string]any{v.Type: m}
	case TypeL:
		l := []any{}
		for _, c := range v.L {
			l = append(l, reflectMarshal(c))
		}
		return map[string]any{v.Type: l}
	case TypeSS, TypeNS:
		return map[string]any{v.Type: v.Set}
	case TypeBS:
		return map[string]any{v.Type: v.BS}
	}
	return nil
}

func codecSample() Item {
	return Item{
		"pk":      S("cb-1"),
		"html":    S(`<a href="x">&amp;</a>`),
		"escapes": S("quote \" backslash \\ nl \n tab \t cr \r bs \b ff \f nul \x00 unit \x1f"),
		"unicode": S("£ € 漢字 😀 \u2028 \u2029"),
		"invalid": S("bad \xff\xfe utf8 \xc3"),
		"":        S("empty name"),
		"n":       N("-12.50"),
		"big":     N("9.9999999999999999999999999999999999999E+125"),
		"b":       {Type: TypeB, B: []byte{0, 1, 2, 0xff}},
		"bEmpty":  {Type: TypeB, B: []byte{}},
		"t":       Bool(true),
		"f":       Bool(false),
		"null":    {Type: TypeNULL},
		"m": {Type: TypeM, M: map[string]Value{
			"z": S("last"), "a": {Type: TypeL, L: []Value{S("x"), N("1"), {Type: TypeM, M: map[string]Value{}}}},
			"deep": {Type: TypeM, M: map[string]Value{"k": {Type: TypeL, L: []Value{}}}},
		}},
		"ss": {Type: TypeSS, Set: []string{"b", "a<"}},
		"ns": {Type: TypeNS, Set: []string{"1", "2.5"}},
		"bs": {Type: TypeBS, BS: [][]byte{{1}, {2, 3}}},
	}
}

// The item codec writes what encoding/json wrote, byte for byte, so that
// items stored before and after it read the same, and MarshalJSON answers
// as before.
func TestAppendItemMatchesEncodingJSON(t *testing.T) {
	it := codecSample()
	got, err := appendItem(nil, it)
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]any{}
	for k, v := range it {
		ref[k] = reflectMarshal(v)
	}
	want, err := json.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("appendItem:\n%s\nencoding/json:\n%s", got, want)
	}
	viaMarshaler, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	if string(viaMarshaler) != string(want) {
		t.Fatalf("json.Marshal(Item):\n%s\nwant\n%s", viaMarshaler, want)
	}
	if _, err := appendItem(nil, Item{"x": {}}); err == nil {
		t.Fatal("a value without a type encoded")
	}
}

// parseStored reads what appendItem writes as encoding/json reads it.
func TestParseStoredRoundTrip(t *testing.T) {
	raw, err := appendItem(nil, codecSample())
	if err != nil {
		t.Fatal(err)
	}
	fast, err := parseStored(string(raw))
	if err != nil {
		t.Fatalf("parseStored refused appendItem's output: %v", err)
	}
	slow, err := decodeStoredJSON(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("parseStored:\n%#v\nencoding/json:\n%#v", fast, slow)
	}
}

// What the codec does not write is left to encoding/json, whose leniencies
// decodeStored keeps: decodeStored reads it as before.
func TestDecodeStoredFallsBack(t *testing.T) {
	deep := strings.Repeat(`{"M":{"k":`, 100) + `{"S":"x"}` + strings.Repeat(`}}`, 100)
	for _, raw := range []string{
		` { "pk" : { "S" : "a" } , "n" : { "N" : "01.50" } } `,
		`{"pk":{"S":"a"},"pk":{"S":"b"}}`,
		`{"pk":{"S":"a"},"x":{"NULL":false}}`,
		`{"pk":{"S":"a"},"x":{"B":null},"y":{"SS":null},"z":{"BOOL":null}}`,
		`{"pk":{"S":"a"},"x":{"M":null},"y":{"L":null}}`,
		`{"pk":{"S":"a"},"n":{"N":"not a number"},"ns":{"NS":["1e2000","x"]}}`,
		`{"pk":{"S":"a\u00e9\ud83d\ude00"},"bad":{"S":"` + "\xff" + `"}}`,
		`{"pk":{"S":"a"},"d":` + deep + `}`,
	} {
		got, gerr := decodeStored(raw)
		want, werr := decodeStoredJSON(raw)
		if (gerr != nil) != (werr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeStored(%.80s) = %v, %v; encoding/json: %v, %v", raw, got, gerr, want, werr)
		}
	}
	for _, bad := range []string{`{"pk":{"S":"a"},"x":{}}`, `{"pk":{"S":"a","N":"1"}}`, `{"pk":{"X":"a"}}`, `{"pk":`, `[]`} {
		if _, err := decodeStored(bad); err == nil {
			t.Errorf("decodeStored(%s) accepted it", bad)
		}
	}
}

// Whatever parseStored accepts, it reads as encoding/json does.
func FuzzParseStored(f *testing.F) {
	raw, _ := appendItem(nil, codecSample())
	f.Add(string(raw))
	f.Add(`{"a":{"L":[{"N":"1"},{"BS":["AA==",""]},{"NULL":true}]}}`)
	f.Add(`{"a":{"S":"x\"y"},"b":{"BOOL":false}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		fast, err := parseStored(raw)
		if err != nil {
			return
		}
		slow, err := decodeStoredJSON(raw)
		if err != nil {
			t.Fatalf("parseStored accepted %q, encoding/json refused it: %v", raw, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("parseStored(%q) = %#v, encoding/json %#v", raw, fast, slow)
		}
	})
}

// Integers in canonical form are read as they are, as parsing reads them;
// any other number is parsed.
func TestStoredNumberShortcut(t *testing.T) {
	for _, n := range []string{"0", "7", "-7", "1700000000", "-0", "007", "1.50", "1e3", "-", "", "12a",
		"1" + strings.Repeat("0", 37), "9" + strings.Repeat("9", 40)} {
		want := n
		if d, err := parseDecimal(n); err == nil {
			want = d.String()
		}
		if got := storedNumber(n); got != want {
			t.Errorf("storedNumber(%q) = %q, want %q", n, got, want)
		}
		if canonicalInteger(n) && want != n {
			t.Errorf("%q taken as canonical, parses as %q", n, want)
		}
	}
}
