// Package sns emulates the part of Amazon SNS that an EventBridge rule →
// SNS topic → subscribers notification path needs: standard topics, their
// attributes and tags; sqs, lambda and http(s) subscriptions with
// RawMessageDelivery, FilterPolicy (both scopes), DeliveryPolicy and
// RedrivePolicy; HTTP subscription confirmation; Publish and PublishBatch.
//
// A Service is both the Go API the rest of the local stack calls
// (Publish, CreateTopic, Subscribe, Topics) and, through ServeHTTP, the SNS
// query protocol (form-encoded Action=...&Version=2010-03-31, XML answers)
// that the AWS SDKs and the aws CLI speak. Notifications carry AWS's JSON
// envelope, signed (SignatureVersion 1 or 2) with a key of the local stack
// whose certificate the service serves at SigningCertURL.
//
// Topics, subscriptions and deliveries live in the local stack's SQLite
// file (tables sns_*). A publish stores the message and one pending
// delivery per matching subscription in one write before it answers, so a
// crash loses no delivery (delivery is at least once, as on AWS); queue
// deliveries are then made before Publish returns, the others by a worker
// pool, and failures are retried under the subscription's delivery policy.
// FIFO topics, email, sms, mobile push and firehose subscriptions are not
// supported and are refused with a clear InvalidParameter.
package sns
