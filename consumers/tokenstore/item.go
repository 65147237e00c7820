package tokenstore

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// RecordFromItem decodes a token table item, as read by a Scan (the local
// console lists pending callbacks that way).
func RecordFromItem(item map[string]types.AttributeValue) (Record, error) { return unmarshal(item) }
