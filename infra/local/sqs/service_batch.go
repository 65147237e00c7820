package sqs

import (
	"errors"
	"regexp"
	"sync"
)

// Batch request errors; only the protocol has batches with entry ids.
var (
	errTooManyEntriesInBatchRequest = errors.New("TooManyEntriesInBatchRequest")
	errEmptyBatchRequest            = errors.New("EmptyBatchRequest")
	errBatchEntryIdsNotDistinct     = errors.New("BatchEntryIdsNotDistinct")
	errInvalidBatchEntryID          = errors.New("InvalidBatchEntryId")
	errBatchRequestTooLong          = errors.New("BatchRequestTooLong")
)

var batchIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })

// checkBatch applies SQS's rules on batch entry ids.
func checkBatch(ids []string) error {
	if len(ids) == 0 {
		return fail(errEmptyBatchRequest, "There should be at least one entry in the request.")
	}
	if len(ids) > 10 {
		return fail(errTooManyEntriesInBatchRequest, "Maximum number of entries per request are 10. You have sent %d.", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDRE().MatchString(id) {
			return fail(errInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return fail(errBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}
