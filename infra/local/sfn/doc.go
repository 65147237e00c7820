// Package sfn is the Step Functions service: the durable runtime that runs
// the ASL interpreter (package asl) the way AWS Step Functions runs
// Standard workflows, on one SQLite file.
//
// The Engine owns what the interpreter leaves out: state machines and
// executions, checkpoints (tables prefixed sfn_, all SQL in one store
// type), the execution history and its paging, task tokens and the callers
// waiting on them, timers and the scheduler that wakes waiting executions,
// the clock, and the Step Functions API (package sfnapi serves it over
// HTTP). A waiting execution (task token, Wait state, retry backoff) costs a
// row, not a goroutine; a crash loses no acknowledged write and re-runs no
// state whose completion was checkpointed. Task integrations are plugged in
// through asl.Invoker.
package sfn
