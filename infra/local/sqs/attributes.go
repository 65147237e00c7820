package sqs

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Queue attribute names.
const (
	AttrAll                          = "All"
	AttrApproximateNumberOfMessages  = "ApproximateNumberOfMessages"
	AttrApproximateNotVisible        = "ApproximateNumberOfMessagesNotVisible"
	AttrApproximateDelayed           = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp             = "CreatedTimestamp"
	AttrLastModifiedTimestamp        = "LastModifiedTimestamp"
	AttrQueueARN                     = "QueueArn"
	AttrVisibilityTimeout            = "VisibilityTimeout"
	AttrDelaySeconds                 = "DelaySeconds"
	AttrMaximumMessageSize           = "MaximumMessageSize"
	AttrMessageRetentionPeriod       = "MessageRetentionPeriod"
	AttrReceiveMessageWaitTimeSecond = "ReceiveMessageWaitTimeSeconds"
	AttrRedrivePolicy                = "RedrivePolicy"
	AttrRedriveAllowPolicy           = "RedriveAllowPolicy"
	AttrPolicy                       = "Policy"
	AttrSQSManagedSSEEnabled         = "SqsManagedSseEnabled"
	AttrKmsMasterKeyID               = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds = "KmsDataKeyReusePeriodSeconds"
	AttrFifoQueue                    = "FifoQueue"
	AttrContentBasedDeduplication    = "ContentBasedDeduplication"
	AttrDeduplicationScope           = "DeduplicationScope"
	AttrFifoThroughputLimit          = "FifoThroughputLimit"
)

// Values of DeduplicationScope and FifoThroughputLimit.
const (
	DedupScopeQueue        = "queue"
	DedupScopeMessageGroup = "messageGroup"
	ThroughputPerQueue     = "perQueue"
	ThroughputPerGroup     = "perMessageGroupId"
)

// defaultKmsDataKeyReusePeriod is KmsDataKeyReusePeriodSeconds of a queue
// encrypted with a KMS key that does not set it.
const defaultKmsDataKeyReusePeriod = "300"

// intRange is the allowed range of an integer attribute.
type intRange struct{ min, max int }

var intAttrs = map[string]intRange{
	AttrVisibilityTimeout:            {0, 43200},
	AttrDelaySeconds:                 {0, 900},
	AttrMaximumMessageSize:           {1024, 1048576},
	AttrMessageRetentionPeriod:       {60, 1209600},
	AttrReceiveMessageWaitTimeSecond: {0, 20},
	AttrKmsDataKeyReusePeriodSeconds: {60, 86400},
}

// freeAttrs are stored as given; an empty value removes them.
var freeAttrs = map[string]bool{
	AttrPolicy: true, AttrRedriveAllowPolicy: true, AttrKmsMasterKeyID: true,
}

// boolAttrs take true or false, in any case, and are stored in lower case.
var boolAttrs = map[string]bool{
	AttrSQSManagedSSEEnabled: true, AttrContentBasedDeduplication: true, AttrFifoQueue: true,
}

// fifoOnlyAttrs may be set on a FIFO queue only; AWS answers the first two
// "Unknown Attribute" on a standard queue, the others with a sentence of
// their own.
var fifoOnlyAttrs = map[string]bool{
	AttrFifoQueue: true, AttrContentBasedDeduplication: true, AttrDeduplicationScope: true, AttrFifoThroughputLimit: true,
}

// enumAttrs take one of a few values.
var enumAttrs = map[string][]string{
	AttrDeduplicationScope:  {DedupScopeQueue, DedupScopeMessageGroup},
	AttrFifoThroughputLimit: {ThroughputPerQueue, ThroughputPerGroup},
}

// readOnlyAttrs are computed, never set.
var readOnlyAttrs = map[string]bool{
	AttrApproximateNumberOfMessages: true, AttrApproximateNotVisible: true, AttrApproximateDelayed: true,
	AttrCreatedTimestamp: true, AttrLastModifiedTimestamp: true, AttrQueueARN: true,
}

// knownAttr reports whether name is a queue attribute of the SQS API
// (botocore's QueueAttributeName, "All" aside).
func knownAttr(name string) bool {
	_, isInt := intAttrs[name]
	_, isEnum := enumAttrs[name]
	return isInt || isEnum || freeAttrs[name] || boolAttrs[name] || readOnlyAttrs[name] || name == AttrRedrivePolicy
}

// defaultAttrs are a new standard queue's: SSE-SQS is on by default, as for
// every queue AWS has created since October 2022.
func defaultAttrs() map[string]string {
	return map[string]string{
		AttrVisibilityTimeout:            "30",
		AttrDelaySeconds:                 "0",
		AttrMaximumMessageSize:           "1048576", // AWS's default since August 2025 (botocore: "Default: 1,048,576 bytes")
		AttrMessageRetentionPeriod:       "345600",
		AttrReceiveMessageWaitTimeSecond: "0",
		AttrSQSManagedSSEEnabled:         "true",
	}
}

// defaultFIFOAttrs are a new FIFO queue's.
func defaultFIFOAttrs() map[string]string {
	a := defaultAttrs()
	a[AttrFifoQueue] = "true"
	a[AttrContentBasedDeduplication] = "false"
	a[AttrDeduplicationScope] = DedupScopeQueue
	a[AttrFifoThroughputLimit] = ThroughputPerQueue
	return a
}

// redrivePolicy is a parsed RedrivePolicy attribute.
type redrivePolicy struct {
	DeadLetterTargetARN string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
	dlq                 string
}

// errSSEConflict is AWS's answer to a request that turns on both kinds of
// server-side encryption.
func errSSEConflict() error {
	return fail(ErrInvalidAttributeName, "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
}

// mergeAttrs validates changes to the attributes of a queue (FIFO or not)
// and returns base with them applied. Names are checked in sorted order, so
// the error for a request with several bad attributes is always the same.
func (b *Broker) mergeAttrs(base, changes map[string]string, fifo bool) (map[string]string, error) {
	out := maps.Clone(base)
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		v := changes[name]
		if fifoOnlyAttrs[name] && !fifo {
			if name == AttrFifoQueue || name == AttrContentBasedDeduplication {
				return nil, fail(ErrInvalidAttributeName, "Unknown Attribute %s.", name)
			}
			return nil, fail(ErrInvalidAttributeName, "You can specify the %s only when FifoQueue is set to true.", name)
		}
		switch {
		case intAttrs[name] != intRange{}:
			r := intAttrs[name]
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < r.min || n > r.max {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be an integer from %d to %d.", name, r.min, r.max)
			}
			out[name] = strconv.Itoa(n)
			if name == AttrKmsDataKeyReusePeriodSeconds && out[name] == defaultKmsDataKeyReusePeriod {
				delete(out, name) // the default is not stored, as on AWS
			}
		case boolAttrs[name]:
			lv := strings.ToLower(strings.TrimSpace(v))
			if lv != "true" && lv != "false" {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be true or false.", name)
			}
			if name == AttrFifoQueue && lv != "true" {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
			out[name] = lv
		case enumAttrs[name] != nil:
			if !slices.Contains(enumAttrs[name], v) {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be one of %s.", name, strings.Join(enumAttrs[name], ", "))
			}
			out[name] = v
		case freeAttrs[name]:
			if v == "" {
				delete(out, name)
				continue
			}
			if name == AttrPolicy && !isPolicyDocument(v) {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter Policy.")
			}
			out[name] = v
		case name == AttrRedrivePolicy:
			if v == "" {
				delete(out, name)
				continue
			}
			p, err := b.parseRedrivePolicy(v, fifo)
			if err != nil {
				return nil, err
			}
			norm, _ := json.Marshal(p)
			out[name] = string(norm)
		default: // read-only or unknown
			return nil, fail(ErrInvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	if fifo && out[AttrFifoThroughputLimit] == ThroughputPerGroup && out[AttrDeduplicationScope] != DedupScopeMessageGroup {
		return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter FifoThroughputLimit. Reason: %s is allowed only when DeduplicationScope is %s.", ThroughputPerGroup, DedupScopeMessageGroup)
	}
	// One kind of server-side encryption at a time: a KMS key turns SSE-SQS
	// off, and a request may not turn both on.
	if out[AttrKmsMasterKeyID] != "" {
		if strings.EqualFold(strings.TrimSpace(changes[AttrSQSManagedSSEEnabled]), "true") {
			return nil, errSSEConflict()
		}
		out[AttrSQSManagedSSEEnabled] = "false"
	}
	return out, nil
}

// parseRedrivePolicy checks a RedrivePolicy; the dead-letter queue must
// exist and be of the source queue's type (fifo).
func (b *Broker) parseRedrivePolicy(v string, fifo bool) (*redrivePolicy, error) {
	var raw struct {
		DeadLetterTargetARN string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := func(reason string) error {
		return fail(ErrInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, bad("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetARN == "" || len(raw.MaxReceiveCount) == 0 {
		return nil, bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn and maxReceiveCount.")
	}
	n, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil || n < 1 || n > 1000 {
		return nil, bad("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
	}
	name, ok := b.nameFromARN(raw.DeadLetterTargetARN)
	if !ok {
		return nil, bad("Invalid value for deadLetterTargetArn.")
	}
	dlq, ok := b.lookup(name)
	if !ok {
		return nil, bad("Dead letter target does not exist.")
	}
	if dlq.fifo != fifo {
		// AWS's words, with their two full stops.
		return nil, fail(ErrInvalidParameterValue, "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..", v)
	}
	return &redrivePolicy{DeadLetterTargetARN: raw.DeadLetterTargetARN, MaxReceiveCount: n, dlq: name}, nil
}

// isPolicyDocument tells whether v has the shape of an IAM policy: a JSON
// object whose Statement is an object or an array of objects. SQS refuses
// anything else ("Invalid value for the parameter Policy."); what the
// statements allow is not enforced here, as the local stack authorizes
// nothing.
func isPolicyDocument(v string) bool {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &doc); err != nil || doc == nil {
		return false
	}
	st, ok := doc["Statement"]
	if !ok {
		return false
	}
	var one map[string]json.RawMessage
	if json.Unmarshal(st, &one) == nil && one != nil {
		return true
	}
	var many []map[string]json.RawMessage
	if json.Unmarshal(st, &many) != nil || many == nil { // nil: "Statement": null
		return false
	}
	for _, m := range many {
		if m == nil {
			return false
		}
	}
	return true
}
