package dynamo

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DynamoDB's transaction limits (API reference, TransactWriteItems).
const (
	maxTransactItems = 100
	// maxTransactBytes bounds the items a transaction writes (4 MB).
	maxTransactBytes = 4 << 20
	// maxTokenLength bounds a ClientRequestToken.
	maxTokenLength = 36
	// tokenWindow is how long a ClientRequestToken makes its transaction
	// idempotent.
	tokenWindow = 10 * time.Minute
)

// TransactWriteItemsInput is the TransactWriteItems request: up to 100
// actions, on distinct items, done all or none.
type TransactWriteItemsInput struct {
	TransactItems               []TransactWriteItem `json:"TransactItems"`
	ClientRequestToken          *string             `json:"ClientRequestToken,omitempty"`
	ReturnConsumedCapacity      string              `json:"ReturnConsumedCapacity,omitempty"`
	ReturnItemCollectionMetrics string              `json:"ReturnItemCollectionMetrics,omitempty"`
}

// TransactWriteItem is one action of a transaction: exactly one of its
// members is set.
type TransactWriteItem struct {
	ConditionCheck *TransactCondition `json:"ConditionCheck,omitempty"`
	Put            *TransactPut       `json:"Put,omitempty"`
	Delete         *TransactCondition `json:"Delete,omitempty"`
	Update         *TransactUpdate    `json:"Update,omitempty"`
}

// TransactCondition is a ConditionCheck or a Delete: a key and a condition.
type TransactCondition struct {
	TableName                           string `json:"TableName"`
	Key                                 Item   `json:"Key"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
}

// TransactPut is a transaction's Put.
type TransactPut struct {
	TableName                           string `json:"TableName"`
	Item                                Item   `json:"Item"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
}

// TransactUpdate is a transaction's Update.
type TransactUpdate struct {
	TableName                           string `json:"TableName"`
	Key                                 Item   `json:"Key"`
	UpdateExpression                    string `json:"UpdateExpression"`
	ConditionExpression                 string `json:"ConditionExpression,omitempty"`
	ReturnValuesOnConditionCheckFailure string `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	Expressions
}

// TransactWriteItemsOutput is the TransactWriteItems response.
type TransactWriteItemsOutput struct {
	ConsumedCapacity []ConsumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// txAction is a checked action of a transaction, ready to run.
type txAction struct {
	write *itemWrite
	// invalid is why the action cannot run (a key that does not match the
	// schema): it cancels the transaction with a ValidationError reason.
	invalid error
}

// TransactWriteItems runs its actions in one SQLite transaction: every
// condition holds and every write is done, or nothing is and the answer is
// a TransactionCanceledException with one reason per action. A
// ClientRequestToken makes the call idempotent for ten minutes: the same
// request again succeeds without doing anything, another one with the same
// token fails with IdempotentParameterMismatchException.
func (s *Store) TransactWriteItems(ctx context.Context, in *TransactWriteItemsInput) (*TransactWriteItemsOutput, error) {
	if err := checkTransactCount(len(in.TransactItems), func() string { return dumpTransactItems(in.TransactItems) }); err != nil {
		return nil, err
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	if tok := in.ClientRequestToken; tok != nil && (len(*tok) < 1 || len(*tok) > maxTokenLength) {
		bound := fmt.Sprintf("less than or equal to %d", maxTokenLength)
		if len(*tok) < 1 {
			bound = "greater than or equal to 1"
		}
		return nil, validation("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length %s", *tok, bound)
	}
	actions := make([]txAction, len(in.TransactItems))
	targets := map[[3]string]bool{}
	bytes := 0
	for i, item := range in.TransactItems {
		a, err := s.prepareAction(i, item)
		if err != nil {
			return nil, err
		}
		actions[i] = a
		if a.write == nil {
			continue
		}
		if a.write.put != nil {
			bytes += itemSize(a.write.put)
		}
		k := [3]string{a.write.table, a.write.pk, a.write.sk}
		if targets[k] {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		targets[k] = true
	}
	if bytes > maxTransactBytes {
		return nil, validation("Collection size of items exceeded, which can also be caused by the aggregate size of the items in the transaction exceeding the 4MB limit")
	}
	var digest string
	if in.ClientRequestToken != nil {
		raw, err := json.Marshal(in.TransactItems)
		if err != nil {
			return nil, fmt.Errorf("dynamo transact write: digest: %w", err)
		}
		sum := sha256.Sum256(raw)
		digest = hex.EncodeToString(sum[:])
	}
	var used, replay tableUnits
	err = s.write(ctx, "transact write", func(tx *sql.Tx) error {
		used, replay = tableUnits{}, nil
		if digest != "" {
			var err error
			if replay, err = s.replayed(ctx, tx, *in.ClientRequestToken, digest); err != nil || replay != nil {
				return err
			}
		}
		reasons := make([]CancellationReason, len(actions))
		reread := tableUnits{} // what a replay of this transaction reports
		cancelled := false
		for i, a := range actions {
			reasons[i] = CancellationReason{Code: "None"}
			if a.invalid != nil {
				reasons[i], cancelled = CancellationReason{Code: "ValidationError", Message: a.invalid.(*Error).Message}, true
				continue
			}
			res, err := s.apply(ctx, tx, a.write)
			var e *Error
			switch {
			case errors.As(err, &e) && e.Kind == ErrConditionalCheckFailed:
				reasons[i], cancelled = CancellationReason{Code: "ConditionalCheckFailed", Message: e.Message, Item: e.Item}, true
			case errors.As(err, &e) && e.Kind == ErrValidation:
				reasons[i], cancelled = CancellationReason{Code: "ValidationError", Message: e.Message}, true
			case err != nil:
				return err
			default:
				res.cost.table *= 2 // a transactional write costs twice a write; its index writes do not
				used.add(a.write.table, res.cost)
				reread.add(a.write.table, units{table: 2 * readUnits(max(itemSize(res.old), itemSize(res.nw)), true)})
			}
		}
		if cancelled {
			return canceled(reasons)
		}
		if digest != "" {
			return s.rememberToken(ctx, tx, *in.ClientRequestToken, digest, reread)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return &TransactWriteItemsOutput{ConsumedCapacity: replay.report(mode, axisRead)}, nil
	}
	return &TransactWriteItemsOutput{ConsumedCapacity: used.report(mode, axisWrite)}, nil
}

// checkTransactCount checks the number of actions of a transaction.
func checkTransactCount(n int, dump func() string) error {
	switch {
	case n == 0:
		return validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > maxTransactItems:
		return validation("1 validation error detected: Value '[%s]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to %d", dump(), maxTransactItems)
	}
	return nil
}

// dumpTransactItems renders actions the way DynamoDB's messages quote them
// (tables only, not items).
func dumpTransactItems(items []TransactWriteItem) string {
	var out []string
	for _, it := range items {
		switch {
		case it.Put != nil:
			out = append(out, "TransactWriteItem(put=Put(tableName="+it.Put.TableName+"))")
		case it.Update != nil:
			out = append(out, "TransactWriteItem(update=Update(tableName="+it.Update.TableName+"))")
		case it.Delete != nil:
			out = append(out, "TransactWriteItem(delete=Delete(tableName="+it.Delete.TableName+"))")
		case it.ConditionCheck != nil:
			out = append(out, "TransactWriteItem(conditionCheck=ConditionCheck(tableName="+it.ConditionCheck.TableName+"))")
		default:
			out = append(out, "TransactWriteItem()")
		}
	}
	return strings.Join(out, ", ")
}

// prepareAction checks one action of a transaction: its table, its
// expressions, its item. What is wrong with the request as a whole fails
// it; a key that does not match the schema cancels the transaction, as in
// DynamoDB.
func (s *Store) prepareAction(i int, item TransactWriteItem) (txAction, error) {
	set := 0
	for _, present := range []bool{item.ConditionCheck != nil, item.Put != nil, item.Delete != nil, item.Update != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		return txAction{}, validation("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	var (
		name string
		key  Item
		w    = &itemWrite{}
		err  error
	)
	switch {
	case item.ConditionCheck != nil:
		c := item.ConditionCheck
		if c.ConditionExpression == "" {
			return txAction{}, validation("1 validation error detected: Value null at 'transactItems.%d.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null", i+1)
		}
		name, key, w.checkOnly = c.TableName, c.Key, true
		w.check, err = s.prepareWrite(c.Expressions, c.ConditionExpression, c.ReturnValuesOnConditionCheckFailure)
	case item.Delete != nil:
		c := item.Delete
		name, key = c.TableName, c.Key
		w.check, err = s.prepareWrite(c.Expressions, c.ConditionExpression, c.ReturnValuesOnConditionCheckFailure)
	case item.Put != nil:
		p := item.Put
		if p.Item == nil {
			return txAction{}, validation("1 validation error detected: Value null at 'transactItems.%d.member.put.item' failed to satisfy constraint: Member must not be null", i+1)
		}
		if err := p.Item.checkNames(fmt.Sprintf("transactItems.%d.member.put.item", i+1), true); err != nil {
			return txAction{}, err
		}
		if err := p.Item.validate(); err != nil {
			return txAction{}, err
		}
		if itemSize(p.Item) > maxItemSize {
			return txAction{}, validation("Item size has exceeded the maximum allowed size")
		}
		name, key, w.put = p.TableName, p.Item, p.Item
		w.check, err = s.prepareWrite(p.Expressions, p.ConditionExpression, p.ReturnValuesOnConditionCheckFailure)
	case item.Update != nil:
		u := item.Update
		if u.UpdateExpression == "" {
			return txAction{}, validation("1 validation error detected: Value null at 'transactItems.%d.member.update.updateExpression' failed to satisfy constraint: Member must not be null", i+1)
		}
		var p *preparedUpdate
		if p, err = prepareUpdate(u.Expressions, u.Key, u.UpdateExpression, u.ConditionExpression, u.ReturnValuesOnConditionCheckFailure); err == nil {
			name, key, w.check, w.update = u.TableName, u.Key, p.check, p.apply
		}
	}
	if err != nil {
		return txAction{}, err
	}
	if err := key.validate(); err != nil {
		return txAction{}, err
	}
	t, err := s.itemTable(name)
	if err != nil {
		return txAction{}, err
	}
	w.table = t.Name
	if w.pk, w.sk, err = t.keyCols(key, w.put == nil); err != nil {
		if strings.Contains(err.Error(), "cannot contain an empty string value") {
			return txAction{}, err // DynamoDB refuses the request for this one
		}
		return txAction{invalid: err}, nil
	}
	if w.put != nil {
		if err := t.checkIndexKeys(w.put, nil, false); err != nil {
			return txAction{}, err
		}
	}
	return txAction{write: w}, nil
}

// canceled is the TransactionCanceledException of reasons, worded as
// DynamoDB words it.
func canceled(reasons []CancellationReason) error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	return &Error{Kind: ErrTransactionCanceled, Reasons: reasons,
		Message: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"}
}

// replayed looks a ClientRequestToken up: it returns what to report for a
// transaction already done under it with the same request, nil for a
// token not used in the last ten minutes, and an
// IdempotentParameterMismatchException for one used with another request.
func (s *Store) replayed(ctx context.Context, tx *sql.Tx, token, digest string) (tableUnits, error) {
	var seen, raw string
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT digest, created_at, replay FROM ddb_tx_tokens WHERE token = ?`, token).Scan(&seen, &at, &raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("dynamo transact write: look the client token up: %w", err)
	case s.now().Sub(time.UnixMilli(at)) >= tokenWindow:
		return nil, nil
	case seen != digest:
		return nil, &Error{Kind: ErrIdempotentParameterMismatch, Message: "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical."}
	}
	var replay map[string]float64
	if err := json.Unmarshal([]byte(raw), &replay); err != nil {
		return nil, fmt.Errorf("dynamo transact write: read the client token's record: %w", err)
	}
	out := tableUnits{}
	for name, n := range replay {
		out.add(name, units{table: n})
	}
	return out, nil
}

// rememberToken records a transaction done under a ClientRequestToken,
// with the read units a replay reports, and forgets the expired tokens.
func (s *Store) rememberToken(ctx context.Context, tx *sql.Tx, token, digest string, reread tableUnits) error {
	replay := map[string]float64{}
	for name, u := range reread {
		replay[name] = u.table
	}
	raw, err := json.Marshal(replay)
	if err != nil {
		return fmt.Errorf("dynamo transact write: record the client token: %w", err)
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_tx_tokens WHERE created_at <= ?`, now.Add(-tokenWindow).UnixMilli()); err != nil {
		return fmt.Errorf("dynamo transact write: forget expired client tokens: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_tx_tokens (token, digest, created_at, replay) VALUES (?, ?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at, replay = excluded.replay`,
		token, digest, now.UnixMilli(), string(raw)); err != nil {
		return fmt.Errorf("dynamo transact write: record the client token: %w", err)
	}
	return nil
}

// TransactGetItemsInput is the TransactGetItems request: up to 100 reads,
// of distinct items, from one snapshot.
type TransactGetItemsInput struct {
	TransactItems          []TransactGetItem `json:"TransactItems"`
	ReturnConsumedCapacity string            `json:"ReturnConsumedCapacity,omitempty"`
}

// TransactGetItem is one read of a transaction.
type TransactGetItem struct {
	Get *TransactGet `json:"Get"`
}

// TransactGet reads the item of a key.
type TransactGet struct {
	TableName                string            `json:"TableName"`
	Key                      Item              `json:"Key"`
	ProjectionExpression     string            `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
}

// TransactGetItemsOutput is the TransactGetItems response: one entry per
// read, in order, with no Item when there is none.
type TransactGetItemsOutput struct {
	Responses        []ItemResponse     `json:"Responses"`
	ConsumedCapacity []ConsumedCapacity `json:"ConsumedCapacity,omitempty"`
}

// ItemResponse is the item one read of a transaction found.
type ItemResponse struct {
	Item Item `json:"Item,omitempty"`
}

// TransactGetItems reads items from one snapshot of the database.
func (s *Store) TransactGetItems(ctx context.Context, in *TransactGetItemsInput) (*TransactGetItemsOutput, error) {
	if err := checkTransactCount(len(in.TransactItems), func() string {
		var out []string
		for _, g := range in.TransactItems {
			name := ""
			if g.Get != nil {
				name = g.Get.TableName
			}
			out = append(out, "TransactGetItem(get=Get(tableName="+name+"))")
		}
		return strings.Join(out, ", ")
	}); err != nil {
		return nil, err
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	type read struct {
		t      *table
		pk, sk string
		proj   []docPath
	}
	reads := make([]read, len(in.TransactItems))
	reasons := make([]CancellationReason, len(in.TransactItems))
	invalid := false
	targets := map[[3]string]bool{}
	for i, item := range in.TransactItems {
		g := item.Get
		if g == nil {
			return nil, validation("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1)
		}
		if err := checkNames(g.ExpressionAttributeNames); err != nil {
			return nil, err
		}
		ec := newExprContext(g.ExpressionAttributeNames, nil)
		if g.ProjectionExpression != "" {
			if reads[i].proj, err = ec.parseProjection(g.ProjectionExpression); err != nil {
				return nil, err
			}
		}
		if err := ec.checkUnused(); err != nil {
			return nil, err
		}
		if reads[i].t, err = s.itemTable(g.TableName); err != nil {
			return nil, err
		}
		reasons[i] = CancellationReason{Code: "None"}
		if reads[i].pk, reads[i].sk, err = reads[i].t.keyCols(g.Key, true); err != nil {
			reasons[i], invalid = CancellationReason{Code: "ValidationError", Message: err.(*Error).Message}, true
			continue
		}
		k := [3]string{reads[i].t.Name, reads[i].pk, reads[i].sk}
		if targets[k] {
			return nil, validation("Transaction request cannot include multiple operations on one item")
		}
		targets[k] = true
	}
	if invalid {
		return nil, canceled(reasons)
	}
	tx, err := s.readTx(ctx) // one snapshot for every read
	if err != nil {
		return nil, fmt.Errorf("dynamo transact get: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	out := &TransactGetItemsOutput{Responses: make([]ItemResponse, len(reads))}
	used := tableUnits{}
	for i, r := range reads {
		it, _, err := s.load(ctx, tx, r.t, r.pk, r.sk)
		if err != nil {
			return nil, err
		}
		used.add(r.t.Name, units{table: 2 * readUnits(itemSize(it), true)})
		if it != nil {
			out.Responses[i].Item = project(it, r.proj)
		}
	}
	out.ConsumedCapacity = used.report(mode, axisRead)
	return out, nil
}
