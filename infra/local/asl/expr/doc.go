// Package expr is the pure expression layer of the local ASL interpreter for
// the JSONPath query language: reference paths and JSONPath queries
// ([CompilePath]), ResultPath merging ([SetResultPath]), payload templates
// ([CompileTemplate]), intrinsic functions ([CompileIntrinsic]) and Choice
// rules ([CompileRule]).
//
// # Values
//
// Every value that goes in or comes out is a plain Go JSON value, as produced
// by encoding/json decoding with UseNumber (see [Decode]): nil, bool, string,
// json.Number, []any and map[string]any. Numbers stay json.Number so that
// integers of any size and decimals round-trip exactly as AWS reports them;
// functions that compute numbers return json.Number too. Other Go numeric
// types (int, int64, float64) are accepted on input. Use [Equal] to compare
// values (numbers compare by value, so 1 equals 1.0).
//
// Values passed in are never modified: functions that build new values copy
// what they change.
//
// # Errors
//
// Compile functions return ordinary errors that name the problem; they are
// meant for definition validation. Evaluation functions return an [*Error]
// carrying the ASL error name (States.Runtime, States.IntrinsicFailure, ...)
// and AWS's cause text for the part of the message that belongs to the
// expression. The interpreter prefixes the cause with the state context,
// as AWS does: "An error occurred while executing the state 'X' (entered at
// the event id #N). " + cause.
//
// Nothing in this package panics on any input.
package expr
