package eventpattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMatchOperators(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		{"exact string", `{"source":["a","b"]}`, `{"source":"b"}`, true},
		{"exact string miss", `{"source":["a"]}`, `{"source":"A"}`, false},
		{"exact string is not a number", `{"n":["5"]}`, `{"n":5}`, false},
		{"exact number by value", `{"n":[5]}`, `{"n":5.0}`, true},
		{"exact number exponent", `{"n":[301.8]}`, `{"n":3.018e2}`, true},
		{"exact number is not a string", `{"n":[5]}`, `{"n":"5"}`, false},
		{"exact number beyond range by text", `{"n":[123456789012]}`, `{"n":123456789012}`, true},
		{"boolean", `{"b":[true]}`, `{"b":true}`, true},
		{"boolean miss", `{"b":[true]}`, `{"b":"true"}`, false},
		{"null", `{"v":[null]}`, `{"v":null}`, true},
		{"null is not missing", `{"v":[null]}`, `{}`, false},
		{"empty string", `{"v":[""]}`, `{"v":""}`, true},
		{"event array any element", `{"r":["x"]}`, `{"r":["a","x"]}`, true},
		{"event array no element", `{"r":["x"]}`, `{"r":["a","b"]}`, false},
		{"nested object", `{"d":{"s":["on"]}}`, `{"d":{"s":"on"}}`, true},
		{"missing field", `{"d":{"s":["on"]}}`, `{"d":{}}`, false},
		{"object is not a leaf", `{"d":["on"]}`, `{"d":{"x":"on"}}`, false},
		{"dotted pattern key", `{"d.s":["on"]}`, `{"d":{"s":"on"}}`, true},
		{"dotted event key", `{"d":{"s":["on"]}}`, `{"d.s":"on"}`, true},
		{"ip literal any spelling", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:0db8:0:0:0:0:0:1"}`, true},

		{"prefix", `{"t":[{"prefix":"2022-"}]}`, `{"t":"2022-01"}`, true},
		{"prefix miss", `{"t":[{"prefix":"2022-"}]}`, `{"t":"2021-01"}`, false},
		{"prefix not on numbers", `{"t":[{"prefix":""}]}`, `{"t":12}`, false},
		{"prefix ignore case", `{"s":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"s":"eventbridge"}`, true},
		{"prefix ignore case miss", `{"s":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"s":"event"}`, false},
		{"suffix", `{"f":[{"suffix":".png"}]}`, `{"f":"a.png"}`, true},
		{"suffix case sensitive", `{"f":[{"suffix":".png"}]}`, `{"f":"a.PNG"}`, false},
		{"suffix ignore case", `{"f":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"f":"a.PNG"}`, true},
		{"equals ignore case", `{"n":[{"equals-ignore-case":"alice"}]}`, `{"n":"ALICE"}`, true},
		{"equals ignore case unicode", `{"n":[{"equals-ignore-case":"straße"}]}`, `{"n":"STRAßE"}`, true},
		{"equals ignore case not prefix", `{"n":[{"equals-ignore-case":"alice"}]}`, `{"n":"alicex"}`, false},

		{"anything-but string", `{"s":[{"anything-but":"x"}]}`, `{"s":"y"}`, true},
		{"anything-but string hit", `{"s":[{"anything-but":"x"}]}`, `{"s":"x"}`, false},
		{"anything-but string vs number", `{"s":[{"anything-but":"5"}]}`, `{"s":5}`, true},
		{"anything-but number by value", `{"n":[{"anything-but":[100,200]}]}`, `{"n":1e2}`, false},
		{"anything-but null matches", `{"s":[{"anything-but":["x"]}]}`, `{"s":null}`, true},
		{"anything-but missing", `{"s":[{"anything-but":["x"]}]}`, `{}`, false},
		{"anything-but array element", `{"s":[{"anything-but":"x"}]}`, `{"s":["x","y"]}`, true},
		{"anything-but prefix", `{"r":[{"anything-but":{"prefix":"us-"}}]}`, `{"r":"eu-west-1"}`, true},
		{"anything-but prefix hit", `{"r":[{"anything-but":{"prefix":["eu-","us-"]}}]}`, `{"r":"us-east-1"}`, false},
		{"anything-but suffix", `{"f":[{"anything-but":{"suffix":".png"}}]}`, `{"f":"a.png"}`, false},
		{"anything-but ignore case", `{"s":[{"anything-but":{"equals-ignore-case":["a","b"]}}]}`, `{"s":"B"}`, false},
		{"anything-but wildcard", `{"p":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"p":"/usr/lib/x"}`, false},
		{"anything-but wildcard number", `{"p":[{"anything-but":{"wildcard":"*"}}]}`, `{"p":5}`, true},

		{"numeric range", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":5}`, true},
		{"numeric range open", `{"c":[{"numeric":[">",0,"<=",5]}]}`, `{"c":0}`, false},
		{"numeric ge", `{"c":[{"numeric":[">=",0]}]}`, `{"c":0}`, true},
		{"numeric lt", `{"c":[{"numeric":["<",10]}]}`, `{"c":9.999999}`, true},
		{"numeric equals", `{"c":[{"numeric":["=",3.018e2]}]}`, `{"c":301.8}`, true},
		{"numeric six decimals", `{"c":[{"numeric":["=",1]}]}`, `{"c":1.0000001}`, true},
		{"numeric string", `{"c":[{"numeric":[">",0]}]}`, `{"c":"5"}`, false},
		{"numeric out of range event", `{"c":[{"numeric":[">",0]}]}`, `{"c":6e9}`, false},
		{"numeric negative", `{"c":[{"numeric":["<",-1.5]}]}`, `{"c":-2}`, true},

		{"exists true", `{"d":{"s":[{"exists":true}]}}`, `{"d":{"s":null}}`, true},
		{"exists true on object", `{"d":[{"exists":true}]}`, `{"d":{"s":1}}`, false},
		{"exists true empty array", `{"r":[{"exists":true}]}`, `{"r":[]}`, false},
		{"exists false", `{"d":{"s":[{"exists":false}]}}`, `{"d":{}}`, true},
		{"exists false present", `{"d":{"s":[{"exists":false}]}}`, `{"d":{"s":"x"}}`, false},
		{"exists false no parent", `{"d":{"s":[{"exists":false}]}}`, `{}`, true},

		{"cidr v4", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.255"}`, true},
		{"cidr v4 miss", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.1.0"}`, false},
		{"cidr v4 not an address", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"10.0.0.256"}`, false},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8:1234:1a00::/64"}]}`, `{"ip":"2001:db8:1234:1a00:ffff::1"}`, true},
		{"cidr v6 miss", `{"ip":[{"cidr":"2001:db8:1234:1a00::/64"}]}`, `{"ip":"2001:db8:1234:1a01::"}`, false},
		{"cidr family", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"::1"}`, false},

		{"wildcard", `{"f":[{"wildcard":"dir/*.png"}]}`, `{"f":"dir/a/b.png"}`, true},
		{"wildcard miss", `{"f":[{"wildcard":"dir/*.png"}]}`, `{"f":"dir/a/b.jpg"}`, false},
		{"wildcard middle", `{"f":[{"wildcard":"*/lib/*"}]}`, `{"f":"/usr/lib/x"}`, true},
		{"wildcard escaped star", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"a*b"}`, true},
		{"wildcard escaped star literal", `{"f":[{"wildcard":"a\\*b"}]}`, `{"f":"axb"}`, false},
		{"wildcard escaped backslash", `{"f":[{"wildcard":"a\\\\*"}]}`, `{"f":"a\\xyz"}`, true},
		{"wildcard only", `{"f":[{"wildcard":"*"}]}`, `{"f":""}`, true},
		{"wildcard no overlap", `{"f":[{"wildcard":"ab*ba"}]}`, `{"f":"aba"}`, false},

		{"or top level", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"b":"2"}`, true},
		{"or none", `{"$or":[{"a":["1"]},{"b":["2"]}]}`, `{"a":"2"}`, false},
		{"or nested with and", `{"s":["x"],"d":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"s":"x","d":{"a":"1"}}`, true},
		{"or nested and fails", `{"s":["x"],"d":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"s":"y","d":{"a":"1"}}`, false},
		{"duplicate key last wins", `{"a":["1"],"a":["2"]}`, `{"a":"2"}`, true},
		{"duplicate key earlier dropped", `{"a":["1"],"a":["2"]}`, `{"a":"1"}`, false},

		{"array consistency", `{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1","c":"x"},{"b":"y","c":"2"}]}`, false},
		{"array consistency same element", `{"a":{"b":["1"],"c":["2"]}}`, `{"a":[{"b":"1","c":"x"},{"b":"1","c":"2"}]}`, true},
		{"array consistency nested", `{"a":{"b":{"c":["1"]},"d":["2"]}}`, `{"a":[{"b":[{"c":"1"}],"d":"2"}]}`, true},
		{"non-object event", `{"a":[{"exists":false}]}`, `[1,2]`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tt.pattern, err)
			}
			got, err := p.Match([]byte(tt.event))
			if err != nil {
				t.Fatalf("Match(%s): %v", tt.event, err)
			}
			if got != tt.want {
				t.Errorf("Match(%s) against %s = %v, want %v", tt.event, tt.pattern, got, tt.want)
			}
			var v any
			dec := json.NewDecoder(strings.NewReader(tt.event))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if got := p.MatchValue(v); got != tt.want {
				t.Errorf("MatchValue(%s) = %v, want %v", tt.event, got, tt.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string
	}{
		{`[]`, "Filter is not an object"},
		{`{}`, "Empty objects are not allowed"},
		{`{"a":{}}`, "Empty objects are not allowed"},
		{`{"a":[]}`, "Empty arrays are not allowed"},
		{`{"a":42}`, `"a" must be an object or an array`},
		{`{"a":"x"}`, `"a" must be an object or an array`},
		{`{"a":[["x"]]}`, "Match value must be String, number, true, false, or null"},
		{`{"a":[{}]}`, "Match expression name not found"},
		{`{"a":[{"EXISTS":true}]}`, "Unrecognized match type EXISTS"},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed in match expression"},
		{`{"a":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{`{"a":[{"prefix":{"wildcard":"x"}}]}`, "Unsupported prefix pattern: wildcard"},
		{`{"a":[{"prefix":{}}]}`, "Prefix expression name not found"},
		{`{"a":[{"prefix":{"equals-ignore-case":1}}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"a":[{"suffix":[".png"]}]}`, "suffix match pattern must be a string"},
		{`{"a":[{"suffix":{"equals-ignore-case":"x","y":1}}]}`, "Only one key allowed in match expression"},
		{`{"a":[{"equals-ignore-case":["x"]}]}`, "equals-ignore-case match pattern must be a string"},
		{`{"a":[{"exists":"true"}]}`, "exists match pattern must be either true or false."},
		{`{"a":[{"exists":true,"prefix":"x"}]}`, "Only one key allowed in match expression"},
		{`{"a":[{"anything-but":null}]}`, "Value of anything-but must be an array or single string/number value."},
		{`{"a":[{"anything-but":true}]}`, "Value of anything-but must be an array or single string/number value."},
		{`{"a":[{"anything-but":["x",1]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{`{"a":[{"anything-but":[]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
		{`{"a":[{"anything-but":[null]}]}`, "Inside anything but list, start|null|boolean is not supported."},
		{`{"a":[{"anything-but":{}}]}`, "Anything-But expression name not found"},
		{`{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern: numeric"},
		{`{"a":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix not allowed"},
		{`{"a":[{"anything-but":{"prefix":["x",""]}}]}`, "Null prefix/suffix not allowed"},
		{`{"a":[{"anything-but":{"prefix":"x","suffix":"y"}}]}`, "Too many elements in numeric expression"},
		{`{"a":[{"anything-but":{"wildcard":[1]}}]}`, "wildcard match pattern must be a string"},
		{`{"a":[{"anything-but":{"wildcard":"a**"}}]}`, "Consecutive wildcard characters at pos 2"},
		{`{"a":[{"anything-but":{"equals-ignore-case":[true]}}]}`, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
		{`{"a":[{"anything-but":6e9}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{`{"a":[{"numeric":5}]}`, "Value of numeric must be an array."},
		{`{"a":[{"numeric":[]}]}`, "Invalid member in numeric match: ]"},
		{`{"a":[{"numeric":[5]}]}`, "Invalid member in numeric match: 5"},
		{`{"a":[{"numeric":["!=",5]}]}`, "Unrecognized numeric range operator: !="},
		{`{"a":[{"numeric":["=","5"]}]}`, "Value of equals must be numeric"},
		{`{"a":[{"numeric":["=",5,"<",6]}]}`, "Too many elements in numeric expression"},
		{`{"a":[{"numeric":[">","5"]}]}`, "Value of > must be numeric"},
		{`{"a":[{"numeric":[">",0,"<"]}]}`, "Value of < must be numeric"},
		{`{"a":[{"numeric":[">",0,5]}]}`, "Bad value in numeric range: 5"},
		{`{"a":[{"numeric":[">",0,">",5]}]}`, "Bad numeric range operator: >"},
		{`{"a":[{"numeric":[">",0,"<",5,6]}]}`, "Too many terms in numeric range expression"},
		{`{"a":[{"numeric":[">",5,"<",5]}]}`, "Bottom must be less than top"},
		{`{"a":[{"numeric":[">",6,"<",5]}]}`, "Bottom must be less than top"},
		{`{"a":[{"numeric":["<",5,">",1]}]}`, "Too many elements in numeric expression"},
		{`{"a":[{"numeric":["<=",5e10]}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{`{"a":[{"numeric":[">",0]},{"numeric":[">",0],"x":1}]}`, "Too many elements in numeric expression"},
		{`{"a":[{"cidr":1}]}`, "prefix match pattern must be a string"},
		{`{"a":[{"cidr":"10.0.0.0"}]}`, "Malformed CIDR, one '/' required"},
		{`{"a":[{"cidr":"10.0.0.0/"}]}`, "Malformed CIDR, one '/' required"},
		{`{"a":[{"cidr":"10.0.0.0/x"}]}`, "Malformed CIDR, mask bits must be an integer"},
		{`{"a":[{"cidr":"10.0.0.0/-1"}]}`, "Malformed CIDR, mask bits must not be negative"},
		{`{"a":[{"cidr":"10.0.0.0/32"}]}`, "IPv4 mask bits must be < 32"},
		{`{"a":[{"cidr":"::/128"}]}`, "IPv6 mask bits must be < 128"},
		{`{"a":[{"cidr":"10.0.0.300/8"}]}`, "Invalid IP address: 10.0.0.300"},
		{`{"a":[{"cidr":"host.example/8"}]}`, "Nonstandard IP address: host.example"},
		{`{"a":[{"wildcard":1}]}`, "wildcard match pattern must be a string"},
		{`{"a":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters at pos 2"},
		{`{"a":[{"wildcard":"a\\b"}]}`, "Invalid escape character at pos 2"},
		{`{"a":[{"wildcard":"a\\"}]}`, "Invalid escape character at pos 2"},
		{`{"a":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}`, "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"},
		{`{"$or":{"a":["1"]}}`, "It must be an Array followed with $or."},
		{`{"$or":[{"a":["1"]}]}`, "There must have at least 2 Objects in $or relationship."},
		{`{"$or":[{"a":["1"]},["x"]]}`, "Only JSON object is allowed in array of $or relationship."},
		{`{"$or":[{"a":["1"]},{"prefix":["x"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
		{`{"$or":[{"a":["1"]},{}]}`, "Empty objects are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Compile([]byte(tt.pattern))
			var ipe *InvalidPatternError
			if !errors.As(err, &ipe) {
				t.Fatalf("Compile(%s) = %v, %v; want InvalidPatternError", tt.pattern, p, err)
			}
			if want := errorPrefix + tt.reason; ipe.Message != want {
				t.Errorf("message = %q, want %q", ipe.Message, want)
			}
		})
	}
}

func TestCompileSyntaxErrors(t *testing.T) {
	for _, text := range []string{``, `{`, `{"a":["x"]`, `{"a":["x"]}}`, `{"a":[01]}`, `{'a':["x"]}`, `{"a":["\x"]}`, `{"a":[tru]}`} {
		_, err := Compile([]byte(text))
		var ipe *InvalidPatternError
		if !errors.As(err, &ipe) || !strings.HasPrefix(ipe.Message, errorPrefix) {
			t.Errorf("Compile(%q) = %v, want InvalidPatternError", text, err)
		}
	}
}

func TestWildcardComplexity(t *testing.T) {
	// Data points from patterns AWS accepted or refused.
	valid := []string{
		`{"f":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`,
		`{"f":[{"wildcard":"/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}`,
		`{"f":[{"wildcard":"*.bif"},{"wildcard":"*.tiff"},{"wildcard":"*.tif"},{"wildcard":"*.svs"}]}`,
		`{"f":[{"wildcard":"*/datasync/*.bif"},{"wildcard":"*/datasync/*.tif"}]}`,
	}
	for _, text := range valid {
		if _, err := Compile([]byte(text)); err != nil {
			t.Errorf("Compile(%s): %v", text, err)
		}
	}
	invalidPatterns := []string{
		`{"f":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}`,
		`{"f":[{"wildcard":"*/datasync/*.bif"},{"wildcard":"*/datasync/*.tif"},{"wildcard":"*/datasync/*.tiff"},{"wildcard":"*/datasync/*.svs"}]}`,
	}
	for _, text := range invalidPatterns {
		if _, err := Compile([]byte(text)); err == nil {
			t.Errorf("Compile(%s) succeeded, want too complex", text)
		}
	}
}

func TestMatchMalformedEvent(t *testing.T) {
	p := mustCompile(`{"a":["x"]}`)
	for _, ev := range []string{``, `{`, `{"a":"x"`, `{"a":"x"}x`, `{"a":x}`, `{"b":[1,]}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"b":{"c":01}}`} {
		if ok, err := p.Match([]byte(ev)); err == nil {
			t.Errorf("Match(%q) = %v, nil; want an error", ev, ok)
		}
	}
}

func TestMatchEscapes(t *testing.T) {
	p := mustCompile(`{"k\"ey":["v\u00e9"]}`)
	ok, err := p.Match([]byte(`{"k\u0022ey":"vé"}`))
	if err != nil || !ok {
		t.Errorf("Match = %v, %v; want true", ok, err)
	}
}

func TestMatchValueFloat(t *testing.T) {
	p := mustCompile(`{"n":[{"numeric":[">=",1.5,"<",2]}],"m":[7]}`)
	if !p.MatchValue(map[string]any{"n": 1.5, "m": 7}) {
		t.Error("MatchValue with float64 and int = false, want true")
	}
	if p.MatchValue(map[string]any{"n": 2.0, "m": 7.0}) {
		t.Error("MatchValue(n=2) = true, want false")
	}
	if p.MatchValue("not an object") {
		t.Error("MatchValue(string) = true, want false")
	}
}

func ExamplePattern_Match() {
	p, err := Compile([]byte(`{"source":["loanflow.valuation"],"detail":{"amount":[{"numeric":[">",0]}]}}`))
	if err != nil {
		panic(err)
	}
	ok, err := p.Match([]byte(`{"source":"loanflow.valuation","detail":{"amount":250000}}`))
	fmt.Println(ok, err)
	// Output: true <nil>
}

func BenchmarkMatch(b *testing.B) {
	p := mustCompile(`{"source":["loanflow.valuation"],"detail-type":["Valuation Completed","Valuation Failed"],
		"detail":{"callbackId":[{"exists":true}],"amount":[{"numeric":[">",0,"<=",5000000]}],"region":[{"anything-but":{"prefix":"cn-"}}]}}`)
	event := []byte(`{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"Valuation Completed",
		"source":"loanflow.valuation","account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1",
		"resources":["arn:aws:events:us-west-1:111122223333:event-bus/loans"],
		"detail":{"callbackId":"c-0123456789abcdef","amount":250000,"region":"eu-west-1","property":{"address":"1 Main St","rooms":[1,2,3]},
		"signature":"e1b7c0f3d5a24b2f8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(event)))
	for b.Loop() {
		ok, err := p.Match(event)
		if err != nil || !ok {
			b.Fatalf("Match = %v, %v", ok, err)
		}
	}
}

// mustCompile compiles a pattern fixed in a test, failing loudly if it is
// invalid.
func mustCompile(pattern string) *Pattern {
	p, err := Compile([]byte(pattern))
	if err != nil {
		panic("mustCompile: " + err.Error())
	}
	return p
}
