package dynamo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// indexedStore has table "tbl" (pk S, sk N) with a global index "byStatus"
// (status S, created S) holding one item.
func indexedStore(t *testing.T) *Store {
	t.Helper()
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	in := &CreateTableInput{TableName: "tbl", BillingMode: "PAY_PER_REQUEST",
		KeySchema: []KeySchemaElement{{AttributeName: "pk", KeyType: "HASH"}, {AttributeName: "sk", KeyType: "RANGE"}},
		AttributeDefinitions: []AttributeDefinition{{AttributeName: "pk", AttributeType: "S"}, {AttributeName: "sk", AttributeType: "N"},
			{AttributeName: "status", AttributeType: "S"}, {AttributeName: "created", AttributeType: "S"}},
		GlobalSecondaryIndexes: []GlobalSecondaryIndex{{IndexName: "byStatus",
			KeySchema:  []KeySchemaElement{{AttributeName: "status", KeyType: "HASH"}, {AttributeName: "created", KeyType: "RANGE"}},
			Projection: &Projection{ProjectionType: "ALL"}}}}
	if _, err := s.CreateTable(ctx, in); err != nil {
		t.Fatal(err)
	}
	item := Item{"pk": S("k"), "sk": N("1"), "status": S("open"), "created": S("2026"), "a": S("x")}
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: item}); err != nil {
		t.Fatal(err)
	}
	return s
}

// usedExpressions keeps of names and values those the expressions use, so
// that no request is refused for an unused one.
func usedExpressions(exprs string, names map[string]string, values map[string]Value) Expressions {
	var e Expressions
	for k, v := range names {
		if strings.Contains(exprs, k) {
			if e.ExpressionAttributeNames == nil {
				e.ExpressionAttributeNames = map[string]string{}
			}
			e.ExpressionAttributeNames[k] = v
		}
	}
	for k, v := range values {
		if strings.Contains(exprs, k) {
			if e.ExpressionAttributeValues == nil {
				e.ExpressionAttributeValues = map[string]Value{}
			}
			e.ExpressionAttributeValues[k] = v
		}
	}
	return e
}

// TestQueryFilterOnKeyAttribute: a Query's FilterExpression may not read a
// key attribute of what it queries, the table's or the index's, even inside
// a document path; DynamoDB names the first one, partition key first. A
// filter on the table's keys is fine on an index, and Scan filters on keys.
func TestQueryFilterOnKeyAttribute(t *testing.T) {
	s := indexedStore(t)
	ctx := context.Background()
	const prefix = "Filter Expression can only contain non-primary key attributes: Primary key attribute: "
	query := func(index, kc, filter string) error {
		_, err := s.Query(ctx, &QueryInput{TableName: "tbl", IndexName: index, KeyConditionExpression: kc, FilterExpression: filter,
			Expressions: usedExpressions(kc+" "+filter, map[string]string{"#s": "status"},
				map[string]Value{":k": S("k"), ":s": S("open"), ":v": S("x"), ":n": N("1")})})
		return err
	}
	for _, c := range []struct{ index, kc, filter, key string }{
		{"", "pk = :k", "sk > :n", "sk"},
		{"", "pk = :k AND sk = :n", "a = :v OR sk > :n", "sk"},
		{"", "pk = :k", "attribute_exists(pk.x)", "pk"},
		{"", "pk = :k", "size(pk) > :n", "pk"},
		{"", "pk = :k", "sk > :n AND begins_with(pk, :v)", "pk"},
		{"", "pk = :k", "NOT (a IN (:v, :v) AND sk BETWEEN :n AND :n)", "sk"},
		{"byStatus", "#s = :s", "created = :v", "created"},
		{"byStatus", "#s = :s", "attribute_exists(#s[0])", "status"},
	} {
		wantValidation(t, query(c.index, c.kc, c.filter), prefix+c.key, c.index+" "+c.filter)
	}
	for _, c := range []struct{ index, kc, filter string }{
		{"", "pk = :k", "a = :v"},
		{"byStatus", "#s = :s", "pk = :k AND sk = :n"},
	} {
		if err := query(c.index, c.kc, c.filter); err != nil {
			t.Errorf("Query %s filter %q: %v", c.index, c.filter, err)
		}
	}
	if _, err := s.Scan(ctx, &ScanInput{TableName: "tbl", FilterExpression: "pk = :k",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":k": S("k")}}}); err != nil {
		t.Errorf("Scan filter on pk: %v", err)
	}
}

// TestQueryKeyConditionTypes: a key condition value of another type than
// its key attribute is refused, the partition key's and the sort key's, in
// DynamoDB's two steps: a value no key could be in that operator (a BOOL in
// an ordering, a number in begins_with) is an operand error, any other
// mismatch fails the schema check.
func TestQueryKeyConditionTypes(t *testing.T) {
	s := limitsStore(t) // pk S, sk N
	ctx := context.Background()
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1")}}); err != nil {
		t.Fatal(err)
	}
	operand := func(op, typ string) string {
		return "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: " + op + ", operand type: " + typ
	}
	values := map[string]Value{":k": S("k"), ":n": N("1"), ":s": S("x"), ":t": Bool(true), ":b": {Type: TypeB, S: "AQ=="}}
	for _, c := range []struct{ kc, want string }{
		{"pk = :n", msgConditionType},
		{"pk = :t", msgConditionType},
		{"pk = :n AND sk = :n", msgConditionType},
		{"pk = :k AND sk = :s", msgConditionType},
		{"pk = :k AND sk > :s", msgConditionType},
		{"sk <= :b AND pk = :k", msgConditionType},
		{"pk = :k AND sk BETWEEN :n AND :s", msgConditionType},
		{"pk = :k AND begins_with(sk, :s)", msgConditionType},
		{"pk = :k AND sk = :t", msgConditionType},
		{"pk = :k AND sk < :t", operand("<", "BOOL")},
		{"pk = :k AND sk BETWEEN :t AND :t", operand("BETWEEN", "BOOL")},
		{"pk = :k AND begins_with(sk, :n)", operand("begins_with", "N")},
		{"pk = :k AND begins_with(sk, :t)", operand("begins_with", "BOOL")},
	} {
		_, err := s.Query(ctx, &QueryInput{TableName: "tbl", KeyConditionExpression: c.kc, Expressions: usedExpressions(c.kc, nil, values)})
		wantValidation(t, err, c.want, c.kc)
	}
	for _, kc := range []string{"pk = :k", "pk = :k AND sk = :n", "pk = :k AND sk BETWEEN :n AND :n"} {
		if out, err := s.Query(ctx, &QueryInput{TableName: "tbl", KeyConditionExpression: kc, Expressions: usedExpressions(kc, nil, values)}); err != nil || out.Count != 1 {
			t.Errorf("Query %q = %+v, %v", kc, out, err)
		}
	}
}

// TestKeyOfWrongType: a Key with an attribute of another type than the
// key's is not the table's key (GetItem, DeleteItem, UpdateItem, and the
// batches' and transactions' keys); an Item's key of the wrong type is a
// type mismatch (PutItem). Nothing is written.
func TestKeyOfWrongType(t *testing.T) {
	s := limitsStore(t) // pk S, sk N
	ctx := context.Background()
	stored := Item{"pk": S("1"), "sk": N("1"), "a": S("x")}
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: stored}); err != nil {
		t.Fatal(err)
	}
	set := Expressions{ExpressionAttributeValues: map[string]Value{":v": S("y")}}
	for _, key := range []Item{
		{"pk": N("1"), "sk": N("1")},
		{"pk": S("1"), "sk": S("1")},
		{"pk": S("1"), "sk": Bool(true)},
		{"pk": {Type: TypeSS, Set: []string{"1"}}, "sk": N("1")},
	} {
		for what, err := range map[string]error{
			"GetItem": func() error {
				_, err := s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key})
				return err
			}(),
			"DeleteItem": func() error {
				_, err := s.DeleteItem(ctx, &DeleteItemInput{TableName: "tbl", Key: key})
				return err
			}(),
			"UpdateItem": func() error {
				_, err := s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET a = :v", Expressions: set})
				return err
			}(),
			"BatchGetItem": func() error {
				_, err := s.BatchGetItem(ctx, &BatchGetItemInput{RequestItems: map[string]KeysAndAttributes{"tbl": {Keys: []Item{key}}}})
				return err
			}(),
			"BatchWriteItem delete": func() error {
				_, err := s.BatchWriteItem(ctx, &BatchWriteItemInput{RequestItems: map[string][]WriteRequest{"tbl": {{DeleteRequest: &DeleteRequest{Key: key}}}}})
				return err
			}(),
		} {
			wantValidation(t, err, msgKeySchema, fmt.Sprintf("%s %v", what, key))
		}
	}
	_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": N("1"), "sk": N("1"), "a": S("y")}})
	wantValidation(t, err, "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N", "PutItem pk N")
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("1"), "sk": S("1"), "a": S("y")}})
	wantValidation(t, err, "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S", "PutItem sk S")
	out, err := s.Scan(ctx, &ScanInput{TableName: "tbl"})
	if err != nil || out.Count != 1 || !out.Items[0].equal(stored) {
		t.Errorf("after the refused requests: Scan = %+v, %v", out, err)
	}
}

// TestAttributeNameLength: an attribute name is 1 to 65535 bytes. PutItem
// refuses an Item with an empty name or a longer one, GetItem, DeleteItem
// and UpdateItem a Key with a longer one (a Key with an empty name is not
// the table's key). Nothing is written.
func TestAttributeNameLength(t *testing.T) {
	s := limitsStore(t) // pk S, sk N
	ctx := context.Background()
	stored := Item{"pk": S("k"), "sk": N("1"), "a": S("x")}
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: stored}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", maxAttributeNameBytes+1)
	const tooLong = "1 validation error detected: Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 65535]"
	_, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1"), "": S("y")}})
	wantValidation(t, err, "1 validation error detected: Value at 'item' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 1]", "PutItem, empty name")
	_, err = s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: Item{"pk": S("k"), "sk": N("1"), long: S("y")}})
	wantValidation(t, err, fmt.Sprintf(tooLong, "item"), "PutItem, name of 65536 bytes")
	set := Expressions{ExpressionAttributeValues: map[string]Value{":v": S("y")}}
	for name, want := range map[string]string{"": msgKeySchema, long: fmt.Sprintf(tooLong, "key")} {
		key := Item{"pk": S("k"), "sk": N("1"), name: S("y")}
		_, err = s.GetItem(ctx, &GetItemInput{TableName: "tbl", Key: key})
		wantValidation(t, err, want, fmt.Sprintf("GetItem, name of %d bytes", len(name)))
		_, err = s.DeleteItem(ctx, &DeleteItemInput{TableName: "tbl", Key: key})
		wantValidation(t, err, want, fmt.Sprintf("DeleteItem, name of %d bytes", len(name)))
		_, err = s.UpdateItem(ctx, &UpdateItemInput{TableName: "tbl", Key: key, UpdateExpression: "SET a = :v", Expressions: set})
		wantValidation(t, err, want, fmt.Sprintf("UpdateItem, name of %d bytes", len(name)))
	}
	// The batches and transactions hold their items to the same limits.
	const empty = "1 validation error detected: Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length greater than or equal to 1]"
	for name, want := range map[string]string{"": empty, long: tooLong} {
		item := Item{"pk": S("k"), "sk": N("3"), name: S("y")}
		_, err = s.BatchWriteItem(ctx, &BatchWriteItemInput{RequestItems: map[string][]WriteRequest{"tbl": {{PutRequest: &PutRequest{Item: item}}}}})
		wantValidation(t, err, fmt.Sprintf(want, "item"), fmt.Sprintf("BatchWriteItem put, name of %d bytes", len(name)))
		_, err = s.TransactWriteItems(ctx, &TransactWriteItemsInput{TransactItems: []TransactWriteItem{{Put: &TransactPut{TableName: "tbl", Item: item}}}})
		wantValidation(t, err, fmt.Sprintf(want, "transactItems.1.member.put.item"), fmt.Sprintf("TransactWriteItems put, name of %d bytes", len(name)))
	}
	out, err := s.Scan(ctx, &ScanInput{TableName: "tbl"})
	if err != nil || out.Count != 1 || !out.Items[0].equal(stored) {
		t.Errorf("after the refused requests: Scan = %+v, %v", out, err)
	}
	longest := Item{"pk": S("k"), "sk": N("2"), long[1:]: S("y")}
	if _, err := s.PutItem(ctx, &PutItemInput{TableName: "tbl", Item: longest}); err != nil {
		t.Errorf("PutItem, name of 65535 bytes: %v", err)
	}
}

// A BatchWriteItem PutRequest whose item lacks the key is refused as AWS
// refuses it (LocalStack's test_batch_write_not_matching_schema, recorded
// against AWS), not with PutItem's "Missing the key", and nothing is
// written.
func TestBatchPutWithoutTheKey(t *testing.T) {
	s := limitsStore(t) // pk S, sk N
	ctx := context.Background()
	for _, item := range []Item{{"nonKey": S("hello")}, {"pk": S("1")}, {"sk": N("1")}} {
		_, err := s.BatchWriteItem(ctx, &BatchWriteItemInput{RequestItems: map[string][]WriteRequest{"tbl": {
			{PutRequest: &PutRequest{Item: Item{"pk": S("ok"), "sk": N("1")}}},
			{PutRequest: &PutRequest{Item: item}},
		}}})
		wantValidation(t, err, msgKeySchema, fmt.Sprintf("BatchWriteItem put %v", item))
	}
	out, err := s.Scan(ctx, &ScanInput{TableName: "tbl"})
	if err != nil || len(out.Items) != 0 {
		t.Fatalf("a refused batch wrote %d items (%v)", len(out.Items), err)
	}
}
