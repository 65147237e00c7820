// Package sqs emulates Amazon SQS on the local stack's SQLite file, standard
// and FIFO queues: visibility timeouts, delays, long polling, receive counts,
// redrive to a dead-letter queue at maxReceiveCount, retention, purge (once
// every 60 seconds), tags and message move tasks.
//
// FIFO queues (a ".fifo" name and FifoQueue=true, both or neither) keep the
// order of each message group, lock a group while one of its messages is in
// flight, deduplicate by MessageDeduplicationId or the SHA-256 of the body
// for 5 minutes (per queue or per group: DeduplicationScope), number
// messages (SequenceNumber), replay a receive retried with the same
// ReceiveRequestAttemptId, and dead-letter only to FIFO queues, in group
// order. All of it lives in SQLite and survives a restart.
//
// A Broker is both the Go API that the rest of the local stack calls directly
// (Send, Receive, Delete, ChangeVisibility, Stats, Peek, Redrive) and, through
// Service, the SQS JSON protocol (X-Amz-Target "AmazonSQS.*") that the AWS SDKs
// and the aws CLI speak. Operations lists the actions Service serves; the
// others of the SQS API (AddPermission, RemovePermission) answer AWS's error
// for an unknown operation. Errors carry AWS's codes and, where AWS's wording
// is known (the SQS API reference, LocalStack's AWS-validated snapshots), its
// messages.
package sqs
