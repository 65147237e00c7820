package dynamo

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConditionalPutAndGet(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "tokens", false)
	put := &PutItemInput{TableName: "tokens", Item: Item{"pk": S("cb-1"), "state": S("PENDING"), "n": N("1")},
		ConditionExpression: "attribute_not_exists(pk)"}
	if _, err := s.PutItem(ctx, put); err != nil {
		t.Fatal(err)
	}
	put.ReturnValuesOnConditionCheckFailure = "ALL_OLD"
	_, err := s.PutItem(ctx, put)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrConditionalCheckFailed || e.Item["state"].S != "PENDING" {
		t.Fatalf("second conditional put: %v", err)
	}
	got, err := s.GetItem(ctx, &GetItemInput{TableName: "tokens", Key: Item{"pk": S("cb-1")}, ProjectionExpression: "#s",
		Expressions: Expressions{ExpressionAttributeNames: map[string]string{"#s": "state"}}})
	if err != nil || len(got.Item) != 1 || got.Item["state"].S != "PENDING" {
		t.Fatalf("GetItem = %+v, %v", got, err)
	}
	missing, err := s.GetItem(ctx, &GetItemInput{TableName: "tokens", Key: Item{"pk": S("nope")}})
	if err != nil || missing.Item != nil {
		t.Fatalf("missing item = %+v, %v", missing, err)
	}
}

func TestConditionExpressions(t *testing.T) {
	it := Item{
		"pk": S("a"), "state": S("PENDING"), "n": N("5"), "b": Bool(true), "tags": {Type: TypeSS, Set: []string{"x", "y"}},
		"m": {Type: TypeM, M: map[string]Value{"inner": S("deep")}}, "l": {Type: TypeL, L: []Value{N("1"), S("two")}},
	}
	values := map[string]Value{":p": S("PENDING"), ":r": S("RESOLVED"), ":n3": N("3"), ":n5": N("5.0"), ":n9": N("9"),
		":pre": S("PEN"), ":x": S("x"), ":deep": S("deep"), ":two": S("two"), ":S": S("S"), ":t": Bool(true)}
	ec := newExprContext(map[string]string{"#s": "state"}, values)
	for expr, want := range map[string]bool{
		"attribute_exists(pk)":          true,
		"attribute_not_exists(pk)":      false,
		"attribute_not_exists(missing)": true,
		"#s = :p":                       true,
		"#s <> :p":                      false,
		"#s <> :r":                      true,
		"missing <> :r":                 true,
		"missing = :r":                  false,
		"n > :n3 AND n <= :n5":          true,
		"n < :n3 OR n >= :n9":           false,
		"NOT (n < :n3)":                 true,
		"n = :n5":                       true,
		"n BETWEEN :n3 AND :n9":         true,
		"#s IN (:r, :p)":                true,
		"begins_with(#s, :pre)":         true,
		"begins_with(n, :pre)":          false,
		"contains(tags, :x)":            true,
		"contains(l, :two)":             true,
		"m.inner = :deep":               true,
		"l[1] = :two":                   true,
		"size(tags) < :n3":              true,
		"attribute_type(#s, :S)":        true,
		"b = :t AND (#s = :r OR attribute_exists(m))":        true,
		"#s = :p and not attribute_exists(missing)":          true,
		"(#s = :r) or (n > :n9) or (attribute_exists(l[0]))": true,
	} {
		c, err := ec.parseCondition("ConditionExpression", expr)
		if err != nil {
			t.Errorf("parse %q: %v", expr, err)
			continue
		}
		got, err := evalCond(c, it)
		if err != nil || got != want {
			t.Errorf("%q = %v (%v), want %v", expr, got, err, want)
		}
	}
	for _, bad := range []string{"", "#s =", "#s = :undefined", "#nope = :p", "status = :p", "foo(#s)", "#s = :p AND", "(#s = :p", "#s == :p"} {
		if _, err := ec.parseCondition("ConditionExpression", bad); !errors.Is(err, ErrValidation) {
			t.Errorf("parse %q: %v, want ValidationException", bad, err)
		}
	}
}

func TestUpdateExpressions(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "tok", false)
	update := func(expr, cond string, values map[string]Value, ret string) (*ItemOutput, error) {
		var names map[string]string
		if strings.Contains(expr+cond, "#s") {
			names = map[string]string{"#s": "state"}
		}
		return s.UpdateItem(ctx, &UpdateItemInput{TableName: "tok", Key: Item{"pk": S("k")}, UpdateExpression: expr,
			ConditionExpression: cond, ReturnValues: ret, ReturnValuesOnConditionCheckFailure: "ALL_OLD",
			Expressions: Expressions{ExpressionAttributeNames: names, ExpressionAttributeValues: values}})
	}
	out, err := update("SET #s = :p, n = if_not_exists(n, :zero), l = :l, m = :m", "attribute_not_exists(pk)",
		map[string]Value{":p": S("PENDING"), ":zero": N("0"), ":l": {Type: TypeL, L: []Value{N("1")}}, ":m": {Type: TypeM, M: map[string]Value{}}}, "ALL_NEW")
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["state"].S != "PENDING" || out.Attributes["n"].S != "0" || out.Attributes["pk"].S != "k" {
		t.Fatalf("ALL_NEW = %+v", out.Attributes)
	}
	out, err = update("SET n = n + :one, l = list_append(l, :more), m.x = :one, #s = if_not_exists(#s, :r) REMOVE gone", "#s = :p",
		map[string]Value{":one": N("1.5"), ":more": {Type: TypeL, L: []Value{N("2")}}, ":p": S("PENDING"), ":r": S("RESOLVED")}, "UPDATED_NEW")
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["n"].S != "1.5" || len(out.Attributes["l"].L) != 2 || out.Attributes["m"].M["x"].S != "1.5" ||
		out.Attributes["state"].S != "PENDING" || out.Attributes["pk"].Type != "" {
		t.Fatalf("UPDATED_NEW = %+v", out.Attributes)
	}
	_, err = update("SET n = n - :half ADD tags :tags, c :one DELETE tags :x REMOVE l[0]", "",
		map[string]Value{":half": N("0.5"), ":tags": {Type: TypeSS, Set: []string{"x", "y"}}, ":one": N("1"), ":x": {Type: TypeSS, Set: []string{"x"}}}, "ALL_NEW")
	if err == nil {
		t.Fatal("overlapping ADD and DELETE on tags accepted")
	}
	out, err = update("SET n = n - :half ADD tags :tags, c :one REMOVE l[0]", "",
		map[string]Value{":half": N("0.5"), ":tags": {Type: TypeSS, Set: []string{"x", "y"}}, ":one": N("1")}, "UPDATED_OLD")
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["n"].S != "1.5" || out.Attributes["tags"].Type != "" {
		t.Fatalf("UPDATED_OLD = %+v", out.Attributes)
	}
	got, _ := s.GetItem(ctx, &GetItemInput{TableName: "tok", Key: Item{"pk": S("k")}})
	if got.Item["n"].S != "1" || got.Item["c"].S != "1" || len(got.Item["tags"].Set) != 2 || len(got.Item["l"].L) != 1 || got.Item["l"].L[0].S != "2" {
		t.Fatalf("item = %+v", got.Item)
	}
	// Condition failure returns the old item; nothing changes.
	_, err = update("SET #s = :r", "#s = :r", map[string]Value{":r": S("RESOLVED")}, "NONE")
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrConditionalCheckFailed || e.Item["state"].S != "PENDING" {
		t.Fatalf("failed condition: %v", err)
	}
	for expr, want := range map[string]string{
		"SET pk = :r":              "part of the key",
		"SET a.b = :r":             "document path provided in the update expression is invalid",
		"SET #s = missing, x = :r": "does not exist in the item",
		"SET #s = #s + :r":         "Incorrect operand type",
		"SET #s = :r SET x=:r":     "can only be used once",
		"SET #s = :r, #s = :r":     "overlap",
		"DROP x":                   "Syntax error",
	} {
		_, err := update(expr, "", map[string]Value{":r": S("RESOLVED")}, "NONE")
		if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", expr, err, want)
		}
	}
	_, err = update("SET #s = :r", "", map[string]Value{":r": S("RESOLVED"), ":unused": S("x")}, "NONE")
	if err == nil || !strings.Contains(err.Error(), "unused in expressions") {
		t.Errorf("unused value: %v", err)
	}
}

func TestDeleteItemAndReturnValues(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "tok", false)
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S("k"), "v": N("1")}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S("k"), "v": N("2")}, ReturnValues: "ALL_OLD"})
	if err != nil || out.Attributes["v"].S != "1" {
		t.Fatalf("put ALL_OLD = %+v, %v", out, err)
	}
	_, err = s.DeleteItem(ctx, &DeleteItemInput{TableName: "tok", Key: Item{"pk": S("k")}, ConditionExpression: "v = :one",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":one": N("1")}}})
	wantKind(t, err, ErrConditionalCheckFailed, "delete with failing condition")
	out, err = s.DeleteItem(ctx, &DeleteItemInput{TableName: "tok", Key: Item{"pk": S("k")}, ReturnValues: "ALL_OLD"})
	if err != nil || out.Attributes["v"].S != "2" {
		t.Fatalf("delete ALL_OLD = %+v, %v", out, err)
	}
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S("k")}, ReturnValues: "ALL_NEW"})
	wantKind(t, err, ErrValidation, "PutItem ALL_NEW")
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": N("1")}})
	wantKind(t, err, ErrValidation, "key type mismatch")
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"other": S("x")}})
	wantKind(t, err, ErrValidation, "missing key")
	_, err = s.GetItem(ctx, &GetItemInput{TableName: "tok", Key: Item{"pk": S("k"), "x": S("y")}})
	wantKind(t, err, ErrValidation, "key with extra attribute")
	_, err = s.GetItem(ctx, &GetItemInput{TableName: "nope", Key: Item{"pk": S("k")}})
	wantKind(t, err, ErrResourceNotFound, "missing table")
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S("k")}, legacy: legacy{Expected: []byte(`{}`)}})
	if !errors.Is(err, ErrValidation) || !strings.Contains(err.Error(), "not supported by the loanflow local stack") {
		t.Errorf("legacy Expected: %v", err)
	}
}

func TestTTLExpiredItemsReadableUntilSwept(t *testing.T) {
	clock := &testClock{now: time.Unix(1_700_000_000, 0)}
	s := newTestStore(t, clock)
	ctx := context.Background()
	tokensTable(t, s, "tok", false)
	put := func(pk string, exp Value) {
		t.Helper()
		if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S(pk), "expiresAt": exp}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(pk string) Item {
		t.Helper()
		out, err := s.GetItem(ctx, &GetItemInput{TableName: "tok", Key: Item{"pk": S(pk)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	put("old", N("1700000100"))
	if err := s.UpdateTimeToLive(ctx, "tok", "expiresAt", true); err != nil {
		t.Fatal(err)
	}
	put("new", N("1700000200"))
	put("extended", N("1700000100"))
	put("text", S("1700000100"))                            // not a number: TTL ignores it
	put("ancient", N(strconv.FormatInt(1_500_000_000, 10))) // more than five years old at the sweep
	if d, _ := s.DescribeTimeToLive("tok"); d.TimeToLiveStatus != "ENABLED" || d.AttributeName != "expiresAt" {
		t.Errorf("DescribeTimeToLive = %+v", d)
	}

	clock.Set(time.Unix(1_700_000_150, 0))
	if get("old") == nil {
		t.Error("an item past its TTL is hidden from GetItem before the sweeper deleted it")
	}
	scan, err := s.Scan(ctx, &ScanInput{TableName: "tok"})
	if err != nil || scan.Count != 5 {
		t.Fatalf("scan = %+v, %v", scan, err)
	}
	live, err := s.Scan(ctx, &ScanInput{TableName: "tok", FilterExpression: "expiresAt > :now",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":now": N("1700000150")}}})
	if err != nil || live.Count != 1 || live.Items[0]["pk"].S != "new" {
		t.Errorf("scan filtered on the TTL = %+v, %v", live, err)
	}
	// It exists for conditions too.
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tok", Item: Item{"pk": S("old")}, ConditionExpression: "attribute_not_exists(pk)"})
	wantKind(t, err, ErrConditionalCheckFailed, "put over an item past its TTL")
	if _, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tok", Key: Item{"pk": S("extended")}, UpdateExpression: "SET expiresAt = :later",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":later": N("1800000000")}}}); err != nil {
		t.Fatal(err)
	}

	// Within the deletion delay nothing is deleted.
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep within the delay = %d, %v", n, err)
	}
	clock.Set(time.Unix(1_700_000_100, 0).Add(DefaultTTLDeletionDelay))
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Errorf("sweep = %d, %v; want 1 (old)", n, err)
	}
	if get("old") != nil {
		t.Error("swept item still readable")
	}
	for _, pk := range []string{"new", "extended", "text", "ancient"} {
		if get(pk) == nil {
			t.Errorf("sweep deleted %s", pk)
		}
	}
	clock.Set(time.Unix(1_700_000_200, 0).Add(DefaultTTLDeletionDelay))
	if n, err := s.Sweep(ctx); err != nil || n != 1 || get("new") != nil {
		t.Errorf("second sweep = %d, %v", n, err)
	}
}

func TestQueryAndScan(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "qry", true)
	for _, pk := range []string{"a", "b"} {
		for _, sk := range []string{"10", "9", "100", "2"} {
			if _, err := s.PutItem(ctx, &PutItemInput{TableName: "qry", Item: Item{"pk": S(pk), "sk": N(sk), "odd": Bool(sk == "9")}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	q, err := s.Query(ctx, &QueryInput{TableName: "qry", KeyConditionExpression: "pk = :a AND sk >= :five",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":a": S("a"), ":five": N("5")}}})
	if err != nil {
		t.Fatal(err)
	}
	var sks []string
	for _, it := range q.Items {
		sks = append(sks, it["sk"].S)
	}
	if strings.Join(sks, ",") != "9,10,100" {
		t.Errorf("query sort keys = %v", sks)
	}
	page, err := s.Query(ctx, &QueryInput{TableName: "qry", KeyConditionExpression: "pk = :a", Limit: ptr(2), ScanIndexForward: ptr(false),
		FilterExpression: "odd = :f", Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":a": S("a"), ":f": Bool(false)}}})
	if err != nil || page.ScannedCount != 2 || page.Count != 2 || page.LastEvaluatedKey["sk"].S != "10" {
		t.Fatalf("query page = %+v, %v", page, err)
	}
	page, err = s.Query(ctx, &QueryInput{TableName: "qry", KeyConditionExpression: "pk = :a", Limit: ptr(2), ScanIndexForward: ptr(false),
		ExclusiveStartKey: page.LastEvaluatedKey, FilterExpression: "odd = :f", Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":a": S("a"), ":f": Bool(false)}}})
	if err != nil || page.ScannedCount != 2 || page.Count != 1 || page.Items[0]["sk"].S != "2" {
		t.Fatalf("query page 2 = %+v, %v", page, err)
	}
	_, err = s.Query(ctx, &QueryInput{TableName: "qry", KeyConditionExpression: "sk = :a", Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":a": N("1")}}})
	wantKind(t, err, ErrValidation, "query without partition key")

	var all []Item
	var start Item
	for {
		out, err := s.Scan(ctx, &ScanInput{TableName: "qry", Limit: ptr(3), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.Items...)
		if out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(all) != 8 {
		t.Errorf("scan pages returned %d items, want 8", len(all))
	}
	count, err := s.Scan(ctx, &ScanInput{TableName: "qry", Select: "COUNT", FilterExpression: "odd = :t",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":t": Bool(true)}}})
	if err != nil || count.Count != 2 || count.Items != nil {
		t.Errorf("scan count = %+v, %v", count, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestNumbers(t *testing.T) {
	for in, want := range map[string]string{"1.50": "1.5", "-0": "0", "007": "7", "1e3": "1000", "1.5E-3": "0.0015", ".5": "0.5", "-12.340": "-12.34"} {
		if got, err := normalizeNumber(in); err != nil || got != want {
			t.Errorf("normalize %q = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1e", "123456789012345678901234567890123456789"} {
		if _, err := normalizeNumber(bad); err == nil {
			t.Errorf("normalize %q accepted", bad)
		}
	}
	a, _ := parseNumber("0.1")
	b, _ := parseNumber("0.2")
	if got := a.add(b).String(); got != "0.3" {
		t.Errorf("0.1 + 0.2 = %s", got)
	}
}

func TestTables(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "tbl", false)
	_, err := s.CreateTable(ctx, &CreateTableInput{TableName: "tbl", BillingMode: "PAY_PER_REQUEST",
		KeySchema: []KeySchemaElement{{"pk", "HASH"}}, AttributeDefinitions: []AttributeDefinition{{"pk", "S"}}})
	wantKind(t, err, ErrResourceInUse, "duplicate table")
	_, err = s.CreateTable(ctx, &CreateTableInput{TableName: "gsi", BillingMode: "PAY_PER_REQUEST", GlobalSecondaryIndexes: []GlobalSecondaryIndex{{}},
		KeySchema: []KeySchemaElement{{"pk", "HASH"}}, AttributeDefinitions: []AttributeDefinition{{"pk", "S"}}})
	wantKind(t, err, ErrValidation, "GSI")
	d, err := s.DescribeTable(ctx, "tbl")
	if err != nil || d.TableStatus != "ACTIVE" || d.TableARN != "arn:aws:dynamodb:us-east-1:000000000000:table/tbl" {
		t.Fatalf("describe = %+v, %v", d, err)
	}
	if _, err := s.DeleteTable(ctx, "tbl"); err != nil {
		t.Fatal(err)
	}
	_, err = s.DescribeTable(ctx, "tbl")
	wantKind(t, err, ErrResourceNotFound, "deleted table")
}
