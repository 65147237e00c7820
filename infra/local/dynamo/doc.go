// Package dynamo emulates Amazon DynamoDB on the local stack's SQLite file:
// tables with a string or number partition key and optional sort key,
// global and local secondary indexes, TTL, item reads and conditional
// writes with the expression language (conditions, updates, projections),
// Query and Scan (of a table or an index, Scan also in parallel segments),
// BatchWriteItem and BatchGetItem, TransactWriteItems and TransactGetItems,
// UpdateTable, and the capacity each request would consume.
//
// A Store is the Go API and, through Service, the DynamoDB JSON protocol
// (X-Amz-Target "DynamoDB_20120810.*"); Operations lists the operations it
// serves. Any other operation answers UnknownOperationException, as
// DynamoDB answers one it does not know; what a served operation does not
// support (streams, binary keys, the legacy parameters) answers a
// ValidationException that says so.
//
// Responses have the shapes of botocore's model of DynamoDB (the tests check
// them against it when botocore is installed), and errors DynamoDB's codes
// and messages: where the docs give no wording, the messages come from
// sources recorded against DynamoDB (LocalStack's snapshots, dynalite's
// tests, the nubo-db conformance suite). Query and Scan stop after Limit
// items or 1 MB read and then return a LastEvaluatedKey without looking
// ahead, so the last page may be empty, as in DynamoDB.
//
// Secondary indexes are kept in SQLite beside the items (ddb_index_items:
// the index's key columns and the item's) by every write, in the write's
// transaction: PutItem, UpdateItem, DeleteItem, BatchWriteItem,
// TransactWriteItems, the TTL deletion, and UpdateTable when it creates an
// index (filled from the items already there) or deletes one. An index is
// sparse: an item without its key attributes is not in it. A Query or Scan
// of an index returns what the index projects (ALL, KEYS_ONLY, INCLUDE), in
// the order of its sort key, and pages with a LastEvaluatedKey holding the
// table's key and the index's; a global index refuses ConsistentRead, a
// local one reading past its projection fetches the whole items, as
// DynamoDB's do. UpdateTable returns when the work is done (its answer
// says UPDATING and CREATING as DynamoDB's does; DescribeTable says
// ACTIVE). A new table is CREATING, as in DynamoDB, for
// Options.CreationDelay (a tenth of a second by default): its items answer
// ResourceNotFoundException until it is ACTIVE, so a client must wait for
// ACTIVE as on AWS.
//
// Errors carry DynamoDB's namespaces in __type:
// com.amazonaws.dynamodb.v20120810# for its own,
// com.amazon.coral.validate#ValidationException, and
// com.amazon.coral.service# for the protocol's (SerializationException,
// UnknownOperationException).
//
// A transaction runs in one SQLite transaction: every condition holds and
// every write is done, or nothing is and the answer is a
// TransactionCanceledException with a reason per action. A
// ClientRequestToken is kept for ten minutes in ddb_tx_tokens, with the
// transaction, so that a retry of it does nothing more. A batch is checked
// whole and then written in one transaction; UnprocessedItems is always
// empty (there is no throughput to exceed), and BatchGetItem returns
// UnprocessedKeys only past 16 MB of items, as DynamoDB does.
//
// Nothing is metered: ReturnConsumedCapacity reports what DynamoDB would
// charge from the sizes of the items (reads by 4 KB, halved when eventually
// consistent; writes by 1 KB of the larger of the item before and after;
// index writes by what changes in the index; transactions twice that).
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
// included; values nested at most 32 levels; attribute names of 1 to 65535
// bytes; items of 400 KB; 20 global and 5 local indexes; 25 writes or 100
// reads a batch; 100 actions and 4 MB a transaction. Stored items are read leniently, so that one an older version
// wrote past these limits never makes its table unreadable.
package dynamo
