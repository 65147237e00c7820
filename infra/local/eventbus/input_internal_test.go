package eventbus

import (
	"strings"
	"testing"
	"time"
)

// testEnvelope is an event as stored, with the detail of the examples AWS
// was recorded with (LocalStack's validated input-transformer tests).
const testEnvelope = `{"version":"0","id":"6f1c","detail-type":"core.update-account-command","source":"core.update-account-command",` +
	`"account":"000000000000","time":"2026-11-25T10:00:00Z","region":"us-east-1","resources":[],` +
	`"detail":{"command":"update-account","payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"},"listsingle":["HIGH"],"listmulti":["ACTIVE","INACTIVE"],"valid":true}}`

// The outputs are AWS's, as recorded.
func TestInputTemplatesAreFilledAsEventBridgeFillsThem(t *testing.T) {
	paths := map[string]string{"userId": "$.detail.payload.acc_id", "payload": "$.detail.payload", "systemstring": "$.detail.awsAccountId",
		"listsingle": "$.detail.listsingle", "listmulti": "$.detail.listmulti", "valid": "$.detail.valid", "command": "$.detail.notinmessage"}
	for tmpl, want := range map[string]string{
		`{"method": "PUT", "path": "users-service/users/<userId>", "bod": <payload>}`: `{"method":"PUT","path":"users-service/users/0a787ecb-4015","bod":{"acc_id":"0a787ecb-4015","sf_id":"baz"}}`,
		`"Payload of <payload> with path users-service/users/<userId> and <userId>"`:  `"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/0a787ecb-4015 and 0a787ecb-4015"`,
		`{"id" : <userId>}`:   `{"id":"0a787ecb-4015"}`,
		`{"id" : "<userId>"}`: `{"id":"0a787ecb-4015"}`,
		`{"method": "PUT", "path": "users-service/users/<userId>", "bod": [<userId>, "hardcoded"]}`:                            `{"method":"PUT","path":"users-service/users/0a787ecb-4015","bod":["0a787ecb-4015","hardcoded"]}`,
		`{"method": "PUT", "nested": {"level1": {"level2": {"level3": "users-service/users/<userId>"} } }, "bod": "<userId>"}`: `{"method":"PUT","nested":{"level1":{"level2":{"level3":"users-service/users/0a787ecb-4015"}}},"bod":"0a787ecb-4015"}`,
		`"<listsingle> single list item"`:   `"[HIGH] single list item"`,
		`"<listmulti> multiple list items"`: `"[ACTIVE,INACTIVE] multiple list items"`,
		`{"singlelistitem": <listsingle>}`:  `{"singlelistitem":["HIGH"]}`,
		`"<listsingle> single list item <listmulti> multiple list items <systemstring> system account id <payload> payload <userId> user id"`: `"[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id {acc_id:0a787ecb-4015,sf_id:baz} payload 0a787ecb-4015 user id"`,
		`{"multi_replacement": "users/<userId>/second/<userId>"}`:                                                                             `{"multi_replacement":"users/0a787ecb-4015/second/0a787ecb-4015"}`,
		`"Command is <valid>!"`:                                     `"Command is true!"`,
		`{"detailType": <userId>,  "command": <command>}`:           `{"detailType":"0a787ecb-4015","command":""}`,
		`"{[/Check with special starting characters for <command>"`: `"{[/Check with special starting characters for "`,
		`<userId> is in state <valid>`:                              `0a787ecb-4015 is in state true`,
		`{"escaped": "a \"<userId>\" b", "lt": "1 < 2"}`:            `{"escaped":"a \"0a787ecb-4015\" b","lt":"1 < 2"}`,
	} {
		it := &InputTransformer{InputPathsMap: paths, InputTemplate: tmpl}
		if err := it.validate("t"); err != nil {
			t.Errorf("%s: %v", tmpl, err)
			continue
		}
		got, err := it.render([]byte(testEnvelope), matchContext{ruleName: "r"})
		if err != nil || string(got) != want {
			t.Errorf("%s\ngot  %s %v\nwant %s", tmpl, got, err, want)
		}
	}
	// AWS delivers nothing for these: an object or array inside a string of
	// a JSON template is not valid JSON.
	for _, tmpl := range []string{
		`{"not_valid": "users-service/users/<payload>", "bod": <payload>}`,
		`{"payload": "<payload>"}`,
		`{"singlelistitem": "<listsingle>"}`,
	} {
		it := &InputTransformer{InputPathsMap: paths, InputTemplate: tmpl}
		if got, err := it.render([]byte(testEnvelope), matchContext{}); err == nil {
			t.Errorf("%s: rendered %s, want an error", tmpl, got)
		}
	}
}

func TestPredefinedPlaceholders(t *testing.T) {
	it := &InputTransformer{InputTemplate: `{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "e": <aws.events.event>}`}
	got, err := it.render([]byte(testEnvelope), matchContext{ruleARN: "arn:aws:events:us-east-1:000000000000:rule/b/r", ruleName: "r",
		ingested: time.Date(2026, 11, 25, 10, 0, 1, 5e8, time.UTC)})
	want := `{"arn":"arn:aws:events:us-east-1:000000000000:rule/b/r","name":"r","at":"2026-11-25T10:00:01Z",` +
		`"e":{"id":"6f1c","account":"000000000000","detailType":"core.update-account-command","time":"2026-11-25T10:00:00Z",` +
		`"source":"core.update-account-command","region":"us-east-1","resources":[],"version":"0"}}`
	if err != nil || string(got) != want {
		t.Fatalf("got  %s %v\nwant %s", got, err, want)
	}
}

func TestEventPaths(t *testing.T) {
	for path, want := range map[string]string{
		"$":                         testEnvelope,
		"$.detail-type":             `"core.update-account-command"`,
		"$['detail-type']":          `"core.update-account-command"`,
		`$.detail["payload"].sf_id`: `"baz"`,
		"$.detail.payload":          `{"acc_id":"0a787ecb-4015","sf_id":"baz"}`,
		"$.detail.listmulti[1]":     `"INACTIVE"`,
		"$.detail.listmulti[-1]":    `"INACTIVE"`,
		"$.detail.listmulti[*]":     `["ACTIVE","INACTIVE"]`,
		"$.detail.payload.*":        `["0a787ecb-4015","baz"]`,
		"$.detail.nope.*":           `[]`,
		"$.detail.valid":            `true`,
	} {
		p, err := compileEventPath(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got, ok := p.eval([]byte(testEnvelope)); !ok || string(got) != want {
			t.Errorf("%s = %s %v, want %s", path, got, ok, want)
		}
	}
	for _, path := range []string{"$.detail.nope", "$.detail.listmulti[2]", "$.detail.payload[0]", "$.detail.listmulti.x"} {
		p, _ := compileEventPath(path)
		if got, ok := p.eval([]byte(testEnvelope)); ok {
			t.Errorf("%s selected %s, want nothing", path, got)
		}
	}
	for _, path := range []string{"detail", "$..id", "$.a[?(@.x)]", "$.a[", "$.a..b", "$x"} {
		if _, err := compileEventPath(path); err == nil {
			t.Errorf("%s compiled", path)
		}
	}
}

func TestPlaceholdersListsEveryName(t *testing.T) {
	got := strings.Join(placeholders(`<a> < b <c.d-e_f> <<g>> <>`), ",")
	if got != "a,c.d-e_f,g" {
		t.Fatalf("got %s", got)
	}
}
