// Package contracts holds every message that crosses a boundary in loanflow, as
// a Go type and as a JSON Schema (draft 2020-12, embedded from schemas/). The
// schemas are the source of truth: Decode validates raw JSON against the schema
// before it unmarshals, so a bad message is rejected with an error that names
// the field and the rule ("loanAmount: must be > 0").
//
// Money is always an integer number of minor units (pence for GBP): JSON
// numbers are never floats here.
package contracts
