// Package asl is a durable interpreter for the Amazon States Language
// (JSONPath query language) that behaves like AWS Step Functions Standard
// workflows: every state type, the data-flow fields, the context object,
// variables, Retry/Catch, timeouts, task tokens and execution history.
//
// Executions are checkpointed in SQLite (tables prefixed sfn_). A waiting
// execution (task token, Wait state, retry backoff) costs a row, not a
// goroutine; a crash loses no execution and re-runs no state whose completion
// was checkpointed. Task integrations are plugged in through [Invoker]; the
// package knows no concrete service.
//
// Paths, payload templates, intrinsic functions and Choice rules live in the
// sibling package expr.
package asl
