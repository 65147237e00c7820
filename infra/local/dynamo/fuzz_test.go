package dynamo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/awsjson"
)

// FuzzDynamoOps feeds arbitrary request bodies to the item, batch and
// transaction operations and UpdateTable, on a table with indexes and one
// without: they must never panic and must answer either a result or an AWS
// error.
func FuzzDynamoOps(f *testing.F) {
	f.Add(`{"TableName":"fuzz","Item":{"pk":{"S":"a"},"n":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)"}`)
	f.Add(`{"TableName":"fuzz","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET n = n + :one REMOVE x","ExpressionAttributeValues":{":one":{"N":"1"}}}`)
	f.Add(`{"TableName":"fuzz","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{"S":"a"}}}`)
	f.Add(`{"TableName":"fuzz","Key":{"pk":{"S":"a"}},"ProjectionExpression":"a.b[1], #c","ExpressionAttributeNames":{"#c":"c"}}`)
	// Regressions: a million parentheses overflowed the parser's stack, and
	// an overflowing sum was stored and made the table unreadable.
	bomb := strings.Repeat("(", 1_000_000) + "pk = :v" + strings.Repeat(")", 1_000_000)
	f.Add(`{"TableName":"fuzz","Key":{"pk":{"S":"a"}},"KeyConditionExpression":"` + bomb + `","FilterExpression":"` + bomb +
		`","ConditionExpression":"` + bomb + `","UpdateExpression":"SET n = ` + bomb + `","ExpressionAttributeValues":{":v":{"S":"a"}}}`)
	f.Add(`{"TableName":"fuzz","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET n = :a + :a","ExpressionAttributeValues":{":a":{"N":"9E+125"}}}`)
	// Indexes, batches, transactions, parallel scans and UpdateTable.
	f.Add(`{"TableName":"fuzzidx","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},"l":{"N":"2"}},"ReturnConsumedCapacity":"INDEXES"}`)
	f.Add(`{"TableName":"fuzzidx","IndexName":"byG","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"x"}},"Limit":1,"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"}}}`)
	f.Add(`{"TableName":"fuzzidx","IndexName":"byL","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}},"Select":"ALL_ATTRIBUTES","Segment":0,"TotalSegments":2}`)
	f.Add(`{"RequestItems":{"fuzz":[{"PutRequest":{"Item":{"pk":{"S":"b"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"a"}}}}]},"ReturnConsumedCapacity":"TOTAL"}`)
	f.Add(`{"RequestItems":{"fuzz":{"Keys":[{"pk":{"S":"a"}}],"ProjectionExpression":"#p","ExpressionAttributeNames":{"#p":"pk"}}}}`)
	f.Add(`{"TransactItems":[{"Put":{"TableName":"fuzzidx","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"y"}}}},{"ConditionCheck":{"TableName":"fuzz","Key":{"pk":{"S":"a"}},"ConditionExpression":"attribute_exists(pk)","ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}],"ClientRequestToken":"tok"}`)
	f.Add(`{"TransactItems":[{"Get":{"TableName":"fuzz","Key":{"pk":{"S":"a"}}}}],"ReturnConsumedCapacity":"INDEXES"}`)
	f.Add(`{"TableName":"fuzzidx","AttributeDefinitions":[{"AttributeName":"h","AttributeType":"S"}],"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byH","KeySchema":[{"AttributeName":"h","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}`)
	s := newTestStore(f, &testClock{now: time.Unix(1_700_000_000, 0)})
	tokensTable(f, s, "fuzz", false)
	if _, err := s.CreateTable(context.Background(), &CreateTableInput{TableName: "fuzzidx", BillingMode: "PAY_PER_REQUEST",
		KeySchema:            []KeySchemaElement{{"pk", "HASH"}, {"sk", "RANGE"}},
		AttributeDefinitions: []AttributeDefinition{{"pk", "S"}, {"sk", "N"}, {"g", "S"}, {"l", "N"}},
		GlobalSecondaryIndexes: []GlobalSecondaryIndex{{IndexName: "byG", KeySchema: []KeySchemaElement{{"g", "HASH"}, {"sk", "RANGE"}},
			Projection: &Projection{ProjectionType: "INCLUDE", NonKeyAttributes: []string{"v"}}}},
		LocalSecondaryIndexes: []LocalSecondaryIndex{{IndexName: "byL", KeySchema: []KeySchemaElement{{"pk", "HASH"}, {"l", "RANGE"}},
			Projection: &Projection{ProjectionType: "KEYS_ONLY"}}},
	}); err != nil {
		f.Fatal(err)
	}
	svc := s.Service()
	ops := []string{"PutItem", "UpdateItem", "GetItem", "Query", "DeleteItem", "Scan",
		"BatchWriteItem", "BatchGetItem", "TransactWriteItems", "TransactGetItems", "UpdateTable"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, name := range ops {
			_, err := svc.Ops[name](context.Background(), []byte(body))
			var ae *awsjson.Error
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("%s(%q): non-AWS error %v", name, body, err)
			}
		}
	})
}
