package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// maxItemSize is DynamoDB's item size limit (400 KB), of the item's size
// as DynamoDB counts it (itemSize).
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
}

func (l legacy) check() error {
	for name, v := range map[string]json.RawMessage{"Expected": l.Expected, "ConditionalOperator": l.ConditionalOperator,
		"AttributesToGet": l.AttributesToGet, "AttributeUpdates": l.AttributeUpdates, "KeyConditions": l.KeyConditions,
		"QueryFilter": l.QueryFilter, "ScanFilter": l.ScanFilter} {
		if len(v) > 0 && string(v) != "null" {
			return unsupported("The legacy parameter " + name + " (use expressions)")
		}
	}
	return nil
}

// checkNames refuses an expression attribute name that stands for no name.
func checkNames(names map[string]string) error {
	for _, k := range sortedKeys(names) {
		if names[k] == "" {
			return validation("ExpressionAttributeNames contains invalid value: Empty attribute name for key %s", k)
		}
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
	if err := checkNames(e.ExpressionAttributeNames); err != nil {
		return nil, err
	}
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
	ReturnConsumedCapacity              string `json:"ReturnConsumedCapacity,omitempty"`
	Expressions
	legacy
}

// ItemOutput is the response of the write operations: Attributes as asked by
// ReturnValues, ConsumedCapacity as asked by ReturnConsumedCapacity.
type ItemOutput struct {
	Attributes       Item              `json:"Attributes,omitempty"`
	ConsumedCapacity *ConsumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// PutItem creates or replaces an item, subject to ConditionExpression.
func (s *Store) PutItem(ctx context.Context, in *PutItemInput) (*ItemOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := in.Item.checkNames("item", true); err != nil {
		return nil, err
	}
	if err := in.Item.validate(); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	if in.Item == nil {
		return nil, validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	pk, sk, err := t.keyCols(in.Item, false)
	if err != nil {
		return nil, err
	}
	check, err := s.prepareWrite(in.Expressions, in.ConditionExpression, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	res, err := s.writeItem(ctx, &itemWrite{table: t.Name, pk: pk, sk: sk, check: check, put: in.Item})
	if err != nil {
		return nil, err
	}
	out := &ItemOutput{ConsumedCapacity: res.cost.report(t.Name, mode, axisNone)}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = res.old
	}
	return out, nil
}

// writeCheck is the parsed condition of a write.
type writeCheck struct {
	cond    cond
	retFail bool
}

func (s *Store) prepareWrite(e Expressions, condition, retFail string) (*writeCheck, error) {
	w, err := checkRetFail(retFail)
	if err != nil {
		return nil, err
	}
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

func checkRetFail(retFail string) (*writeCheck, error) {
	if retFail != "" && retFail != "NONE" && retFail != "ALL_OLD" {
		return nil, validation("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", retFail)
	}
	return &writeCheck{retFail: retFail == "ALL_OLD"}, nil
}

// itemWrite is one write of an item: a put (put set), an update (update
// set), a delete (neither), or a transaction's condition check alone
// (checkOnly).
type itemWrite struct {
	table     string
	pk, sk    string
	check     *writeCheck
	put       Item
	update    func(old Item) (Item, error)
	checkOnly bool
}

// writeResult is what a write did: the item before and after, and the
// capacity it used.
type writeResult struct {
	old, nw Item
	cost    units
}

// writeItem runs one write in a transaction of its own.
func (s *Store) writeItem(ctx context.Context, w *itemWrite) (writeResult, error) {
	var res writeResult
	err := s.write(ctx, "write "+w.table, func(tx *sql.Tx) error {
		var err error
		res, err = s.apply(ctx, tx, w)
		return err
	})
	return res, err
}

// apply runs w inside tx: it checks the condition against the current item
// and stores the new one with its index entries. It uses the table as it
// is now, after the writes committed before it (an index created or TTL
// enabled meanwhile applies to it).
func (s *Store) apply(ctx context.Context, tx *sql.Tx, w *itemWrite) (writeResult, error) {
	var res writeResult
	t, err := s.itemTable(w.table)
	if err != nil {
		return res, err
	}
	if w.put != nil {
		if err := t.checkIndexKeys(w.put, nil, false); err != nil {
			return res, err
		}
	}
	old, whole, err := s.load(ctx, tx, t, w.pk, w.sk)
	if err != nil {
		return res, err
	}
	res.old = old
	if !whole && w.update != nil {
		return res, errUndecodable(t)
	}
	if w.check != nil && w.check.cond != nil {
		ok, err := evalCond(w.check.cond, old)
		if err != nil {
			return res, err
		}
		if !ok {
			e := &Error{Kind: ErrConditionalCheckFailed, Message: "The conditional request failed"}
			if w.check.retFail {
				e.Item = old
			}
			return res, e
		}
	}
	if w.checkOnly {
		res.nw = old
		res.cost = units{table: writeUnits(itemSize(old))}
		return res, nil
	}
	switch {
	case w.put != nil:
		res.nw = w.put
	case w.update != nil:
		if res.nw, err = w.update(old); err != nil {
			return res, err
		}
		if err := t.checkIndexKeys(res.nw, old, true); err != nil {
			return res, err
		}
	}
	if res.nw != nil && itemSize(res.nw) > maxItemSize {
		if w.update != nil {
			return res, validation("Item size to update has exceeded the maximum allowed size")
		}
		return res, validation("Item size has exceeded the maximum allowed size")
	}
	if err := s.store(ctx, tx, t, w.pk, w.sk, res.nw); err != nil {
		return res, err
	}
	res.cost = writeCost(t, old, res.nw)
	return res, nil
}

// store writes nw (nil: deletes the item) with its index entries.
func (s *Store) store(ctx context.Context, tx *sql.Tx, t *table, pk, sk string, nw Item) error {
	if len(t.indexes) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_index_items WHERE tbl = ? AND pk = ? AND sk = ?`, t.Name, pk, sk); err != nil {
			return fmt.Errorf("dynamo write %s: index entries: %w", t.Name, err)
		}
	}
	if nw == nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?`, t.Name, pk, sk); err != nil {
			return fmt.Errorf("dynamo delete from %s: %w", t.Name, err)
		}
		return nil
	}
	raw, err := appendItem(nil, nw)
	if err != nil {
		return fmt.Errorf("dynamo write %s: encode item: %w", t.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_items (tbl, pk, sk, item, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tbl, pk, sk) DO UPDATE SET item = excluded.item, expires_at = excluded.expires_at`,
		t.Name, pk, sk, string(raw), t.expiry(nw)); err != nil {
		return fmt.Errorf("dynamo write %s: %w", t.Name, err)
	}
	for _, ix := range t.indexes {
		if err := insertEntry(ctx, tx, t, ix, pk, sk, nw); err != nil {
			return err
		}
	}
	return nil
}

// insertEntry adds the item's entry to the index, if it has one.
func insertEntry(ctx context.Context, tx *sql.Tx, t *table, ix *index, pk, sk string, it Item) error {
	ipk, isk, ok := ix.entry(it)
	if !ok {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_index_items (tbl, idx, ipk, isk, pk, sk, size) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.Name, ix.Name, ipk, isk, pk, sk, itemSize(ix.view(t, it))); err != nil {
		return fmt.Errorf("dynamo write %s: index %s: %w", t.Name, ix.Name, err)
	}
	return nil
}

// GetItemInput is the GetItem request.
type GetItemInput struct {
	TableName              string `json:"TableName"`
	Key                    Item   `json:"Key"`
	ConsistentRead         *bool  `json:"ConsistentRead,omitempty"`
	ProjectionExpression   string `json:"ProjectionExpression,omitempty"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity,omitempty"`
	Expressions
	legacy
}

// GetItemOutput is the GetItem response; Item is nil when there is none.
type GetItemOutput struct {
	Item             Item              `json:"Item,omitempty"`
	ConsumedCapacity *ConsumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// GetItem reads one item. Reads are always strongly consistent here; the
// capacity reported is that of the consistency asked for.
func (s *Store) GetItem(ctx context.Context, in *GetItemInput) (*GetItemOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := in.Key.checkNames("key", false); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	ec, err := in.context()
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
	if err != nil {
		return nil, err
	}
	u := units{table: readUnits(itemSize(it), in.ConsistentRead != nil && *in.ConsistentRead)}
	out := &GetItemOutput{ConsumedCapacity: u.report(t.Name, mode, axisNone)}
	if it != nil {
		out.Item = project(it, proj)
	}
	return out, nil
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
	ReturnConsumedCapacity              string `json:"ReturnConsumedCapacity,omitempty"`
	Expressions
	legacy
}

// preparedUpdate is a parsed UpdateItem (of a request or a transaction).
type preparedUpdate struct {
	check   *writeCheck
	upd     *updateExpr
	touched map[string]bool // top-level attributes the update sets or removes
	key     Item
}

// prepareUpdate parses an update's expressions and checks that it leaves
// the key alone.
func prepareUpdate(e Expressions, key Item, update, condition, retFail string) (*preparedUpdate, error) {
	check, err := checkRetFail(retFail)
	if err != nil {
		return nil, err
	}
	ec, err := e.context()
	if err != nil {
		return nil, err
	}
	p := &preparedUpdate{check: check, upd: &updateExpr{}, touched: map[string]bool{}, key: key}
	if update != "" {
		if p.upd, err = ec.parseUpdate(update); err != nil {
			return nil, err
		}
	}
	for _, path := range p.upd.paths() {
		if _, isKey := key[path[0].name]; isKey {
			return nil, validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", path[0].name)
		}
		p.touched[path[0].name] = true
	}
	if condition != "" {
		if check.cond, err = ec.parseCondition("ConditionExpression", condition); err != nil {
			return nil, err
		}
	}
	return p, ec.checkUnused()
}

// apply returns the item the update makes of old (absent: the key alone).
func (p *preparedUpdate) apply(old Item) (Item, error) {
	base := old
	if base == nil {
		base = p.key.clone()
	}
	nw, err := p.upd.apply(base)
	if err != nil {
		return nil, err
	}
	return nw, nw.checkNesting()
}

// UpdateItem edits an item (creating it if absent) with UpdateExpression,
// subject to ConditionExpression.
func (s *Store) UpdateItem(ctx context.Context, in *UpdateItemInput) (*ItemOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := in.Key.checkNames("key", false); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", in.ReturnValues)
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	p, err := prepareUpdate(in.Expressions, in.Key, in.UpdateExpression, in.ConditionExpression, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	res, err := s.writeItem(ctx, &itemWrite{table: t.Name, pk: pk, sk: sk, check: p.check, update: p.apply})
	if err != nil {
		return nil, err
	}
	pick := func(it Item) Item {
		out := Item{}
		for k := range p.touched {
			if v, ok := it[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	out := &ItemOutput{ConsumedCapacity: res.cost.report(t.Name, mode, axisNone)}
	switch in.ReturnValues {
	case "ALL_OLD":
		out.Attributes = res.old
	case "ALL_NEW":
		out.Attributes = res.nw
	case "UPDATED_OLD":
		out.Attributes = pick(res.old)
	case "UPDATED_NEW":
		out.Attributes = pick(res.nw)
	}
	return out, nil
}

// DeleteItemInput is the DeleteItem request.
type DeleteItemInput struct {
	TableName                           string `json:"TableName"`
	Key                                 Item   `json:"Key"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValues                        string `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	ReturnConsumedCapacity              string `json:"ReturnConsumedCapacity,omitempty"`
	Expressions
	legacy
}

// DeleteItem deletes an item, subject to ConditionExpression.
func (s *Store) DeleteItem(ctx context.Context, in *DeleteItemInput) (*ItemOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := in.Key.checkNames("key", false); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && in.ReturnValues != "ALL_OLD" {
		return nil, validation("ReturnValues can only be ALL_OLD or NONE")
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyCols(in.Key, true)
	if err != nil {
		return nil, err
	}
	check, err := s.prepareWrite(in.Expressions, in.ConditionExpression, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	res, err := s.writeItem(ctx, &itemWrite{table: t.Name, pk: pk, sk: sk, check: check})
	if err != nil {
		return nil, err
	}
	out := &ItemOutput{ConsumedCapacity: res.cost.report(t.Name, mode, axisNone)}
	if in.ReturnValues == "ALL_OLD" {
		out.Attributes = res.old
	}
	return out, nil
}
