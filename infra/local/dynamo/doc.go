// Package dynamo emulates the subset of Amazon DynamoDB that a token store
// uses, on the local stack's SQLite file: tables with a string or number
// partition key and optional sort key, TTL, item reads and conditional
// writes with the expression language (conditions, updates, projections),
// Query by partition key and Scan.
//
// A Store is the Go API and, through Service, the DynamoDB JSON protocol
// (X-Amz-Target "DynamoDB_20120810.*"). Anything outside the subset answers a
// ValidationException that says so.
package dynamo
