package jsonata

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	`$states.input.items[price > 10].name`,
	`$sum($states.input.items.(price * qty))`,
	`{"total": $sum(Account.Order.Product.Price), "n": $count(Account.Order)}`,
	`Account.Order[0].Product.{"name": $."Product Name", "cost": Price * Quantity}`,
	`($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(5))`,
	`$map([1,2,3], function($v, $i){ $v * $i })`,
	`$reduce([1..5], function($a, $b){ $a + $b }, 10)`,
	`$replace("hello world", /o(\w)/, "0$1")`,
	`$match("ababab", /a(b)/)`,
	`$split("a,b,,c", ",", 2)`,
	`$formatNumber(1234.5678, "#,##0.00")`,
	`$fromMillis(1510067557121, "[Y0001]-[M01]-[D01] [H01]:[m01]")`,
	`$toMillis("2017-11-07T15:07:54.972Z")`,
	`Account.Order@$o.Product@$p.{"order": $o.OrderID, "sku": $p.SKU}`,
	`Account.Order#$i[$i > 0].OrderID`,
	`Account.Order.Product^(>Price).%.OrderID`,
	`$ ~> |Account.Order.Product|{"Total": Price * Quantity}, ["Description"]|`,
	`** [$type($) = "number"]`,
	`$partition($range(0, 20, 3), 4)`,
	`$hash($string($states), "SHA-256")`,
	`$parse('{"a":[1,{"b":null}]}').a[1].b`,
	`[1,2,3] ~> $filter(function($v){$v % 2}) ~> $sort(function($a,$b){$a < $b})`,
	`$states.input.a ?: $states.input.b ?? "none"`,
	`/* comment */ $string({"x": [1, "two", true, null]}, true)`,
	`$eval("1 + 2 * 3")`,
	`"\u00e9\ud83d\ude00" & $substring("abcdef", -3, 2)`,
}

// FuzzCompile compiles arbitrary text and evaluates what compiles against a
// fixed document under tight guardrails: nothing may panic, crash or hang,
// and every failure must be a JSONata error, never an internal fault.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	doc, err := DecodeJSON([]byte(`{"Account": {"Order": [
		{"OrderID": "o1", "Product": [{"Product Name": "Hat", "SKU": "h", "Price": 34.45, "Quantity": 2, "Description": {"Colour": "Purple"}}]},
		{"OrderID": "o2", "Product": [{"Product Name": "Cloak", "SKU": "c", "Price": 107.99, "Quantity": 1}]}]}}`))
	if err != nil {
		f.Fatal(err)
	}
	vars := map[string]any{"states": map[string]any{"input": map[string]any{
		"items": []any{map[string]any{"name": "a", "price": json.Number("12"), "qty": 2}},
		"a":     nil, "b": "x",
	}}}
	opts := &Options{MaxDepth: 200, MaxSteps: 20000, Timeout: time.Second,
		Now: func() time.Time { return time.Unix(0, 0) }, Random: func() float64 { return 0.5 }}
	f.Fuzz(func(t *testing.T, src string) {
		done := make(chan error, 1)
		go func() {
			e, err := Compile(src)
			if err != nil {
				var je *Error
				if !errors.As(err, &je) || je.Code == "U0000" {
					done <- fmt.Errorf("Compile(%q): %v", src, err)
					return
				}
				done <- nil
				return
			}
			_, err = e.EvalWith(doc, vars, opts)
			var je *Error
			if err != nil && !errors.Is(err, ErrUndefined) && (!errors.As(err, &je) || je.Code == "U0000") {
				done <- fmt.Errorf("Eval(%q): %v", src, err)
				return
			}
			done <- nil
		}()
		// the guardrails allow one second; a run past ten is a hang
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q still running after 10s", src)
		}
	})
}
