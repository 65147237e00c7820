package sqs

import (
	"encoding/json"
	"maps"
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
	AttrQueueArn                     = "QueueArn"
	AttrVisibilityTimeout            = "VisibilityTimeout"
	AttrDelaySeconds                 = "DelaySeconds"
	AttrMaximumMessageSize           = "MaximumMessageSize"
	AttrMessageRetentionPeriod       = "MessageRetentionPeriod"
	AttrReceiveMessageWaitTimeSecond = "ReceiveMessageWaitTimeSeconds"
	AttrRedrivePolicy                = "RedrivePolicy"
	AttrRedriveAllowPolicy           = "RedriveAllowPolicy"
	AttrPolicy                       = "Policy"
	AttrSqsManagedSseEnabled         = "SqsManagedSseEnabled"
	AttrKmsMasterKeyID               = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds = "KmsDataKeyReusePeriodSeconds"
	AttrFifoQueue                    = "FifoQueue"
)

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

// freeAttrs are stored as given.
var freeAttrs = map[string]bool{
	AttrPolicy: true, AttrRedriveAllowPolicy: true, AttrKmsMasterKeyID: true, AttrSqsManagedSseEnabled: true,
}

// readOnlyAttrs are computed, never set.
var readOnlyAttrs = map[string]bool{
	AttrApproximateNumberOfMessages: true, AttrApproximateNotVisible: true, AttrApproximateDelayed: true,
	AttrCreatedTimestamp: true, AttrLastModifiedTimestamp: true, AttrQueueArn: true,
}

func defaultAttrs() map[string]string {
	return map[string]string{
		AttrVisibilityTimeout:            "30",
		AttrDelaySeconds:                 "0",
		AttrMaximumMessageSize:           "1048576", // AWS's default since August 2025 (botocore: "Default: 1,048,576 bytes")
		AttrMessageRetentionPeriod:       "345600",
		AttrReceiveMessageWaitTimeSecond: "0",
		AttrSqsManagedSseEnabled:         "false",
	}
}

// redrivePolicy is a parsed RedrivePolicy attribute.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
	dlq                 string
}

// mergeAttrs validates changes and returns base with them applied.
func (b *Broker) mergeAttrs(base, changes map[string]string) (map[string]string, error) {
	out := maps.Clone(base)
	for name, v := range changes {
		switch {
		case intAttrs[name] != intRange{}:
			r := intAttrs[name]
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < r.min || n > r.max {
				return nil, fail(ErrInvalidAttributeValue, "Invalid value for the parameter %s. Reason: must be an integer from %d to %d.", name, r.min, r.max)
			}
			out[name] = strconv.Itoa(n)
		case freeAttrs[name]:
			if v == "" {
				delete(out, name)
			} else {
				out[name] = v
			}
		case name == AttrRedrivePolicy:
			if v == "" {
				delete(out, name)
				continue
			}
			p, err := b.parseRedrivePolicy(v)
			if err != nil {
				return nil, err
			}
			norm, _ := json.Marshal(p)
			out[name] = string(norm)
		case name == AttrFifoQueue:
			if v != "false" {
				return nil, fail(ErrUnsupportedOperation, "FIFO queues are not supported by the loanflow local stack.")
			}
		case readOnlyAttrs[name]:
			return nil, fail(ErrInvalidAttributeName, "Unknown Attribute %s.", name)
		default:
			return nil, fail(ErrInvalidAttributeName, "Unknown Attribute %s.", name)
		}
	}
	return out, nil
}

func (b *Broker) parseRedrivePolicy(v string) (*redrivePolicy, error) {
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := func(reason string) error {
		return fail(ErrInvalidAttributeValue, "Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, bad("Redrive policy is not a valid JSON map.")
	}
	if raw.DeadLetterTargetArn == "" || len(raw.MaxReceiveCount) == 0 {
		return nil, bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn and maxReceiveCount.")
	}
	n, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil || n < 1 || n > 1000 {
		return nil, bad("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
	}
	name, ok := b.nameFromARN(raw.DeadLetterTargetArn)
	if !ok {
		return nil, bad("Invalid value for deadLetterTargetArn.")
	}
	if _, ok := b.lookup(name); !ok {
		return nil, bad("Dead letter target does not exist.")
	}
	return &redrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn, MaxReceiveCount: n, dlq: name}, nil
}
