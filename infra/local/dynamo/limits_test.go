package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/awsjson"
)

// wantValidation fails unless err is a ValidationException with message msg.
func wantValidation(t *testing.T, err error, msg, what string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrValidation || e.Message != msg {
		t.Errorf("%s:\n got %v\nwant ValidationException: %s", what, err, msg)
	}
}

// wantAWSValidation is wantValidation for an error of the JSON protocol.
func wantAWSValidation(t *testing.T, err error, msg, what string) {
	t.Helper()
	var ae *awsjson.Error
	if !errors.As(err, &ae) || ae.Code != "ValidationException" || ae.Message != msg {
		t.Errorf("%s:\n got %v\nwant ValidationException: %s", what, err, msg)
	}
}

func limitsStore(t *testing.T) *Store {
	t.Helper()
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	tokensTable(t, s, "tbl", true)
	return s
}

// exprCall sends one expression parameter of one operation; every
// expression parameter of every operation is listed.
type exprCall struct {
	field string
	call  func(s *Store, expr string) error
}

func exprCalls() []exprCall {
	ctx := context.Background()
	key := Item{"pk": S("k"), "sk": N("1")}
	v := func() Expressions {
		return Expressions{ExpressionAttributeValues: map[string]Value{":v": S("x")}}
	}
	return []exprCall{
		{"ConditionExpression", func(s *Store, e string) error {
			_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1"), "a": S("x")}, ConditionExpression: e, Expressions: v()})
			return err
		}},
		{"ConditionExpression", func(s *Store, e string) error {
			_, err := s.DeleteItem(ctx, &DeleteItemInput{TableName: "tbl", Key: key, ConditionExpression: e, Expressions: v()})
			return err
		}},
		{"ConditionExpression", func(s *Store, e string) error {
			_, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET a = :v", ConditionExpression: e, Expressions: v()})
			return err
		}},
		{"UpdateExpression", func(s *Store, e string) error {
			_, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: e, Expressions: v()})
			return err
		}},
		{"FilterExpression", func(s *Store, e string) error {
			_, err := s.Scan(ctx, &ScanInput{TableName: "tbl", FilterExpression: e, Expressions: v()})
			return err
		}},
		{"FilterExpression", func(s *Store, e string) error {
			in := &QueryInput{TableName: "tbl", KeyConditionExpression: "pk = :pk", FilterExpression: e, Expressions: v()}
			in.ExpressionAttributeValues[":pk"] = S("k")
			_, err := s.Query(ctx, in)
			return err
		}},
		{"KeyConditionExpression", func(s *Store, e string) error {
			_, err := s.Query(ctx, &QueryInput{TableName: "tbl", KeyConditionExpression: e, Expressions: v()})
			return err
		}},
		{"ProjectionExpression", func(s *Store, e string) error {
			_, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key, ProjectionExpression: e})
			return err
		}},
		{"ProjectionExpression", func(s *Store, e string) error {
			_, err := s.Scan(ctx, &ScanInput{TableName: "tbl", ProjectionExpression: e})
			return err
		}},
	}
}

// validExpr returns a valid expression of field, padded with spaces to n bytes.
func validExpr(field string, n int) string {
	e := map[string]string{
		"ConditionExpression":    "a <> :v OR a = :v",
		"UpdateExpression":       "SET a = :v",
		"FilterExpression":       "a <> :v",
		"KeyConditionExpression": "pk = :v",
		"ProjectionExpression":   "a",
	}[field]
	return e + strings.Repeat(" ", n-len(e))
}

func TestExpressionSizeLimit(t *testing.T) {
	s := limitsStore(t)
	for i, c := range exprCalls() {
		if err := c.call(s, validExpr(c.field, maxExpressionBytes)); err != nil {
			t.Errorf("call %d: %s of 4096 bytes: %v", i, c.field, err)
		}
		err := c.call(s, validExpr(c.field, maxExpressionBytes+1))
		wantValidation(t, err, "Invalid "+c.field+": Expression size has exceeded the maximum allowed size; expression size: 4097",
			fmt.Sprintf("call %d: %s of 4097 bytes", i, c.field))
	}
}

// TestExpressionBombs sends expressions that used to overflow the parser's
// stack (a fatal error that kills the process) or take seconds: each must
// end at once with a ValidationException.
func TestExpressionBombs(t *testing.T) {
	s := limitsStore(t)
	const deep = 1_000_000
	bombs := map[string]string{
		"parentheses":   strings.Repeat("(", deep) + "a = :v" + strings.Repeat(")", deep),
		"open":          strings.Repeat("(", deep),
		"NOT":           strings.Repeat("NOT ", deep) + "a = :v",
		"if_not_exists": "SET a = " + strings.Repeat("if_not_exists(a, ", deep) + ":v" + strings.Repeat(")", deep),
		"list_append":   "SET a = " + strings.Repeat("list_append(a, ", deep) + ":v" + strings.Repeat(")", deep),
	}
	for name, bomb := range bombs {
		for i, c := range exprCalls() {
			start := time.Now()
			err := c.call(s, bomb)
			wantValidation(t, err, fmt.Sprintf("Invalid %s: Expression size has exceeded the maximum allowed size; expression size: %d", c.field, len(bomb)),
				fmt.Sprintf("%s in call %d (%s)", name, i, c.field))
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s in call %d (%s) took %v", name, i, c.field, d)
			}
		}
	}
	// The same through the JSON protocol, whose decoder sees the whole body.
	body, _ := json.Marshal(map[string]any{"TableName": "tbl", "FilterExpression": bombs["parentheses"],
		"ExpressionAttributeValues": map[string]any{":v": map[string]string{"S": "x"}}})
	_, err := s.Service().Ops["Scan"](context.Background(), body)
	wantAWSValidation(t, err, fmt.Sprintf("Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: %d", len(bombs["parentheses"])), "Scan over the protocol")
}

// TestExpressionNestingWithinSize nests as deep as 4 KB allows: DynamoDB's
// own rules (redundant parentheses, 300 operators, syntax) end each, and the
// parser's depth bound keeps it from recursing further.
func TestExpressionNestingWithinSize(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	scan := func(filter string) error {
		_, err := s.Scan(ctx, &ScanInput{TableName: "tbl", FilterExpression: filter,
			Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":v": S("x")}}})
		return err
	}
	list := map[string]Value{":v": {Type: TypeL, L: []Value{}}}
	update := func(expr string, values map[string]Value) error {
		_, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: Item{"pk": S("k"), "sk": N("1")}, UpdateExpression: expr,
			Expressions: Expressions{ExpressionAttributeValues: values}})
		return err
	}
	// fill nests inner in as many prefix…suffix as 4000 bytes hold.
	fill := func(prefix, inner, suffix string) string {
		n := (4000 - len(inner)) / (len(prefix) + len(suffix))
		return strings.Repeat(prefix, n) + inner + strings.Repeat(suffix, n)
	}
	const (
		redundant = "Invalid FilterExpression: The expression has redundant parentheses;"
		tooMany   = "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
	)
	for name, c := range map[string]struct {
		filter, want string
	}{
		"balanced parentheses": {fill("(", "a = :v", ")"), redundant},
		"two parentheses":      {"((a = :v))", redundant},
		"inner redundant":      {"a = :v AND ((a = :v OR a = :v)) AND a = :v", redundant},
		"open parentheses":     {strings.Repeat("(", maxExpressionBytes), `Invalid FilterExpression: Syntax error; token: "<EOF>", near: ""`},
		"close parentheses":    {strings.Repeat(")", maxExpressionBytes), `Invalid FilterExpression: Syntax error; token: ")", near: "))))))))))))))))))))"`},
		"open then close":      {strings.Repeat("(", 2000) + ")", `Invalid FilterExpression: Syntax error; token: "<EOF>", near: ""`},
		"one close too many":   {strings.Repeat("(", 1100) + "a = :v" + strings.Repeat(")", 1101), `Invalid FilterExpression: Syntax error; token: ")", near: ")"`},
		"NOT":                  {fill("NOT ", "a = :v", ""), tooMany},
		"NOT in parentheses":   {fill("NOT (", "a = :v", ")"), tooMany},
		"right-nested OR":      {fill("a = :v OR (", "a = :v", ")"), tooMany},
		"left-nested OR":       {fill("(", "a = :v", " OR a = :v)"), tooMany},
		"redundant outside OR": {strings.Repeat("(", 1100) + "a = :v) OR a = :v" + strings.Repeat(")", 1099), redundant},
		"flat AND":             {strings.Repeat("a = :v AND ", 300) + "a = :v", tooMany},
		"functions":            {strings.Repeat("attribute_exists(a) AND ", 150) + "a = :v", tooMany},
		"size":                 {strings.Repeat("size(a) > size(a) AND ", 75) + "a = :v", tooMany},
	} {
		wantValidation(t, scan(c.filter), c.want, name)
	}
	// DynamoDB accepts 300 operators and nesting that is not redundant.
	for name, filter := range map[string]string{
		"299 operators":   "a = :v" + strings.Repeat(" OR (a = :v", 149) + strings.Repeat(")", 149),
		"300 operators":   strings.Repeat("a = :v AND ", 149) + "NOT a = :v",
		"parentheses":     "(a = :v)",
		"nested":          "(a = :v) OR ((a = :v) AND NOT (a = :v))",
		"function":        "(attribute_exists(a)) AND a = :v",
		"NOT parentheses": "NOT (NOT (a = :v))",
	} {
		if err := scan(filter); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	wantValidation(t, scan("a = :v"+strings.Repeat(" OR (a = :v", 150)+strings.Repeat(")", 150)), tooMany, "301 operators")
	const tooManyUpdate = "Invalid UpdateExpression: The expression contains too many operators; operator count: 301"
	// 4 KB holds some 250 nested functions: fewer than 300 operators.
	for name, expr := range map[string]string{
		"nested list_append":   "SET a = " + fill("list_append(", ":v", ", :v)"),
		"nested if_not_exists": "SET a = " + fill("if_not_exists(a, ", ":v", ")"),
	} {
		if err := update(expr, list); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var sets []string
	for i := range 301 {
		sets = append(sets, fmt.Sprintf("a%d=:n+:n", i))
	}
	one := map[string]Value{":n": N("1")}
	wantValidation(t, update("SET "+strings.Join(sets, ","), one), tooManyUpdate, "301 additions")
	if err := update("SET "+strings.Join(sets[:300], ","), one); err != nil {
		t.Errorf("300 additions: %v", err)
	}
	if got, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: Item{"pk": S("k"), "sk": N("1")}}); err != nil || got.Item["a299"].S != "2" {
		t.Errorf("item after 300 additions: %v, %v", got, err)
	}
}

// TestTooDeepWithoutRedundancy covers the last explanation of a nesting past
// the parser's bound, which 4 KB cannot reach: balanced parentheses, none
// redundant, need more than 300 operators to nest that deep.
func TestTooDeepWithoutRedundancy(t *testing.T) {
	p, err := newExprContext(nil, nil).parser("FilterExpression", "(a = :v) OR ((a = :v) AND a = :v)")
	if err != nil {
		t.Fatal(err)
	}
	wantValidation(t, p.tooDeep(), "Invalid FilterExpression: The expression contains too many operators; operator count: 301", "tooDeep")
}

func TestInOperandLimit(t *testing.T) {
	s := limitsStore(t)
	values := map[string]Value{":v": S("x")}
	in := func(n int) string {
		return "a IN (" + strings.TrimSuffix(strings.Repeat(":v, ", n), ", ") + ")"
	}
	scan := func(filter string) error {
		_, err := s.Scan(context.Background(), &ScanInput{TableName: "tbl", FilterExpression: filter,
			Expressions: Expressions{ExpressionAttributeValues: values}})
		return err
	}
	if err := scan(in(maxInOperands)); err != nil {
		t.Errorf("IN with 100 operands: %v", err)
	}
	wantValidation(t, scan(in(101)), "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101", "IN with 101 operands")
}

// TestExpressionParserRandom builds random, deeply nested expressions from the
// grammar's tokens, up to just over 4 KB: the parsers must answer each with
// a result or a ValidationException, never panic or recurse without bound.
func TestExpressionParserRandom(t *testing.T) {
	pieces := []string{"(", "(", "(", ")", ")", "NOT ", " AND ", " OR ", "a", "#n", ":v", " = ", " < ", " BETWEEN ", " IN ",
		",", "size(", "attribute_exists(", "begins_with(", "if_not_exists(", "list_append(", " + ", " - ", "[0]", ".b", "SET ", " REMOVE "}
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for i := range 3000 {
		var b strings.Builder
		size := rng.IntN(maxExpressionBytes + 200)
		for b.Len() < size {
			if rng.IntN(4) == 0 {
				// runs of one piece make deep nesting likely
				b.WriteString(strings.Repeat(pieces[rng.IntN(len(pieces))], rng.IntN(600)))
			} else {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		checkParsers(t, fmt.Sprint("expression ", i), b.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("3000 random expressions took %v", d)
	}
}

// checkParsers runs every parser on expr: each must answer a result or a
// ValidationException.
func checkParsers(t *testing.T, what, expr string) {
	t.Helper()
	ec := func() *exprContext {
		return newExprContext(map[string]string{"#n": "n"}, map[string]Value{":v": S("x")})
	}
	var errs []error
	_, err := ec().parseCondition("ConditionExpression", expr)
	errs = append(errs, err)
	_, err = ec().parseUpdate(expr)
	errs = append(errs, err)
	_, err = ec().parseProjection(expr)
	errs = append(errs, err)
	for _, err := range errs {
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Kind != ErrValidation) {
			t.Fatalf("%s (%q...): %v", what, expr[:min(len(expr), 80)], err)
		}
	}
}

// FuzzExpressionParser fuzzes the parsers alone.
func FuzzExpressionParser(f *testing.F) {
	for _, seed := range []string{"a = :v", "(a = :v) OR NOT (#n < :v)", "SET a = if_not_exists(a, :v) REMOVE b[0]", "a.b[1], #n",
		strings.Repeat("(", 3000), strings.Repeat("NOT ", 1000) + "a = :v", "SET a = " + strings.Repeat("list_append(a, ", 500) + ":v"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		checkParsers(t, "fuzz", expr)
	})
}

func TestArithmeticLimits(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	key := Item{"pk": S("k"), "sk": N("1")}
	update := func(expr string, values map[string]Value) (*ItemOutput, error) {
		return s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: expr, ReturnValues: "ALL_NEW",
			Expressions: Expressions{ExpressionAttributeValues: values}})
	}
	get := func() Item {
		t.Helper()
		out, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key})
		if err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		return out.Item
	}
	// On a new item: nothing is stored.
	for name, c := range map[string]struct {
		expr, a, b, want string
	}{
		"9E+125 + 9E+125":      {"SET n = :a + :b", "9E+125", "9E+125", msgNumberOverflow},
		"9E+125 - -9E+125":     {"SET n = :a - :b", "9E+125", "-9E+125", msgNumberOverflow},
		"-9E+125 - 9E+125":     {"SET n = :a - :b", "-9E+125", "9E+125", msgNumberOverflow},
		"1E+50 + 1, 51 digits": {"SET n = :a + :b", "1E+50", "1", msgNumberOverflow},
		"39 digits":            {"SET n = :a + :b", "99999999999999999999999999999999999999", "0.1", msgNumberOverflow},
		"1.5E-130 - 1.4E-130":  {"SET n = :a - :b", "1.5E-130", "1.4E-130", msgNumberUnderflow},
		"ADD overflow":         {"SET m = :a ADD n :b", "9E+125", "9E+125", msgNumberOverflow},
	} {
		values := map[string]Value{":a": N(c.a), ":b": N(c.b)}
		if strings.Contains(c.expr, "ADD") {
			if _, err := update("SET n = :a", map[string]Value{":a": N(c.a)}); err != nil {
				t.Fatal(err)
			}
			before := get()
			_, err := update(c.expr, values)
			wantValidation(t, err, c.want, name)
			if after := get(); !Item(after).equal(before) {
				t.Errorf("%s: item changed from %v to %v", name, before, after)
			}
			if _, err := s.DeleteItem(ctx, &DeleteItemInput{TableName: "tbl", Key: key}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		_, err := update(c.expr, values)
		wantValidation(t, err, c.want, name)
		if it := get(); it != nil {
			t.Errorf("%s: stored %v", name, it)
		}
	}
	// On an existing item: it keeps every attribute, the other actions of
	// the expression included.
	if _, err := update("SET n = :one, x = :one", map[string]Value{":one": N("1")}); err != nil {
		t.Fatal(err)
	}
	_, err := update("SET x = :two, n = n + :big", map[string]Value{":two": N("2"), ":big": N("9.9999999999999999999999999999999999999E+125")})
	wantValidation(t, err, msgNumberOverflow, "n + 9.99E+125")
	_, err = update("SET x = :two ADD n :small", map[string]Value{":two": N("2"), ":small": N("1E-130")})
	wantValidation(t, err, msgNumberOverflow, "ADD 1E-130 to 1")
	if it := get(); it["n"].S != "1" || it["x"].S != "1" {
		t.Errorf("item after failed updates = %v", it)
	}
	// Results within the limits are stored exactly.
	for _, c := range []struct{ expr, a, b, want string }{
		{"SET n = :a + :b", "99999999999999999999999999999999999998", "1", "99999999999999999999999999999999999999"},
		{"SET n = :a + :b", "99999999999999999999999999999999999999", "1", "1" + strings.Repeat("0", 38)},
		{"SET n = :a - :b", "1E-130", "1E-130", "0"},
		{"SET n = :a - :b", "1E-130", "-1E-130", "0." + strings.Repeat("0", 129) + "2"},
		{"SET n = :a + :b", "9.9999999999999999999999999999999999998E+125", "1E+88", strings.Repeat("9", 38) + strings.Repeat("0", 88)},
	} {
		out, err := update(c.expr, map[string]Value{":a": N(c.a), ":b": N(c.b)})
		if err != nil || out.Attributes["n"].S != c.want {
			t.Errorf("%s with %s, %s = %v, %v; want %s", c.expr, c.a, c.b, out, err, c.want)
		}
	}
	if _, err := s.Scan(ctx, &ScanInput{TableName: "tbl"}); err != nil {
		t.Errorf("Scan: %v", err)
	}
}

func (it Item) equal(o Item) bool { return Value{Type: TypeM, M: it}.Equal(Value{Type: TypeM, M: o}) }

func TestNumberInputLimits(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	num := func(n string) Value { return Value{Type: TypeN, S: n} }
	for n, want := range map[string]string{
		"1E+126":   msgNumberOverflow,
		"-1E+126":  msgNumberOverflow,
		"11E+125":  msgNumberOverflow,
		"1E+1001":  msgNumberOverflow,
		"1E-131":   msgNumberUnderflow,
		"-1E-131":  msgNumberUnderflow,
		"0.9E-130": msgNumberUnderflow,
		"1E-1001":  msgNumberUnderflow,
		"3.14159265358979323846264338327950288419": msgNumberPrecision,
		"NaN": "The parameter cannot be converted to a numeric value: NaN",
	} {
		for what, err := range map[string]error{
			"PutItem item": func() error {
				_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S(n), "sk": N("1"), "n": num(n)}})
				return err
			}(),
			"PutItem nested": func() error {
				_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S(n), "sk": N("1"),
					"m": {Type: TypeM, M: map[string]Value{"l": {Type: TypeL, L: []Value{num(n)}}}}}})
				return err
			}(),
			"PutItem number set": func() error {
				_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S(n), "sk": N("1"), "ns": {Type: TypeNS, Set: []string{"1", n}}}})
				return err
			}(),
			"PutItem key": func() error {
				_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S(n), "sk": num(n)}})
				return err
			}(),
			"GetItem key": func() error {
				_, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: Item{"pk": S(n), "sk": num(n)}})
				return err
			}(),
			"UpdateItem value": func() error {
				_, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: Item{"pk": S(n), "sk": N("1")}, UpdateExpression: "SET n = :n",
					Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":n": num(n)}}})
				return err
			}(),
			"Scan value": func() error {
				_, err := s.Scan(ctx, &ScanInput{TableName: "tbl", FilterExpression: "n = :n",
					Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":n": num(n)}}})
				return err
			}(),
			"Query key value": func() error {
				_, err := s.Query(ctx, &QueryInput{TableName: "tbl", KeyConditionExpression: "pk = :pk AND sk = :n",
					Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":pk": S(n), ":n": num(n)}}})
				return err
			}(),
		} {
			wantValidation(t, err, want, what+" "+n)
		}
		// The JSON protocol refuses the same numbers as it decodes them.
		_, err := s.Service().Ops["PutItem"](ctx, []byte(`{"TableName":"tbl","Item":{"pk":{"S":"json"},"sk":{"N":"1"},"n":{"N":"`+n+`"}}}`))
		wantAWSValidation(t, err, want, "protocol PutItem "+n)
	}
	if out, err := s.Scan(ctx, &ScanInput{TableName: "tbl"}); err != nil || out.Count != 0 {
		t.Errorf("after refused writes: Scan = %+v, %v", out, err)
	}
	for _, n := range []string{"9.9999999999999999999999999999999999999E+125", "-9.9999999999999999999999999999999999999E+125",
		"1E-130", "-1E-130", "0E+5000", "3.1415926535897932384626433832795028841"} {
		if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S(n), "sk": num(n), "n": num(n)}}); err != nil {
			t.Errorf("PutItem %s: %v", n, err)
		}
	}
}

func TestNestingLimit(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	nested := func(levels int) Value {
		v := S("leaf")
		for range levels {
			v = Value{Type: TypeM, M: map[string]Value{"n": v}}
		}
		return v
	}
	key := Item{"pk": S("k"), "sk": N("1")}
	// A top-level attribute is level 1: 31 maps put the leaf at level 32.
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1"), "d": nested(31)}}); err != nil {
		t.Fatalf("leaf at level 32: %v", err)
	}
	_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1"), "d": nested(32)}})
	wantValidation(t, err, msgNesting, "PutItem, leaf at level 33")
	_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET x = :d",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":d": nested(32)}}})
	wantValidation(t, err, msgNesting, "UpdateItem value, leaf at level 33")
	// SET can nest a value inside one already stored.
	_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET d.n.n = :d",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":d": nested(30)}}})
	wantValidation(t, err, msgNesting, "UpdateItem, value set at level 3 with 30 levels")
	if _, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET d.n.n = :d",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":d": nested(29)}}}); err != nil {
		t.Errorf("UpdateItem, value set at level 3 with 29 levels: %v", err)
	}
	out, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key})
	if err != nil || !out.Item["d"].Equal(nested(31)) {
		t.Errorf("GetItem = %v, %v", out, err)
	}
}

// TestStoredItemsReadLeniently writes rows an older version could store
// (numbers out of range or not numbers, items nested past what the JSON
// decoder reads) and a damaged one straight into SQLite: each must leave its
// table readable and the item readable, fixable or deletable.
func TestStoredItemsReadLeniently(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	huge := "18" + strings.Repeat("0", 125) // 9E+125 + 9E+125, as older versions stored it
	deep := strings.Repeat(`{"L":[`, 6000) + `{"S":"x"}` + strings.Repeat(`]}`, 6000)
	rows := map[string]string{
		"huge":    `{"pk":{"S":"huge"},"sk":{"N":"1"},"n":{"N":"` + huge + `"}}`,
		"nan":     `{"pk":{"S":"nan"},"sk":{"N":"1"},"n":{"N":"NaN"},"ns":{"NS":["1","1E+999999"]}}`,
		"deep":    `{"pk":{"S":"deep"},"sk":{"N":"1"},"d":` + deep + `}`,
		"damaged": `{"pk":{"S":"damaged"},"sk":`,
		"good":    `{"pk":{"S":"good"},"sk":{"N":"1"},"n":{"N":"1"},"c":{"N":"001.50"},"cs":{"NS":["2.0"]}}`,
	}
	if err := s.write(ctx, "test rows", func(tx *sql.Tx) error {
		for pk, raw := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_items (tbl, pk, sk, item) VALUES ('tbl', ?, '1', ?)`, pk, raw); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	key := func(pk string) Item { return Item{"pk": S(pk), "sk": N("1")} }
	get := func(pk string) Item {
		t.Helper()
		out, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key(pk)})
		if err != nil {
			t.Fatalf("GetItem %s: %v", pk, err)
		}
		return out.Item
	}
	one := map[string]Value{":one": N("1")}

	all, err := s.Scan(ctx, &ScanInput{TableName: "tbl"})
	if err != nil || all.Count != len(rows) {
		t.Fatalf("Scan = %+v, %v", all, err)
	}
	for _, it := range all.Items {
		if pk := it["pk"].S; (pk == "deep" || pk == "damaged") && len(it) != 2 {
			t.Errorf("undecodable %s reads as %v, want its key", pk, it)
		}
	}
	filtered, err := s.Scan(ctx, &ScanInput{TableName: "tbl", FilterExpression: "n > :one", Expressions: Expressions{ExpressionAttributeValues: one}})
	if err != nil || filtered.Count != 2 { // huge, and "NaN" > "1" as text
		t.Errorf("filtered Scan = %+v, %v", filtered, err)
	}
	for _, pk := range []string{"huge", "deep"} {
		q, err := s.Query(ctx, &QueryInput{TableName: "tbl", KeyConditionExpression: "pk = :pk",
			Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":pk": S(pk)}}})
		if err != nil || q.Count != 1 {
			t.Errorf("Query %s = %+v, %v", pk, q, err)
		}
	}
	if it := get("huge"); it["n"].S != huge {
		t.Errorf("GetItem huge = %v", it)
	}
	if it := get("good"); it["c"].S != "1.5" || it["cs"].Set[0] != "2" {
		t.Errorf("GetItem good = %v, want its numbers in canonical form", it)
	}
	if it := get("deep"); !it.equal(key("deep")) {
		t.Errorf("GetItem deep = %v, want its key", it)
	}
	// The JSON protocol sends the stored number as it is.
	res, err := s.Service().Ops["GetItem"](ctx, []byte(`{"TableName":"tbl","Key":{"pk":{"S":"nan"},"sk":{"N":"1"}}}`))
	if raw, _ := json.Marshal(res); err != nil || !strings.Contains(string(raw), `"n":{"N":"NaN"}`) {
		t.Errorf("protocol GetItem nan = %s, %v", raw, err)
	}

	// Updates keep what they do not touch, refuse an out-of-range result
	// and can repair the value.
	if _, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key("huge"), UpdateExpression: "SET x = :one",
		Expressions: Expressions{ExpressionAttributeValues: one}}); err != nil {
		t.Errorf("SET x on huge: %v", err)
	}
	_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key("huge"), UpdateExpression: "SET n = n + :one",
		Expressions: Expressions{ExpressionAttributeValues: one}})
	wantValidation(t, err, msgNumberOverflow, "SET n = n + 1 on huge")
	_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key("nan"), UpdateExpression: "ADD n :one",
		Expressions: Expressions{ExpressionAttributeValues: one}})
	wantValidation(t, err, "The parameter cannot be converted to a numeric value: NaN", "ADD 1 to NaN")
	if _, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key("huge"), UpdateExpression: "SET n = n - :huge",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":huge": N("9E+125")}}}); err != nil {
		t.Errorf("SET n = n - 9E+125 on huge: %v", err)
	}
	if it := get("huge"); it["n"].S != "9"+strings.Repeat("0", 125) || it["x"].S != "1" {
		t.Errorf("huge after updates = %v", it)
	}
	// An item that reads as its key cannot be updated (that would drop what
	// could not be decoded), but it can be replaced and deleted.
	_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key("deep"), UpdateExpression: "SET x = :one",
		Expressions: Expressions{ExpressionAttributeValues: one}})
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "cannot be decoded") {
		t.Errorf("UpdateItem deep: %v", err)
	}
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("damaged"), "sk": N("1"), "n": N("2")},
		ConditionExpression: "attribute_exists(pk)"}); err != nil {
		t.Errorf("PutItem over damaged: %v", err)
	}
	if it := get("damaged"); it["n"].S != "2" {
		t.Errorf("damaged after PutItem = %v", it)
	}
	for _, pk := range []string{"deep", "nan"} {
		out, err := s.DeleteItem(ctx, &DeleteItemInput{TableName: "tbl", Key: key(pk), ReturnValues: "ALL_OLD"})
		if err != nil || out.Attributes == nil {
			t.Errorf("DeleteItem %s = %v, %v", pk, out, err)
		}
	}
	if err := s.UpdateTimeToLive(ctx, "tbl", "expiresAt", true); err != nil {
		t.Errorf("UpdateTimeToLive: %v", err)
	}
	all, err = s.Scan(ctx, &ScanInput{TableName: "tbl"})
	if err != nil || all.Count != 3 {
		t.Errorf("Scan at the end = %+v, %v", all, err)
	}
}

// TestDeepRequestRefusedBeforeDecoding sends, through the JSON protocol, a
// value nested 4,900 levels (44 KB): before it was refused at once, decoding
// it cost the depth times the size (3.5 s, hundreds of MB). The allocation
// bound below is far under what that decoding took, and far over what a
// refusal takes. The deepest request DynamoDB accepts, a set at level 32 in
// a BatchWriteItem, still goes through.
func TestDeepRequestRefusedBeforeDecoding(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	h := s.handlers()
	deep := `{"TableName":"tbl","Item":{"pk":{"S":"k"},"sk":{"N":"1"},"d":` +
		strings.Repeat(`{"L":[`, 4900) + `{"S":"x"}` + strings.Repeat(`]}`, 4900) + `}}`
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := h["PutItem"](ctx, []byte(deep))
	runtime.ReadMemStats(&after)
	wantAWSValidation(t, err, msgNesting, "PutItem, 4,900 levels")
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("refusing a %d-byte request allocated %d bytes", len(deep), n)
	}

	// Levels 1 to 31 are lists, level 32 a string set: 64 JSON levels, 6
	// inside the request.
	value := strings.Repeat(`{"L":[`, 31) + `{"SS":["a"]}` + strings.Repeat(`]}`, 31)
	batch := `{"RequestItems":{"tbl":[{"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"N":"1"},"d":` + value + `}}}]}}`
	if !jsonDeeper([]byte(batch), 69) || jsonDeeper([]byte(batch), 70) {
		t.Fatalf("the batch is not 70 levels deep")
	}
	if _, err := h["BatchWriteItem"](ctx, []byte(batch)); err != nil {
		t.Fatalf("BatchWriteItem with a set at level 32: %v", err)
	}
	out, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: Item{"pk": S("b"), "sk": N("1")}})
	if err != nil || out.Item["d"].Type != TypeL {
		t.Fatalf("GetItem = %v, %v", out, err)
	}
	// One level more is refused, by the nesting check after decoding.
	value = `{"L":[` + value + `]}`
	_, err = h["PutItem"](ctx, []byte(`{"TableName":"tbl","Item":{"pk":{"S":"c"},"sk":{"N":"1"},"d":`+value+`}}`))
	wantAWSValidation(t, err, msgNesting, "PutItem, a set at level 33")
}

func TestJSONDeeper(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit int
		want  bool
	}{
		{`{}`, 1, false},
		{`{}`, 0, true},
		{`[[1],[2]]`, 2, false},
		{`[[[1]]]`, 2, true},
		{`{"a":"[[[[{{{{"}`, 1, false}, // brackets in a string
		{`{"a":"\"[[[["}`, 1, false},   // an escaped quote does not end the string
		{`{"a":"\\"}`, 1, false},       // an escaped backslash does
		{`["\\",[[[]]]]`, 3, true},     // and what follows is counted
		{`{"a":"unterminated [[[[`, 1, false},
	} {
		if got := jsonDeeper([]byte(c.in), c.limit); got != c.want {
			t.Errorf("jsonDeeper(%s, %d) = %v, want %v", c.in, c.limit, got, c.want)
		}
	}
}

// TestEmptyExpressionAttributeName: a name placeholder that stands for an
// empty name is refused in DynamoDB's words, wherever a request gives
// ExpressionAttributeNames. (An UpdateItem with one stored an attribute
// named "".)
func TestEmptyExpressionAttributeName(t *testing.T) {
	s := limitsStore(t)
	ctx := context.Background()
	h := s.handlers()
	const msg = "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"
	key := `{"pk":{"S":"k"},"sk":{"N":"1"}}`
	if _, err := h["PutItem"](ctx, []byte(`{"TableName":"tbl","Item":`+key+`}`)); err != nil {
		t.Fatal(err)
	}
	for op, body := range map[string]string{
		"UpdateItem":       `{"TableName":"tbl","Key":` + key + `,"UpdateExpression":"SET #a = :v","ExpressionAttributeNames":{"#a":""},"ExpressionAttributeValues":{":v":{"S":"x"}}}`,
		"GetItem":          `{"TableName":"tbl","Key":` + key + `,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":""}}`,
		"BatchGetItem":     `{"RequestItems":{"tbl":{"Keys":[` + key + `],"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":""}}}}`,
		"TransactGetItems": `{"TransactItems":[{"Get":{"TableName":"tbl","Key":` + key + `,"ProjectionExpression":"#a","ExpressionAttributeNames":{"#a":""}}}]}`,
	} {
		_, err := h[op](ctx, []byte(body))
		wantAWSValidation(t, err, msg, op)
	}
	out, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: Item{"pk": S("k"), "sk": N("1")}})
	if err != nil || len(out.Item) != 2 {
		t.Fatalf("the item after the refused update: %v, %v", out, err)
	}
}
