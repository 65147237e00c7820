package dynamo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/awsjson"
)

// FuzzDynamoOps feeds arbitrary request bodies to the item operations: they
// must never panic and must answer either a result or an AWS error.
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
	s := newTestStore(f, &testClock{now: time.Unix(1_700_000_000, 0)})
	tokensTable(f, s, "fuzz", false)
	svc := s.Service()
	ops := []string{"PutItem", "UpdateItem", "GetItem", "Query", "DeleteItem", "Scan"}
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
