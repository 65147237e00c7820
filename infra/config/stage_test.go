package config

import "testing"

func TestStageNames(t *testing.T) {
	cases := []struct{ stage, base, flat, path string }{
		{"prod", "LoanProcessor", "LoanProcessor", "LoanProcessor"},
		{"prod", "/loanflow/x", "/loanflow/x", "/loanflow/x"},
		{"dev", "loanflow-valuations", "dev-loanflow-valuations", "dev/loanflow-valuations"},
		{"dev", "loanflow/valuation-webhook-signing-key", "dev-loanflow/valuation-webhook-signing-key", "dev/loanflow/valuation-webhook-signing-key"},
		{"qa-2", "/loanflow/valuation-service/allowed-callback-prefix", "qa-2-/loanflow/valuation-service/allowed-callback-prefix", "/qa-2/loanflow/valuation-service/allowed-callback-prefix"},
	}
	for _, c := range cases {
		if got := StageName(c.stage, c.base); got != c.flat {
			t.Errorf("StageName(%q, %q) = %q, want %q", c.stage, c.base, got, c.flat)
		}
		if got := StagePath(c.stage, c.base); got != c.path {
			t.Errorf("StagePath(%q, %q) = %q, want %q", c.stage, c.base, got, c.path)
		}
	}
	if !IsDefaultStage(Default().Stage) || IsDefaultStage(Local().Stage) {
		t.Error("only the default config's stage keeps the plain names")
	}
}

func TestValidateStage(t *testing.T) {
	for _, ok := range []string{"prod", "dev", "local", "qa-2", "a", "staging2024", "abcdefghijklmnopqrst"} {
		if err := ValidateStage(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Dev", "2dev", "dev-", "-dev", "dev_1", "dev/x", "dev.x", "dev x", "abcdefghijklmnopqrstu"} {
		if ValidateStage(bad) == nil {
			t.Errorf("%q is accepted", bad)
		}
	}
}
