package cloud

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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
// engine: the request becomes a PutEvents call whose Detail satisfies the
// callback detail contract and carries the raw body byte for byte.
func TestMappingTemplatesRender(t *testing.T) {
	root := moduleRootForTest(t)
	bodies := map[string]string{
		"tricky": `{"valuationReference":"VAL-1","status":"FAILED","failure":{"reasonCode":"OTHER",` +
			`"reason":"O'Brien said \"no\" \\ </tag> é ✓ 😀\n\ttab \u007f"}}` + "\n",
	}
	for _, name := range []string{"valuation-response.json", "valuation-response-failed.json"} {
		b, err := os.ReadFile(filepath.Join(root, "contracts/testdata/valid", name))
		if err != nil {
			t.Fatal(err)
		}
		bodies[name] = string(b)
	}
	const callbackID = "Zm9vYmFyYmF6cXV4cXV1eA"
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			out, override, _ := renderVTL(t, PutEventsRequestTemplate("loanflow-valuations"), map[string]any{
				"body":        body,
				"path":        map[string]any{"callbackId": callbackID},
				"headers":     map[string]any{"x-valuation-timestamp": "1795600000", "X-VALUATION-SIGNATURE": `s'g"/\`},
				"requestTime": "25/Nov/2026:10:05:00 +0000",
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
			var resp contracts.ValuationResponse
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
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
			if detail.Body != body {
				t.Errorf("body %q came back as %q", body, detail.Body)
			}
			if detail.Version != "1" || detail.CallbackID != callbackID || detail.ReceivedAt != "25/Nov/2026:10:05:00 +0000" ||
				detail.Signature != (contracts.Signature{Timestamp: "1795600000", Value: `s'g"/\`}) {
				t.Errorf("detail = %+v", detail)
			}
			equalJSON(t, "response", detail.Response, resp)
		})
	}
	t.Run("no signature headers", func(t *testing.T) {
		out, _, _ := renderVTL(t, PutEventsRequestTemplate("bus"), map[string]any{
			"body": `{"valuationReference":"V","status":"COMPLETED","propertyValue":1,"currency":"GBP"}`,
			"path": map[string]any{"callbackId": callbackID},
		})
		var req struct{ Entries []struct{ Detail string } }
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
