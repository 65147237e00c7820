package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// DynamoDB's batch limits (API reference, BatchWriteItem and BatchGetItem).
const (
	maxBatchWrites = 25
	maxBatchGets   = 100
	// maxBatchGetBytes is how much BatchGetItem returns at most (16 MB); the
	// keys past it come back in UnprocessedKeys.
	maxBatchGetBytes = 16 << 20
)

// BatchWriteItemInput is the BatchWriteItem request: up to 25 puts and
// deletes over one or more tables.
type BatchWriteItemInput struct {
	RequestItems                map[string][]WriteRequest `json:"RequestItems"`
	ReturnConsumedCapacity      string                    `json:"ReturnConsumedCapacity,omitempty"`
	ReturnItemCollectionMetrics string                    `json:"ReturnItemCollectionMetrics,omitempty"`
}

// WriteRequest is one put or delete of a batch.
type WriteRequest struct {
	PutRequest    *PutRequest    `json:"PutRequest,omitempty"`
	DeleteRequest *DeleteRequest `json:"DeleteRequest,omitempty"`
}

// PutRequest puts an item.
type PutRequest struct {
	Item Item `json:"Item"`
}

// DeleteRequest deletes the item of a key.
type DeleteRequest struct {
	Key Item `json:"Key"`
}

// BatchWriteItemOutput is the BatchWriteItem response. UnprocessedItems is
// always empty here: the local stack has no throughput limits to exceed.
type BatchWriteItemOutput struct {
	UnprocessedItems map[string][]WriteRequest `json:"UnprocessedItems"`
	ConsumedCapacity []ConsumedCapacity        `json:"ConsumedCapacity,omitempty"`
}

// BatchWriteItem puts and deletes items of one or more tables, without
// conditions. The whole batch is written in one transaction, after the
// checks DynamoDB makes of the whole request; DynamoDB writes each item on
// its own and may leave some unprocessed, which never happens here.
func (s *Store) BatchWriteItem(ctx context.Context, in *BatchWriteItemInput) (*BatchWriteItemOutput, error) {
	if len(in.RequestItems) == 0 {
		return nil, validation("The requestItems parameter is required for BatchWriteItem")
	}
	names := sortedKeys(in.RequestItems)
	total := 0
	for _, name := range names {
		reqs := in.RequestItems[name]
		if len(reqs) == 0 || len(reqs) > maxBatchWrites {
			return nil, validation("1 validation error detected: Value '{%s=[%s]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]",
				name, dumpWriteRequests(reqs), maxBatchWrites)
		}
		total += len(reqs)
	}
	if total > maxBatchWrites {
		return nil, validation("Too many items requested for the BatchWriteItem call")
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		for _, r := range in.RequestItems[name] {
			if (r.PutRequest == nil) == (r.DeleteRequest == nil) {
				return nil, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			if r.PutRequest != nil {
				if err := r.PutRequest.Item.checkNames("item", true); err != nil {
					return nil, err
				}
				if err := r.PutRequest.Item.validate(); err != nil {
					return nil, err
				}
				if itemSize(r.PutRequest.Item) > maxItemSize {
					return nil, validation("Item size has exceeded the maximum allowed size")
				}
			}
		}
	}
	var writes []*itemWrite
	seen := map[[3]string]bool{}
	for _, name := range names {
		t, err := s.itemTable(name)
		if err != nil {
			return nil, err
		}
		for _, r := range in.RequestItems[name] {
			w := &itemWrite{table: t.Name}
			if r.PutRequest != nil {
				// An item without its key is refused in the words of a
				// Key, not PutItem's "Missing the key": LocalStack's
				// test_batch_write_not_matching_schema, recorded on AWS.
				if !t.hasKeyAttrs(r.PutRequest.Item) {
					return nil, validation("%s", msgKeySchema)
				}
				if w.pk, w.sk, err = t.keyCols(r.PutRequest.Item, false); err != nil {
					return nil, err
				}
				if err := t.checkIndexKeys(r.PutRequest.Item, nil, false); err != nil {
					return nil, err
				}
				w.put = r.PutRequest.Item
			} else if w.pk, w.sk, err = t.keyCols(r.DeleteRequest.Key, true); err != nil {
				return nil, err
			}
			k := [3]string{t.Name, w.pk, w.sk}
			if seen[k] {
				return nil, validation("Provided list of item keys contains duplicates")
			}
			seen[k] = true
			writes = append(writes, w)
		}
	}
	used := tableUnits{}
	err = s.write(ctx, "batch write", func(tx *sql.Tx) error {
		clear(used)
		for _, w := range writes {
			res, err := s.apply(ctx, tx, w)
			if err != nil {
				return err
			}
			used.add(w.table, res.cost)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &BatchWriteItemOutput{UnprocessedItems: map[string][]WriteRequest{}, ConsumedCapacity: used.report(mode, axisNone)}, nil
}

// dumpWriteRequests renders write requests the way DynamoDB's messages
// quote them (attribute names only, not values).
func dumpWriteRequests(reqs []WriteRequest) string {
	attrs := func(it Item) string { return strings.Join(sortedKeys(it), ", ") }
	var out []string
	for _, r := range reqs {
		put, del := "null", "null"
		if r.PutRequest != nil {
			put = "PutRequest(item={" + attrs(r.PutRequest.Item) + "})"
		}
		if r.DeleteRequest != nil {
			del = "DeleteRequest(key={" + attrs(r.DeleteRequest.Key) + "})"
		}
		out = append(out, "WriteRequest(putRequest="+put+", deleteRequest="+del+")")
	}
	return strings.Join(out, ", ")
}

// BatchGetItemInput is the BatchGetItem request: up to 100 keys over one or
// more tables.
type BatchGetItemInput struct {
	RequestItems           map[string]KeysAndAttributes `json:"RequestItems"`
	ReturnConsumedCapacity string                       `json:"ReturnConsumedCapacity,omitempty"`
}

// KeysAndAttributes are the keys BatchGetItem reads from one table, and
// what of their items it returns.
type KeysAndAttributes struct {
	Keys                     []Item            `json:"Keys"`
	ProjectionExpression     string            `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ConsistentRead           *bool             `json:"ConsistentRead,omitempty"`
	AttributesToGet          json.RawMessage   `json:"AttributesToGet,omitempty"`
}

// BatchGetItemOutput is the BatchGetItem response. UnprocessedKeys holds
// the keys left out when the items found reach 16 MB, as DynamoDB does;
// otherwise it is empty.
type BatchGetItemOutput struct {
	Responses        map[string][]Item            `json:"Responses"`
	UnprocessedKeys  map[string]KeysAndAttributes `json:"UnprocessedKeys"`
	ConsumedCapacity []ConsumedCapacity           `json:"ConsumedCapacity,omitempty"`
}

// BatchGetItem reads items of one or more tables by key. Missing items are
// left out of Responses.
func (s *Store) BatchGetItem(ctx context.Context, in *BatchGetItemInput) (*BatchGetItemOutput, error) {
	if len(in.RequestItems) == 0 {
		return nil, validation("The requestItems parameter is required for BatchGetItem")
	}
	names := sortedKeys(in.RequestItems)
	total := 0
	for _, name := range names {
		ka := in.RequestItems[name]
		switch {
		case len(ka.Keys) == 0:
			return nil, validation("1 validation error detected: Value at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		case len(ka.Keys) > maxBatchGets:
			return nil, validation("1 validation error detected: Value at 'RequestItems.%s.member.Keys' failed to satisfy constraint: Member must have length less than or equal to %d", name, maxBatchGets)
		}
		total += len(ka.Keys)
	}
	if total > maxBatchGets {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	type tableGet struct {
		t          *table
		proj       []docPath
		keys       [][2]string
		consistent bool
	}
	gets := map[string]*tableGet{}
	for _, name := range names {
		ka := in.RequestItems[name]
		if len(ka.AttributesToGet) > 0 && string(ka.AttributesToGet) != "null" {
			return nil, unsupported("The legacy parameter AttributesToGet (use expressions)")
		}
		g := &tableGet{consistent: ka.ConsistentRead != nil && *ka.ConsistentRead}
		if ka.ProjectionExpression == "" && ka.ExpressionAttributeNames != nil {
			return nil, validation("ExpressionAttributeNames can only be specified when using expressions")
		}
		if err := checkNames(ka.ExpressionAttributeNames); err != nil {
			return nil, err
		}
		ec := newExprContext(ka.ExpressionAttributeNames, nil)
		if ka.ProjectionExpression != "" {
			if g.proj, err = ec.parseProjection(ka.ProjectionExpression); err != nil {
				return nil, err
			}
		}
		if err := ec.checkUnused(); err != nil {
			return nil, err
		}
		gets[name] = g
	}
	for _, name := range names {
		g := gets[name]
		if g.t, err = s.itemTable(name); err != nil {
			return nil, err
		}
		seen := map[[2]string]bool{}
		for _, k := range in.RequestItems[name].Keys {
			if err := k.validate(); err != nil {
				return nil, err
			}
			pk, sk, err := g.t.keyCols(k, true)
			if err != nil {
				return nil, err
			}
			if seen[[2]string{pk, sk}] {
				return nil, validation("Provided list of item keys contains duplicates")
			}
			seen[[2]string{pk, sk}] = true
			g.keys = append(g.keys, [2]string{pk, sk})
		}
	}
	out := &BatchGetItemOutput{Responses: map[string][]Item{}, UnprocessedKeys: map[string]KeysAndAttributes{}}
	used := tableUnits{}
	read := 0
	tx, err := s.readTx(ctx) // one snapshot for the whole batch
	if err != nil {
		return nil, fmt.Errorf("dynamo batch get: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	full := false // the response holds 16 MB: the keys left are unprocessed
	for _, name := range names {
		g, ka := gets[name], in.RequestItems[name]
		out.Responses[name] = []Item{}
		for i, k := range g.keys {
			var it Item
			if !full {
				if it, _, err = s.load(ctx, tx, g.t, k[0], k[1]); err != nil {
					return nil, err
				}
				full = read+itemSize(it) > maxBatchGetBytes
			}
			if full {
				left := ka
				left.Keys, left.AttributesToGet = ka.Keys[i:], nil
				out.UnprocessedKeys[name] = left
				break
			}
			size := itemSize(it)
			read += size
			used.add(name, units{table: readUnits(size, g.consistent)})
			if it != nil {
				out.Responses[name] = append(out.Responses[name], project(it, g.proj))
			}
		}
	}
	out.ConsumedCapacity = used.report(mode, axisNone)
	return out, nil
}
