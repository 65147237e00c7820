package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// maxItemSize is DynamoDB's item size limit (400 KB).
const maxItemSize = 400 * 1024

// legacy parameters are refused with a clear message.
type legacy struct {
	Expected            json.RawMessage `json:"Expected"`
	ConditionalOperator json.RawMessage `json:"ConditionalOperator"`
	AttributesToGet     json.RawMessage `json:"AttributesToGet"`
	AttributeUpdates    json.RawMessage `json:"AttributeUpdates"`
	KeyConditions       json.RawMessage `json:"KeyConditions"`
	QueryFilter         json.RawMessage `json:"QueryFilter"`
	ScanFilter          json.RawMessage `json:"ScanFilter"`
	IndexName           string          `json:"IndexName"`
}

func (l legacy) check() error {
	for name, v := range map[string]json.RawMessage{"Expected": l.Expected, "ConditionalOperator": l.ConditionalOperator,
		"AttributesToGet": l.AttributesToGet, "AttributeUpdates": l.AttributeUpdates, "KeyConditions": l.KeyConditions,
		"QueryFilter": l.QueryFilter, "ScanFilter": l.ScanFilter} {
		if len(v) > 0 && string(v) != "null" {
			return unsupported("The legacy parameter " + name + " (use expressions)")
		}
	}
	if l.IndexName != "" {
		return unsupported("IndexName (secondary indexes)")
	}
	return nil
}

// Expressions are the expression attribute names and values of a request.
type Expressions struct {
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues map[string]Value  `json:"ExpressionAttributeValues,omitempty"`
}

// context checks the values (numbers within DynamoDB's limits, nesting at
// most 32 levels) and returns the names and values for the parsers.
func (e Expressions) context() (*exprContext, error) {
	for _, v := range e.ExpressionAttributeValues {
		if err := v.validate(1); err != nil {
			return nil, err
		}
	}
	return newExprContext(e.ExpressionAttributeNames, e.ExpressionAttributeValues), nil
}

// PutItemInput is the PutItem request.
type PutItemInput struct {
	TableName                           string `json:"TableName"`
	Item                                Item   `json:"Item"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValues                        string `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
	legacy
}

// ItemOutput is the response of the write operations: Attributes as asked by
// ReturnValues.
type ItemOutput struct {
	Attributes Item `json:"Attributes,omitempty"`
}

// PutItem creates or replaces an item, subject to ConditionExpression.
func (s *Store) PutItem(ctx context.Context, in *PutItemInput) (*ItemOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	if err := in.Item.validate(); err != nil {
		return nil, err
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	if in.Item == nil {
		return nil, validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	pk, sk, err := t.keyCols(in.Item, false)
	if err != nil {
		return nil, err
	}
	w, err := s.prepareWrite(in.Expressions, in.ConditionExpression, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	old, _, err := s.conditionalWrite(ctx, t, pk, sk, w, func(Item) (Item, error) { return in.Item, nil })
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return &ItemOutput{Attributes: old}, nil
	}
	return &ItemOutput{}, nil
}

// writeCheck is the parsed condition of a write.
type writeCheck struct {
	cond    cond
	retFail bool
	// needWhole refuses the write when the old item reads as its key only
	// (UpdateItem would drop what could not be decoded).
	needWhole bool
}

func (s *Store) prepareWrite(e Expressions, condition, retFail string) (*writeCheck, error) {
	if retFail != "" && retFail != "NONE" && retFail != "ALL_OLD" {
		return nil, validation("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", retFail)
	}
	w := &writeCheck{retFail: retFail == "ALL_OLD"}
	ec, err := e.context()
	if err != nil {
		return nil, err
	}
	if condition != "" {
		c, err := ec.parseCondition("ConditionExpression", condition)
		if err != nil {
			return nil, err
		}
		w.cond = c
	}
	return w, ec.checkUnused()
}

// conditionalWrite checks w against the current item and replaces it with
// mutate's result (nil deletes it), atomically. It returns the old and new items.
func (s *Store) conditionalWrite(ctx context.Context, t *table, pk, sk string, w *writeCheck, mutate func(old Item) (Item, error)) (Item, Item, error) {
	var old, nw Item
	err := s.write(ctx, "write "+t.Name, func(tx *sql.Tx) error {
		var (
			whole bool
			err   error
		)
		if old, whole, err = s.load(ctx, tx, t, pk, sk); err != nil {
			return err
		}
		if !whole && w.needWhole {
			return errUndecodable(t)
		}
		if w.cond != nil {
			ok, err := evalCond(w.cond, old)
			if err != nil {
				return err
			}
			if !ok {
				e := &Error{Kind: ErrConditionalCheckFailed, Message: "The conditional request failed"}
				if w.retFail {
					e.Item = old
				}
				return e
			}
		}
		if nw, err = mutate(old); err != nil {
			return err
		}
		if nw == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?`, t.Name, pk, sk); err != nil {
				return fmt.Errorf("dynamo delete from %s: %w", t.Name, err)
			}
			return nil
		}
		raw, err := json.Marshal(nw)
		if err != nil {
			return fmt.Errorf("dynamo write %s: encode item: %w", t.Name, err)
		}
		if len(raw) > maxItemSize {
			return validation("Item size has exceeded the maximum allowed size")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_items (tbl, pk, sk, item, expires_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tbl, pk, sk) DO UPDATE SET item = excluded.item, expires_at = excluded.expires_at`,
			t.Name, pk, sk, string(raw), t.expiry(nw)); err != nil {
			return fmt.Errorf("dynamo write %s: %w", t.Name, err)
		}
		return nil
	})
	return old, nw, err
}

// GetItemInput is the GetItem request.
type GetItemInput struct {
	TableName            string `json:"TableName"`
	Key                  Item   `json:"Key"`
	ConsistentRead       *bool  `json:"ConsistentRead,omitempty"`
	ProjectionExpression string `json:"ProjectionExpression,omitempty"`
	Expressions
	legacy
}

// GetItemOutput is the GetItem response; Item is nil when there is none.
type GetItemOutput struct {
	Item Item `json:"Item,omitempty"`
}

// GetItem reads one item. Reads are always strongly consistent here.
func (s *Store) GetItem(ctx context.Context, in *GetItemInput) (*GetItemOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	ec, err := in.Expressions.context()
	if err != nil {
		return nil, err
	}
	var proj []docPath
	if in.ProjectionExpression != "" {
		if proj, err = ec.parseProjection(in.ProjectionExpression); err != nil {
			return nil, err
		}
	}
	if err := ec.checkUnused(); err != nil {
		return nil, err
	}
	it, _, err := s.load(ctx, dbQueryer{ctx, s.db}, t, pk, sk)
	if err != nil || it == nil {
		return &GetItemOutput{}, err
	}
	return &GetItemOutput{Item: project(it, proj)}, nil
}

type dbQueryer struct {
	ctx context.Context
	db  *sql.DB
}

func (q dbQueryer) QueryRow(query string, args ...any) *sql.Row {
	return q.db.QueryRowContext(q.ctx, query, args...)
}

// UpdateItemInput is the UpdateItem request.
type UpdateItemInput struct {
	TableName                           string `json:"TableName"`
	Key                                 Item   `json:"Key"`
	UpdateExpression                    string `json:"UpdateExpression,omitempty"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValues                        string `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
	legacy
}

// UpdateItem edits an item (creating it if absent) with UpdateExpression,
// subject to ConditionExpression.
func (s *Store) UpdateItem(ctx context.Context, in *UpdateItemInput) (*ItemOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", in.ReturnValues)
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	ec, err := in.Expressions.context()
	if err != nil {
		return nil, err
	}
	upd := &updateExpr{}
	if in.UpdateExpression != "" {
		if upd, err = ec.parseUpdate(in.UpdateExpression); err != nil {
			return nil, err
		}
	}
	touched := map[string]bool{}
	for _, p := range upd.paths() {
		if _, isKey := in.Key[p[0].name]; isKey {
			return nil, validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", p[0].name)
		}
		touched[p[0].name] = true
	}
	w := &writeCheck{retFail: in.ReturnValuesOnConditionCheckFailure == "ALL_OLD", needWhole: true}
	if in.ConditionExpression != "" {
		if w.cond, err = ec.parseCondition("ConditionExpression", in.ConditionExpression); err != nil {
			return nil, err
		}
	}
	if err := ec.checkUnused(); err != nil {
		return nil, err
	}
	old, nw, err := s.conditionalWrite(ctx, t, pk, sk, w, func(old Item) (Item, error) {
		base := old
		if base == nil {
			base = in.Key.clone()
		}
		nw, err := upd.apply(base)
		if err != nil {
			return nil, err
		}
		return nw, nw.checkNesting()
	})
	if err != nil {
		return nil, err
	}
	pick := func(it Item) Item {
		out := Item{}
		for k := range touched {
			if v, ok := it[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	switch in.ReturnValues {
	case "ALL_OLD":
		return &ItemOutput{Attributes: old}, nil
	case "ALL_NEW":
		return &ItemOutput{Attributes: nw}, nil
	case "UPDATED_OLD":
		return &ItemOutput{Attributes: pick(old)}, nil
	case "UPDATED_NEW":
		return &ItemOutput{Attributes: pick(nw)}, nil
	}
	return &ItemOutput{}, nil
}

// DeleteItemInput is the DeleteItem request.
type DeleteItemInput struct {
	TableName                           string `json:"TableName"`
	Key                                 Item   `json:"Key"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValues                        string `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
	legacy
}

// DeleteItem deletes an item, subject to ConditionExpression.
func (s *Store) DeleteItem(ctx context.Context, in *DeleteItemInput) (*ItemOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	w, err := s.prepareWrite(in.Expressions, in.ConditionExpression, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	old, _, err := s.conditionalWrite(ctx, t, pk, sk, w, func(Item) (Item, error) { return nil, nil })
	if err != nil {
		return nil, err
	}
	if in.ReturnValues == "ALL_OLD" {
		return &ItemOutput{Attributes: old}, nil
	}
	return &ItemOutput{}, nil
}
