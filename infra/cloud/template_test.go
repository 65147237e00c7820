package cloud

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"loanflow/contracts"
)

// renderVTL renders a mapping template with velocityjs (tools/node_modules)
// through testdata/vtl/render.js, or skips when node or velocityjs is missing.
func renderVTL(t *testing.T, template string, req map[string]any) (out string, requestOverride, responseOverride map[string]any) {
	t.Helper()
	root := moduleRootForTest(t)
	modules := filepath.Join(root, "tools", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "velocityjs")); err != nil {
		t.Skip("velocityjs is not installed: npm install --prefix tools velocityjs@2")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := t.TempDir()
	tplPath, reqPath := filepath.Join(dir, "template.vtl"), filepath.Join(dir, "request.json")
	b, _ := json.Marshal(req)
	if err := os.WriteFile(tplPath, []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reqPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/vtl/render.js", tplPath, reqPath)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var res struct {
		Output           string         `json:"output"`
		RequestOverride  map[string]any `json:"requestOverride"`
		ResponseOverride map[string]any `json:"responseOverride"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("render output %s: %v", raw, err)
	}
	return res.Output, res.RequestOverride, res.ResponseOverride
}

// TestMappingTemplatesRender runs the webhook's templates through a Velocity
// engine: the request, a body API Gateway hands over as base64 (binary media
// type, CONVERT_TO_TEXT), becomes a PutEvents call whose Detail satisfies the
// callback detail contract and carries the raw bytes exactly, invalid UTF-8
// included, with the receipt time.
func TestMappingTemplatesRender(t *testing.T) {
	root := moduleRootForTest(t)
	bodies := map[string][]byte{
		"tricky": []byte(`{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER",` +
			`"reason":"O'Brien said \"no\" \\ </tag> é ✓ 😀\n\ttab \u007f"}}` + "\n"),
		"invalid UTF-8": []byte("{\"valuationReference\":\"VAL-2\",\"status\":\"FAILED\",\"failure\":{\"reasonCode\":\"OTHER\"," +
			"\"reason\":\"bad \xff byte, bad \xc3( pair\"}}\r\n"),
	}
	for _, name := range []string{"valuation-response.json", "valuation-response-failed.json"} {
		b, err := os.ReadFile(filepath.Join(root, "contracts/testdata/valid", name))
		if err != nil {
			t.Fatal(err)
		}
		bodies[name] = b
	}
	const (
		callbackID = "Zm9vYmFyYmF6cXV4cXV1eA"
		receivedAt = 1795600000123
		requestID  = "c0ffee00-1234-4d2b-9a6e-0123456789ab"
	)
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			out, override, _ := renderVTL(t, PutEventsRequestTemplate("loanflow-valuations"), map[string]any{
				"bodyBase64":       base64.StdEncoding.EncodeToString(body),
				"path":             map[string]any{"callbackId": callbackID},
				"headers":          map[string]any{"x-valuation-timestamp": "1795600000", "X-VALUATION-SIGNATURE": `s'g"/\`},
				"requestTimeEpoch": receivedAt,
				"requestId":        requestID,
			})
			equalJSON(t, "request headers", override["header"], map[string]any{
				"X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": "application/x-amz-json-1.1",
			})
			var req struct {
				Entries []struct{ Source, DetailType, EventBusName, Detail string }
			}
			if err := json.Unmarshal([]byte(out), &req); err != nil {
				t.Fatalf("request is not JSON: %v\n%s", err, out)
			}
			if len(req.Entries) != 1 {
				t.Fatalf("%d entries", len(req.Entries))
			}
			e := req.Entries[0]
			// encoding/json reads invalid UTF-8 as U+FFFD, as the template's
			// $util.base64Decode does: the routing copy of the body.
			var resp contracts.ValuationResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			if e.Source != contracts.EventSource || e.EventBusName != "loanflow-valuations" || e.DetailType != contracts.DetailType(resp.Status) {
				t.Errorf("entry %s / %s / %s", e.Source, e.EventBusName, e.DetailType)
			}
			if err := contracts.Validate(contracts.SchemaValuationCallbackDetail, []byte(e.Detail)); err != nil {
				t.Errorf("detail breaks its contract: %v\n%s", err, e.Detail)
			}
			var detail contracts.ValuationCallbackDetail
			if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
				t.Fatal(err)
			}
			if raw, err := base64.StdEncoding.DecodeString(detail.BodyBase64); err != nil || !bytes.Equal(raw, body) {
				t.Errorf("body %q came back as %q (%v)", body, raw, err)
			}
			if detail.Version != "2" || detail.CallbackID != callbackID ||
				detail.ReceivedAt != strconv.Itoa(receivedAt) || detail.ReceiptID != requestID ||
				detail.Signature != (contracts.Signature{Timestamp: "1795600000", Value: `s'g"/\`}) {
				t.Errorf("detail = %+v", detail)
			}
			equalJSON(t, "response", detail.Response, resp)
		})
	}
	t.Run("no signature headers", func(t *testing.T) {
		out, _, _ := renderVTL(t, PutEventsRequestTemplate("bus"), map[string]any{
			"bodyBase64":       base64.StdEncoding.EncodeToString([]byte(`{"valuationReference":"V","status":"COMPLETED","propertyValue":1,"currency":"GBP"}`)),
			"path":             map[string]any{"callbackId": callbackID},
			"requestTimeEpoch": receivedAt,
			"requestId":        requestID,
		})
		var req struct {
			Entries []struct{ DetailType, Detail string }
		}
		if err := json.Unmarshal([]byte(out), &req); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var detail contracts.ValuationCallbackDetail
		if err := json.Unmarshal([]byte(req.Entries[0].Detail), &detail); err != nil {
			t.Fatal(err)
		}
		if detail.Signature != (contracts.Signature{}) {
			t.Errorf("signature = %+v, want empty strings", detail.Signature)
		}
		if req.Entries[0].DetailType != contracts.DetailTypeCompleted {
			t.Errorf("detail-type %q", req.Entries[0].DetailType)
		}
		if err := contracts.Validate(contracts.SchemaValuationCallbackDetail, []byte(req.Entries[0].Detail)); err != nil {
			t.Errorf("detail breaks its contract: %v", err)
		}
	})
	for failed, want := range map[float64]string{0: WebhookAccepted, 1: WebhookFailed} {
		out, _, override := renderVTL(t, PutEventsResponseTemplate, map[string]any{
			"integration": map[string]any{"FailedEntryCount": failed, "Entries": []any{}},
		})
		if out != want {
			t.Errorf("FailedEntryCount %v: body %s, want %s", failed, out, want)
		}
		if status, _ := override["status"].(float64); (failed > 0) != (status == 500) {
			t.Errorf("FailedEntryCount %v: status override %v", failed, override["status"])
		}
	}
}

// gatewayVariables are the values API Gateway substitutes into a gateway
// response template, verbatim: these templates are not Velocity and nothing
// is escaped. The validation message holds what breaks naive JSON.
var gatewayVariables = map[string]string{
	"$context.error.validationErrorString": `[instance value ("O'Brien \"x\"") not found in enum (possible values: ["COMPLETED","FAILED"]) at \status\]`,
	"$context.error.messageString":         `"Invalid request body"`,
	"$context.error.message":               `Invalid request body`,
	"$context.error.responseType":          "BAD_REQUEST_BODY",
	"$context.requestId":                   "c0ffee00-1234-4d2b-9a6e-0123456789ab",
}

// substituteGatewayVariables renders a gateway response template as API
// Gateway does: simple substitution of $context variables.
func substituteGatewayVariables(t *testing.T, tpl string) string {
	t.Helper()
	names := make([]string, 0, len(gatewayVariables))
	for k := range gatewayVariables {
		names = append(names, k)
	}
	// Longest first: $context.error.message is a prefix of $context.error.messageString.
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, k := range names {
		tpl = strings.ReplaceAll(tpl, k, gatewayVariables[k])
	}
	if strings.Contains(tpl, "$") {
		t.Errorf("template uses a variable the test does not know: %s", tpl)
	}
	return tpl
}

// TestGatewayResponsesAreJSON: every error body the webhook's own gateway
// responses produce is valid JSON, whatever the validator's message holds.
func TestGatewayResponsesAreJSON(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range webhookGatewayResponses {
		seen[*r.typ.ResponseType()] = true
		out := substituteGatewayVariables(t, r.body)
		var v struct {
			Accepted  *bool  `json:"accepted"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s: body is not JSON: %v\n%s", r.id, err, out)
			continue
		}
		if v.Accepted == nil || *v.Accepted || v.Message == "" || v.RequestID != gatewayVariables["$context.requestId"] {
			t.Errorf("%s: body %s", r.id, out)
		}
	}
	for _, typ := range []string{"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "INVALID_API_KEY", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} {
		if !seen[typ] {
			t.Errorf("no gateway response for %s", typ)
		}
	}
	// The template fix is not vacuous: substituting the validator's message
	// into quotes, as the webhook used to, is not JSON.
	if json.Valid([]byte(substituteGatewayVariables(t, `{"problems":"$context.error.validationErrorString"}`))) {
		t.Error("the test's validation message does not break a quoted substitution")
	}
}
