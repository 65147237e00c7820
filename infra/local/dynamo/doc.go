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
// Responses have the shapes of botocore's model of DynamoDB (the tests check
// them against it when botocore is installed). Query and Scan stop after
// Limit items or 1 MB read and then return a LastEvaluatedKey without
// looking ahead, so the last page may be empty, as in DynamoDB.
//
// TTL works as in DynamoDB: an item whose TTL attribute is a number of epoch
// seconds in the past is still returned by every read, and counts for
// conditions, until the background deletion (Sweep, which the local stack
// runs every minute) deletes it; callers filter such items themselves. AWS
// deletes them within days; here Sweep deletes them once they are
// Options.TTLDeletionDelay (one minute by default) past their TTL, so an
// expired item stays readable for one to two minutes. Like DynamoDB's, the
// deletion ignores a TTL that is not a top-level number or is more than five
// years in the past, and keeps an item whose TTL was moved forward.
//
// Requests are held to DynamoDB's limits, with its messages: expressions of at
// most 4 KB, 300 operators and 100 IN operands; numbers of at most 38
// significant digits between 1E-130 and 9.99…E+125, results of arithmetic
// included; values nested at most 32 levels. Stored items are read leniently,
// so that one an older version wrote past these limits never makes its table
// unreadable.
package dynamo
