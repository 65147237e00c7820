package contracts_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"loanflow/contracts"
)

// FuzzDecode: any input either decodes into a value that re-encodes to a
// document its schema accepts, or is refused with a ValidationError naming
// fields; nothing panics.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(`{"loanAmount": 1e400}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		targets := []struct {
			s contracts.Schema
			v func() any
		}{
			{contracts.SchemaLoanApplication, func() any { return new(contracts.LoanApplication) }},
			{contracts.SchemaValuationRequestMessage, func() any { return new(contracts.ValuationRequestMessage) }},
			{contracts.SchemaValuationResponse, func() any { return new(contracts.ValuationResponse) }},
			{contracts.SchemaValuationCallbackDetail, func() any { return new(contracts.ValuationCallbackDetail) }},
		}
		for _, tg := range targets {
			v := tg.v()
			err := contracts.Decode(tg.s, raw, v)
			if err != nil {
				var ve *contracts.ValidationError
				if errors.As(err, &ve) && len(ve.Problems) == 0 {
					t.Fatalf("%s: a ValidationError without problems", tg.s)
				}
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: re-encode: %v", tg.s, err)
			}
			if err := contracts.Validate(tg.s, out); err != nil {
				t.Fatalf("%s: accepted %q but its re-encoding %s breaks the schema: %v", tg.s, raw, out, err)
			}
		}
	})
}
