package cloud

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// sharedDir outlives single tests: the default app is synthesized again
// (annotations, nag reports) by tests after the one that built it.
var sharedDir string

func TestMain(m *testing.M) {
	var err error
	if sharedDir, err = os.MkdirTemp("", "loanflow-cloud-test"); err != nil {
		panic(err)
	}
	code := m.Run()
	jsii.Close()
	os.RemoveAll(sharedDir)
	os.Exit(code)
}

func moduleRootForTest(t *testing.T) string {
	t.Helper()
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cdkJSONContext is the "context" of the repository's cdk.json, which `go
// test` would otherwise ignore.
func cdkJSONContext(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRootForTest(t), "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("cdk.json: %v", err)
	}
	if doc.App != "go run ./infra/cdk" {
		t.Fatalf("cdk.json app = %q", doc.App)
	}
	return doc.Context
}

// stubFunctions is the name of every Lambda main the stacks build.
var stubFunctions = []string{"valuation-request", "valuation-callback", "valuation-service-api", "valuation-service-callback"}

// stubModule is a tiny Go module holding an empty main for each function, so
// the stack tests check the infrastructure without compiling the handlers
// (TestGoBundler builds the real ones).
func stubModule(t *testing.T) string {
	t.Helper()
	return stubModuleIn(t, t.TempDir())
}

func stubModuleIn(t *testing.T, dir string) string {
	t.Helper()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module loanflow\n\ngo 1.26.0\n")
	for _, f := range stubFunctions {
		write("consumers/functions/"+f+"/main.go", "package main\n\nfunc main() {}\n")
	}
	return dir
}

// synthesized is one app, synthesized, with its stacks' templates.
type synthesized struct {
	settings Settings
	stacks   Stacks
	lp, vs   assertions.Template
}

// synthApp builds the app from cdk.json's context plus overrides (a nil
// value removes the key), with bundling skipped (the assets stay the stub
// sources) and, when nag is set, the AwsSolutions checks applied. cdk.json
// deploys prod, which refuses the mock unless asked: the tests ask for it
// unless they configure a valuation service URL.
func synthApp(t *testing.T, overrides map[string]any, nag bool) *synthesized {
	t.Helper()
	return synthAppIn(t, t.TempDir(), overrides, nag)
}

func synthAppIn(t *testing.T, dir string, overrides map[string]any, nag bool) *synthesized {
	t.Helper()
	app, out := newTestApp(t, dir, overrides)
	if nag {
		AddNagChecks(app)
	}
	out.lp = assertions.Template_FromStack(out.stacks.LoanProcessor.Stack, nil)
	if out.stacks.ValuationService != nil {
		out.vs = assertions.Template_FromStack(out.stacks.ValuationService.Stack, nil)
	}
	return out
}

// newTestApp builds, without synthesizing, the app synthApp describes.
func newTestApp(t *testing.T, dir string, overrides map[string]any) (awscdk.App, *synthesized) {
	t.Helper()
	ctx := cdkJSONContext(t)
	ctx[ContextMockValuationService] = true
	if u, _ := overrides[ContextValuationServiceURL].(string); u != "" {
		delete(ctx, ContextMockValuationService)
	}
	for k, v := range overrides {
		if v == nil {
			delete(ctx, k)
			continue
		}
		ctx[k] = v
	}
	ctx["aws:cdk:bundling-stacks"] = []any{}
	outdir := filepath.Join(dir, "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: &outdir})
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	return app, &synthesized{settings: settings, stacks: NewStacks(app, settings, stubModuleIn(t, filepath.Join(dir, "module")))}
}

var (
	defaultOnce sync.Once
	defaultApp  *synthesized
)

// defaults is the app as cdk.json configures it, synthesized once for every test.
func defaults(t *testing.T) *synthesized {
	t.Helper()
	defaultOnce.Do(func() { defaultApp = synthAppIn(t, sharedDir, nil, false) })
	if defaultApp == nil {
		t.Fatal("default app failed to synthesize")
	}
	return defaultApp
}

// check runs one assertion, turning the panic of a failed CDK assertion into a test error.
func check(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", name, r)
		}
	}()
	f()
}

// resources returns the template's resources of a type, by logical id.
func resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	raw := tpl.FindResources(jsii.String(typ), nil)
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// props returns the one resource's Properties, by logical id.
func props(t *testing.T, tpl assertions.Template, typ, id string) map[string]any {
	t.Helper()
	r, ok := resources(t, tpl, typ)[id]
	if !ok {
		t.Fatalf("no %s %s", typ, id)
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID is the construct's CloudFormation logical id.
func logicalID(c constructs.IConstruct) string {
	child := c.Node().DefaultChild()
	if child == nil {
		child = c
	}
	el, ok := child.(awscdk.CfnElement)
	if !ok {
		panic(fmt.Sprintf("%s is not a CloudFormation element", *c.Node().Path()))
	}
	return *awscdk.Stack_Of(c).GetLogicalId(el)
}

func ref(c constructs.IConstruct) map[string]any { return map[string]any{"Ref": logicalID(c)} }

func getAtt(c constructs.IConstruct, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []any{logicalID(c), attr}}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// equalJSON compares two values by their JSON encoding.
func equalJSON(t *testing.T, name string, got, want any) {
	t.Helper()
	if g, w := toJSON(t, got), toJSON(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", name, g, w)
	}
}

// statements gathers the policy statements attached to a role.
func statements(t *testing.T, tpl assertions.Template, role constructs.IConstruct) []map[string]any {
	t.Helper()
	roleID := logicalID(role)
	var out []map[string]any
	for _, p := range resources(t, tpl, "AWS::IAM::Policy") {
		pp := p["Properties"].(map[string]any)
		attached := false
		for _, r := range pp["Roles"].([]any) {
			if m, ok := r.(map[string]any); ok && m["Ref"] == roleID {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, s := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// actionsOn maps each statement's resource (as JSON) to its actions.
func actionsOn(t *testing.T, sts []map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, s := range sts {
		var actions []string
		switch a := s["Action"].(type) {
		case string:
			actions = []string{a}
		case []any:
			for _, x := range a {
				actions = append(actions, x.(string))
			}
		}
		var res []any
		switch r := s["Resource"].(type) {
		case []any:
			res = r
		default:
			res = []any{r}
		}
		for _, r := range res {
			k := toJSON(t, r)
			out[k] = append(out[k], actions...)
		}
	}
	return out
}
