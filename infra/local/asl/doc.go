// Package asl is the Amazon States Language interpreter (JSONPath query
// language) with the semantics of AWS Step Functions Standard workflows: it
// parses and validates definitions (Parse, ValidateDefinition), evaluates
// the data-flow fields, and steps an execution state by state
// (Execution.Step): every state type, the context object, variables,
// Retry/Catch, Wait times, Map and Parallel, timeouts and Step Functions'
// limits.
//
// It keeps no storage, reads no clock and starts no goroutine: what an
// execution needs from outside (the time, task invocations through an
// Invoker, history events and task tokens to persist, checkpoints of Map
// iterations and Parallel branches, running them concurrently, waiting for
// a task token's answer) comes through the Host interface, which the
// durable runtime, package sfn, implements over SQLite.
//
// Paths, payload templates, intrinsic functions and Choice rules live in the
// sibling package expr.
package asl
