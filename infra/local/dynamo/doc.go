// Package dynamo emulates the subset of Amazon DynamoDB that a token store
// uses, on the local stack's SQLite file: tables with a string or number
// partition key and optional sort key, TTL, item reads and conditional
// writes with the expression language (conditions, updates, projections),
// Query by partition key and Scan.
//
// A Store is the Go API and, through Service, the DynamoDB JSON protocol
// (X-Amz-Target "DynamoDB_20120810.*"). Anything outside the subset answers a
// ValidationException that says so.
//
// Requests are held to DynamoDB's limits, with its messages: expressions of at
// most 4 KB, 300 operators and 100 IN operands; numbers of at most 38
// significant digits between 1E-130 and 9.99…E+125, results of arithmetic
// included; values nested at most 32 levels. Stored items are read leniently,
// so that one an older version wrote past these limits never makes its table
// unreadable.
package dynamo
