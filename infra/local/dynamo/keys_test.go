package dynamo

import (
	"context"
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
