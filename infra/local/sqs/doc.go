// Package sqs emulates Amazon SQS standard queues on the local stack's SQLite
// file: visibility timeouts, delays, long polling, receive counts, redrive to a
// dead-letter queue at maxReceiveCount, retention and purge.
//
// A Broker is both the Go API that the rest of the local stack calls directly
// (Send, Receive, Delete, ChangeVisibility, Stats, Peek, Redrive) and, through
// Service, the SQS JSON protocol (X-Amz-Target "AmazonSQS.*") that the AWS SDKs
// and the aws CLI speak. FIFO queues are not supported.
package sqs
