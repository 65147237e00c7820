package dynamo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// msgKeySchema is DynamoDB's answer to a Key (GetItem, DeleteItem,
// UpdateItem, the batches' and transactions' keys) that is not the table's
// key: an attribute missing, one too many, or one of the wrong type.
const msgKeySchema = "The provided key element does not match the schema"

// hasKeyAttrs tells whether it has every attribute of the table's key.
func (t *table) hasKeyAttrs(it Item) bool {
	if _, ok := it[t.hashKey()]; !ok {
		return false
	}
	if r := t.rangeKey(); r != "" {
		if _, ok := it[r]; !ok {
			return false
		}
	}
	return true
}

// keyCols returns the stored key columns (pk, sk) of an item or key. With
// exact, the attributes must be the key and nothing else, of the key's
// types.
func (t *table) keyCols(it Item, exact bool) (string, string, error) {
	names := []string{t.hashKey()}
	if r := t.rangeKey(); r != "" {
		names = append(names, r)
	}
	if exact && len(it) != len(names) {
		return "", "", validation("%s", msgKeySchema)
	}
	cols := make([]string, 2)
	for i, n := range names {
		v, ok := it[n]
		want := t.attrType(n)
		switch {
		case exact && (!ok || v.Type != want):
			return "", "", validation("%s", msgKeySchema)
		case !ok:
			return "", "", validation("One or more parameter values were invalid: Missing the key %s in the item", n)
		case v.Type != want:
			return "", "", validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", n, want, v.Type)
		case v.S == "" && want == TypeS:
			return "", "", validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", n)
		}
		col, err := keyCol(v)
		if err != nil {
			return "", "", err
		}
		cols[i] = col
	}
	return cols[0], cols[1], nil
}

// keyCol returns the stored form of a key value: a number in canonical form.
func keyCol(v Value) (string, error) {
	if v.Type != TypeN {
		return v.S, nil
	}
	d, err := parseNumber(v.S)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// keyOf returns the key attributes of an item.
func (t *table) keyOf(it Item) Item {
	k := Item{t.hashKey(): it[t.hashKey()]}
	if r := t.rangeKey(); r != "" {
		k[r] = it[r]
	}
	return k
}

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

// load reads an item. One past its TTL reads like any other until the
// sweeper deletes it, as in DynamoDB. whole is false when the stored item
// cannot be decoded and reads as its key only.
func (s *Store) load(ctx context.Context, q queryer, t *table, pk, sk string) (it Item, whole bool, err error) {
	var raw string
	err = q.QueryRow(`SELECT item FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?`, t.Name, pk, sk).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dynamo read %s: %w", t.Name, err)
	}
	it, whole = s.decodeRow(ctx, t, pk, sk, raw)
	return it, whole, nil
}

// decodeRow decodes a stored row. One whose JSON cannot be decoded (damaged,
// or nested deeper than the decoder reads, which older versions could write)
// reads as its key, and whole is false: one such row must not make its
// table unreadable, and the item can still be listed, replaced and deleted.
func (s *Store) decodeRow(ctx context.Context, t *table, pk, sk, raw string) (it Item, whole bool) {
	it, err := decodeStored(raw)
	if err != nil {
		s.log.ErrorContext(ctx, "stored item cannot be decoded; it reads as its key", "table", t.Name, "err", err)
		return t.keyItem(pk, sk), false
	}
	return it, true
}
