package cloud

import (
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

func TestSettingsDefaultsMatchCDKJSON(t *testing.T) {
	got, err := settingsFrom(t, cdkJSONContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if toJSON(t, got) != toJSON(t, DefaultSettings()) {
		t.Errorf("cdk.json's context changes the defaults:\n got %s\nwant %s", toJSON(t, got), toJSON(t, DefaultSettings()))
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
		if _, err := settingsFrom(t, ctx); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "context") && !strings.Contains(err.Error(), "settings") {
			t.Errorf("%s: error %q names neither the context key nor the setting", name, err)
		}
	}
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
