package awsjson

import "loanflow/infra/local/internal/ids"

// requestID is a response's x-amzn-RequestId: a version 4 UUID, as AWS's.
func requestID() string { return ids.UUID() }
