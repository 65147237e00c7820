package dynamo

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// botocoreModel is the part of a botocore service-2.json that the check
// reads.
type botocoreModel struct {
	Operations map[string]struct {
		Output *struct {
			Shape string `json:"shape"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelShape struct {
	Type     string   `json:"type"`
	Required []string `json:"required"`
	Members  map[string]struct {
		Shape string `json:"shape"`
	} `json:"members"`
	Member struct {
		Shape string `json:"shape"`
	} `json:"member"`
	Value struct {
		Shape string `json:"shape"`
	} `json:"value"`
	Union bool `json:"union"`
}

// loadBotocoreModel reads DynamoDB's model from the installed botocore, or
// skips the test.
func loadBotocoreModel(t *testing.T) *botocoreModel {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	dir, err := exec.Command(py, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("botocore not installed")
	}
	base := filepath.Join(strings.TrimSpace(string(dir)), "data", "dynamodb", "2012-08-10", "service-2.json")
	var r io.Reader
	if f, err := os.Open(base + ".gz"); err == nil {
		defer f.Close()
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	} else if f, err := os.Open(base); err == nil {
		defer f.Close()
		r = f
	} else {
		t.Skipf("no DynamoDB model under %s", base)
	}
	var m botocoreModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", base, err)
	}
	return &m
}

// conform lists where v departs from the shape: members the shape does not
// have, required members missing, values of the wrong JSON type.
func (m *botocoreModel) conform(name string, v any, path string) []string {
	sh, ok := m.Shapes[name]
	if !ok {
		return []string{path + ": no shape " + name}
	}
	bad := func(want string) []string { return []string{fmt.Sprintf("%s: %T, want %s (%s)", path, v, want, name)} }
	var out []string
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		for _, r := range sh.Required {
			if _, ok := obj[r]; !ok {
				out = append(out, path+"."+r+": required member missing")
			}
		}
		if sh.Union && len(obj) != 1 {
			out = append(out, fmt.Sprintf("%s: union with %d members set", path, len(obj)))
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			mem, ok := sh.Members[k]
			if !ok {
				out = append(out, path+"."+k+": not a member of "+name)
				continue
			}
			out = append(out, m.conform(mem.Shape, obj[k], path+"."+k)...)
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			return bad("array")
		}
		for i, e := range arr {
			out = append(out, m.conform(sh.Member.Shape, e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		for k, e := range obj {
			out = append(out, m.conform(sh.Value.Shape, e, path+"."+k)...)
		}
	case "string", "blob":
		if _, ok := v.(string); !ok {
			return bad("string")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("boolean")
		}
	case "integer", "long", "double", "float", "timestamp":
		if _, ok := v.(json.Number); !ok {
			return bad("number")
		}
	default:
		return []string{path + ": unknown shape type " + sh.Type}
	}
	return out
}

// TestResponsesMatchBotocoreModel sends each supported operation and
// checks every response against the output shape of botocore's model of
// DynamoDB, the source the SDKs are generated from.
func TestResponsesMatchBotocoreModel(t *testing.T) {
	model := loadBotocoreModel(t)
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	calls := []struct{ op, body string }{
		{"CreateTable", `{"TableName":"mdl","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}]}`},
		{"CreateTable", `{"TableName":"prov","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}`},
		{"DescribeTable", `{"TableName":"mdl"}`},
		{"DescribeTable", `{"TableName":"prov"}`},
		{"ListTables", `{"Limit":1}`},
		{"DescribeTimeToLive", `{"TableName":"mdl"}`},
		{"UpdateTimeToLive", `{"TableName":"mdl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}`},
		{"DescribeTimeToLive", `{"TableName":"mdl"}`},
		{"PutItem", `{"TableName":"mdl","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"exp":{"N":"1600000000"},"m":{"M":{"l":{"L":[{"B":"AQI="},{"NULL":true},{"BOOL":true}]}}},"ss":{"SS":["x"]},"ns":{"NS":["1"]},"bs":{"BS":["AQ=="]}}}`},
		{"PutItem", `{"TableName":"mdl","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1"}},"ReturnValues":"ALL_OLD"}`},
		{"PutItem", `{"TableName":"mdl","Item":{"pk":{"S":"a"},"sk":{"N":"2"}}}`},
		{"GetItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}`},
		{"GetItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"9"}}}`},
		{"UpdateItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET v = v + :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}`},
		{"UpdateItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET w = :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_OLD"}`},
		{"UpdateItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"REMOVE w"}`},
		{"Query", `{"TableName":"mdl","KeyConditionExpression":"pk = :a","ExpressionAttributeValues":{":a":{"S":"a"}},"Limit":1}`},
		{"Query", `{"TableName":"mdl","KeyConditionExpression":"pk = :a","ExpressionAttributeValues":{":a":{"S":"a"}},"Select":"COUNT"}`},
		{"Query", `{"TableName":"mdl","KeyConditionExpression":"pk = :a","ExpressionAttributeValues":{":a":{"S":"none"}}}`},
		{"Scan", `{"TableName":"mdl","Limit":5}`},
		{"Scan", `{"TableName":"mdl","Select":"COUNT"}`},
		{"DeleteItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnValues":"ALL_OLD"}`},
		{"DeleteItem", `{"TableName":"mdl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnValues":"ALL_OLD"}`},
		{"UpdateTimeToLive", `{"TableName":"mdl","TimeToLiveSpecification":{"Enabled":false,"AttributeName":"exp"}}`},
		{"DeleteTable", `{"TableName":"mdl"}`},
		// Indexes, batches, transactions, capacity.
		{"CreateTable", `{"TableName":"idx","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"},{"AttributeName":"l","AttributeType":"N"}],"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["v"]}}],"LocalSecondaryIndexes":[{"IndexName":"byL","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}`},
		{"PutItem", `{"TableName":"idx","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},"l":{"N":"2"},"v":{"S":"v"}},"ReturnConsumedCapacity":"INDEXES"}`},
		{"DescribeTable", `{"TableName":"idx"}`},
		{"GetItem", `{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnConsumedCapacity":"TOTAL"}`},
		{"UpdateItem", `{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET g = :y","ExpressionAttributeValues":{":y":{"S":"y"}},"ReturnConsumedCapacity":"INDEXES"}`},
		{"Query", `{"TableName":"idx","IndexName":"byG","KeyConditionExpression":"g = :y","ExpressionAttributeValues":{":y":{"S":"y"}},"Limit":1,"ReturnConsumedCapacity":"INDEXES"}`},
		{"Query", `{"TableName":"idx","IndexName":"byL","KeyConditionExpression":"pk = :a","ExpressionAttributeValues":{":a":{"S":"a"}},"Select":"ALL_ATTRIBUTES","ReturnConsumedCapacity":"INDEXES"}`},
		{"Scan", `{"TableName":"idx","IndexName":"byG","Segment":0,"TotalSegments":1,"ReturnConsumedCapacity":"TOTAL"}`},
		{"BatchWriteItem", `{"RequestItems":{"idx":[{"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"c"},"sk":{"N":"1"}}}}]},"ReturnConsumedCapacity":"INDEXES"}`},
		{"BatchGetItem", `{"RequestItems":{"idx":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}},{"pk":{"S":"z"},"sk":{"N":"1"}}],"ProjectionExpression":"pk, v"}},"ReturnConsumedCapacity":"TOTAL"}`},
		{"TransactWriteItems", `{"TransactItems":[{"Update":{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET g = :x","ExpressionAttributeValues":{":x":{"S":"x"}}}},{"ConditionCheck":{"TableName":"idx","Key":{"pk":{"S":"b"},"sk":{"N":"1"}},"ConditionExpression":"attribute_exists(pk)"}}],"ClientRequestToken":"t1","ReturnConsumedCapacity":"INDEXES"}`},
		{"TransactWriteItems", `{"TransactItems":[{"Update":{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET g = :x","ExpressionAttributeValues":{":x":{"S":"x"}}}},{"ConditionCheck":{"TableName":"idx","Key":{"pk":{"S":"b"},"sk":{"N":"1"}},"ConditionExpression":"attribute_exists(pk)"}}],"ClientRequestToken":"t1","ReturnConsumedCapacity":"INDEXES"}`},
		{"TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}},{"Get":{"TableName":"idx","Key":{"pk":{"S":"z"},"sk":{"N":"1"}}}}],"ReturnConsumedCapacity":"INDEXES"}`},
		{"UpdateTable", `{"TableName":"idx","AttributeDefinitions":[{"AttributeName":"h","AttributeType":"N"}],"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byH","KeySchema":[{"AttributeName":"h","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]}`},
		{"UpdateTable", `{"TableName":"idx","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"byG"}}]}`},
		{"UpdateTable", `{"TableName":"idx","BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1},"GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"byH","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}}]}`},
		{"DescribeTable", `{"TableName":"idx"}`},
		{"DeleteItem", `{"TableName":"idx","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ReturnConsumedCapacity":"INDEXES"}`},
	}
	for i, c := range calls {
		op, ok := model.Operations[c.op]
		if !ok || op.Output == nil {
			t.Fatalf("%s has no output shape in the model", c.op)
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+c.op)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d %s: %d %s", i, c.op, resp.StatusCode, raw)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("call %d %s: %v: %s", i, c.op, err, raw)
		}
		if probs := model.conform(op.Output.Shape, v, c.op); len(probs) > 0 {
			t.Errorf("call %d %s answers %s\n\t%s", i, c.op, raw, strings.Join(probs, "\n\t"))
		}
	}
}
