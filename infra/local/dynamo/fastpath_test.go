package dynamo

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestScalarMemberAgreesWithGeneralDecoding: the shortcut for {"S":...} and
// {"N":...} decodes every value (or refuses it) exactly as the general path
// does.
func TestScalarMemberAgreesWithGeneralDecoding(t *testing.T) {
	cases := []string{
		`{"S":"abc"}`, `{"S":""}`, ` { "S" : "a b" } `, "{\n\t\"S\":\"x\"\r}", `{"S":"é✓"}`, `{"S":"a\"b"}`, `{"S":"a\\nb"}`,
		`{"S":"\u00e9"}`, "{\"S\":\"\xff\"}", "{\"S\":\"\xc3\"}", `{"S":"x","S":"y"}`, `{"S":"x","N":"1"}`, `{"S":1}`, `{"S":null}`,
		`{"N":"1"}`, `{"N":"-0"}`, `{"N":"1.50"}`, `{"N":"1e3"}`, `{"N":" 12 "}`, `{"N":"abc"}`, `{"N":""}`, `{"N":"1e400"}`,
		`{"N":"` + strings.Repeat("9", 39) + `"}`, `{"N":1}`, `{"BOOL":true}`, `{"NULL":true}`, `{"M":{"a":{"S":"b"}}}`,
		`{"L":[{"N":"2"},{"S":"x"}]}`, `{"SS":["a","b"]}`, `{"NS":["1","01"]}`, `{"X":"y"}`, `{"s":"x"}`, `{}`, `[]`, `"S"`, `null`,
		`{"S" :"x" , "N":"1"}`, `{"S":"x"} `, `{"B":"AAEC"}`,
	}
	for _, c := range cases {
		var fast Value
		fastErr := json.Unmarshal([]byte(c), &fast)
		var slow Value
		slowErr := slow.unmarshalGeneral([]byte(c))
		if (fastErr == nil) != (slowErr == nil) || fastErr != nil && fastErr.Error() != slowErr.Error() {
			t.Errorf("%s: error %v, general path %v", c, fastErr, slowErr)
			continue
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: %+v, general path %+v", c, fast, slow)
		}
	}
}

// TestIntegerSizeAgreesWithDecimalSize: sizes counted on an integer's text
// equal those of the general count.
func TestIntegerSizeAgreesWithDecimalSize(t *testing.T) {
	cases := []string{"0", "-0", "+0", "000", "1", "-1", "+7", "10", "100", "-100", "1000001", "0012300", "99", "12345678901234567890123456789012345678",
		strings.Repeat("9", 39), strings.Repeat("1", 201), "", "-", "+", "1.0", "1e2", " 1", "0x10", "--1"}
	for i := int64(1); i < 1e12; i = i*7 + 3 {
		cases = append(cases, strconv.FormatInt(i, 10), strconv.FormatInt(-i, 10), strconv.FormatInt(i*1000, 10))
	}
	for _, c := range cases {
		want := decimalSize(c)
		if got, ok := integerSize(c); ok && got != want {
			t.Errorf("integerSize(%q) = %d, decimalSize %d", c, got, want)
		}
		if got := numberSize(c); got != want {
			t.Errorf("numberSize(%q) = %d, decimalSize %d", c, got, want)
		}
	}
}

// FuzzScalarMember: on any valid JSON, the shortcut and the general path
// agree.
func FuzzScalarMember(f *testing.F) {
	for _, s := range []string{`{"S":"abc"}`, `{"N":"1.5e3"}`, `{"S":"a\"b"}`, `{"M":{}}`, "{\"S\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // the decoder hands UnmarshalJSON valid JSON only
		}
		var fast, slow Value
		fastErr := fast.UnmarshalJSON(data)
		slowErr := slow.unmarshalGeneral(data)
		if (fastErr == nil) != (slowErr == nil) || fastErr != nil && fastErr.Error() != slowErr.Error() || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: %+v (%v), general path %+v (%v)", data, fast, fastErr, slow, slowErr)
		}
	})
}

// TestPlainIntegerAgreesWithParseDecimalText: the shortcut for numbers of
// digits only gives what the general parser gives, and leaves every other
// text to it.
func TestPlainIntegerAgreesWithParseDecimalText(t *testing.T) {
	cases := []string{"0", "00", "7", "007", "10", "100", "1000000", "1767225600", "1767225601", "120000000000000000",
		"999999999999999999", "100000000000000000", "000000000000000001", "250000", "31"}
	for i := uint64(1); i < 1e18; i = i*7 + 3 {
		cases = append(cases, strconv.FormatUint(i, 10), strconv.FormatUint(i*10, 10))
	}
	for _, c := range cases {
		fast, ok := plainInteger(c)
		if !ok {
			if len(c) <= 18 {
				t.Errorf("%s: not taken as a plain integer", c)
			}
			continue
		}
		slow, err := parseDecimalText(c)
		if err != nil || fast.mant.Cmp(slow.mant) != 0 || fast.exp != slow.exp {
			t.Errorf("%s: %s e%d, general path %v e%d (%v)", c, fast.mant, fast.exp, slow.mant, slow.exp, err)
		}
	}
	for _, c := range []string{"", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x1", "1_000", "١", "9999999999999999999", "12a"} {
		if _, ok := plainInteger(c); ok {
			t.Errorf("%q taken as a plain integer", c)
		}
	}
}
