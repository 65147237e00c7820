package cloud

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/config"
)

func settingsFrom(t *testing.T, ctx map[string]any) (Settings, error) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(t.TempDir())})
	return SettingsFromContext(app.Node())
}

// cdk.json deploys prod with no valuation service URL, so it is refused
// until the mock is asked for; with the mock, it is the defaults.
func TestSettingsDefaultsMatchCDKJSON(t *testing.T) {
	ctx := cdkJSONContext(t)
	if _, err := settingsFrom(t, ctx); err == nil || !strings.Contains(err.Error(), ContextMockValuationService) {
		t.Errorf("cdk.json's context alone deploys the mock to prod: %v", err)
	}
	ctx[ContextMockValuationService] = true
	got, err := settingsFrom(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.MockValuationService = true
	if toJSON(t, got) != toJSON(t, want) {
		t.Errorf("cdk.json's context changes the defaults:\n got %s\nwant %s", toJSON(t, got), toJSON(t, want))
	}
	if toJSON(t, DefaultSettings().Config) != toJSON(t, config.Default()) {
		t.Error("DefaultSettings does not use config.Default")
	}
}

func TestSettingsFromContext(t *testing.T) {
	s, err := settingsFrom(t, map[string]any{
		ContextStage: "dev", ContextCallbackTimeout: "3600", ContextValuationServiceURL: " https://v.example.com/valuations ",
		ContextSigningSecretName: "x/y", ContextWebhookRateLimit: "12.5", ContextWebhookBurstLimit: 25.0,
		ContextAlarmEmail: "ops@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config.Stage != "dev" || s.Config.CallbackTimeout != time.Hour || s.Config.ValuationService.URL != "https://v.example.com/valuations" ||
		s.Config.Signature.SecretName != "x/y" || s.WebhookRateLimit != 12.5 || s.WebhookBurstLimit != 25 || s.AlarmEmail != "ops@example.com" {
		t.Errorf("settings = %+v", s)
	}
	for name, ctx := range map[string]map[string]any{
		"bad mock flag":    {ContextMockValuationService: "yes"},
		"bad duration":     {ContextCallbackTimeout: "soon"},
		"too long":         {ContextCallbackTimeout: "9000h"},
		"bad url":          {ContextValuationServiceURL: "ftp://x"},
		"bad rate":         {ContextWebhookRateLimit: "fast"},
		"zero rate":        {ContextWebhookRateLimit: 0.0},
		"burst too large":  {ContextWebhookBurstLimit: 10000.0},
		"empty stage":      {ContextStage: ""},
		"stage not string": {ContextStage: 3.0},
		"bad alarm email":  {ContextAlarmEmail: "oncall"},
	} {
		// A stage that deploys the mock by default, so that the only
		// error is the one the case is about.
		if _, ok := ctx[ContextStage]; !ok {
			ctx[ContextStage] = "dev"
		}
		if _, err := settingsFrom(t, ctx); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "settings") {
			t.Errorf("%s: error %q names neither the context key nor the setting", name, err)
		}
	}
}

// A prod deploy without a valuation service URL would expose the mock, which
// signs with the production key: refused unless the mock is asked for.
func TestSettingsProdRefusesImplicitMock(t *testing.T) {
	_, err := settingsFrom(t, map[string]any{ContextStage: ProdStage, ContextValuationServiceURL: ""})
	if err == nil {
		t.Fatal("prod without valuationServiceUrl deploys the mock")
	}
	for _, want := range []string{ContextMockValuationService + "=true", ContextValuationServiceURL, "signing key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not mention %s", err, want)
		}
	}
	for name, c := range map[string]struct {
		ctx  map[string]any
		mock bool
	}{
		"explicit mock (JSON)":   {map[string]any{ContextStage: ProdStage, ContextMockValuationService: true}, true},
		"explicit mock (string)": {map[string]any{ContextStage: ProdStage, ContextMockValuationService: " true "}, true},
		"real service":           {map[string]any{ContextStage: ProdStage, ContextValuationServiceURL: "https://v.example.com/valuations"}, false},
		"dev mock by default":    {map[string]any{ContextStage: "dev"}, true},
		"dev, flag false":        {map[string]any{ContextStage: "dev", ContextMockValuationService: "false"}, true},
	} {
		s, err := settingsFrom(t, c.ctx)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.UsesMock() != c.mock {
			t.Errorf("%s: UsesMock = %v", name, s.UsesMock())
		}
	}
	if _, err := settingsFrom(t, map[string]any{
		ContextStage: "dev", ContextValuationServiceURL: "https://v.example.com/valuations", ContextMockValuationService: true,
	}); err == nil || !strings.Contains(err.Error(), ContextMockValuationService) {
		t.Errorf("a real service and the mock together: %v", err)
	}

	// The stacks refuse too, whoever builds them.
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &map[string]any{"aws:cdk:bundling-stacks": []any{}}})
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), ContextMockValuationService) {
				t.Errorf("NewStacks with prod and no valuation service: %v", r)
			}
		}()
		NewStacks(app, DefaultSettings(), stubModule(t))
	}()
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("ModuleRoot = %s without go.mod", root)
	}
	if _, err := ModuleRoot(t.TempDir()); err == nil {
		t.Error("found a module root above a temporary directory")
	}
}
