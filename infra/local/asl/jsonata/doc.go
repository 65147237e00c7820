// Package jsonata evaluates JSONata expressions for the local ASL
// interpreter's JSONata query language, with Step Functions' additions.
//
// The evaluator is a Go port of the JSONata reference implementation
// (jsonata-js 2.2.2, MIT licence; see LICENSE.jsonata-js and README.md):
// the same parser, the same evaluation rules and the same error codes, so
// that the reference language suite runs against it unchanged.
//
// # Values
//
// Inputs and variables are plain Go JSON values as the ASL engine uses
// them: nil (null), bool, string, json.Number (or another Go number), []any
// and map[string]any. They are read lazily and never modified. Results use
// the same types; numbers come out as json.Number printed the way
// JavaScript prints a number (JSONata computes in IEEE doubles, as AWS's
// implementation does). A map keeps no key order, so functions that list
// keys ($keys, $each, $string, ...) see a map's keys sorted; decode with
// DecodeJSON to keep the document's order.
//
// An expression that produces nothing returns ErrUndefined.
//
// # Step Functions
//
// $partition, $range, $hash, $random with an optional seed, $uuid and
// $parse are registered alongside the JSONata library. $states is an
// ordinary variable: pass it in vars under the key "states". Options
// inject the clock and the random source, bound evaluation depth and
// steps, and can disable $eval, which Step Functions does not offer.
//
// # Errors
//
// Every failure is an *Error with JSONata's code: S0xxx for syntax, T0xxx
// to T2xxx for type errors, D1xxx to D3xxx for dynamic errors (D315x for
// the Step Functions functions). The ASL layer maps them to
// States.QueryEvaluationError. No panic escapes the package: an internal
// fault is reported as an *Error with code U0000.
package jsonata
