package dynamo

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// keyCols returns the stored key columns (pk, sk) of an item or key. With
// exact, the attributes must be the key and nothing else.
func (t *table) keyCols(it Item, exact bool) (string, string, error) {
	names := []string{t.hashKey()}
	if r := t.rangeKey(); r != "" {
		names = append(names, r)
	}
	if exact && len(it) != len(names) {
		return "", "", validation("The provided key element does not match the schema")
	}
	cols := make([]string, 2)
	for i, n := range names {
		v, ok := it[n]
		want := t.attrType(n)
		switch {
		case !ok && exact:
			return "", "", validation("The provided key element does not match the schema")
		case !ok:
			return "", "", validation("One or more parameter values were invalid: Missing the key %s in the item", n)
		case v.Type != want:
			return "", "", validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", n, want, v.Type)
		case v.S == "":
			return "", "", validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", n)
		}
		cols[i] = v.S
	}
	return cols[0], cols[1], nil
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

// load reads an item; expired items (TTL) read as absent.
func (s *Store) load(q queryer, t *table, pk, sk string) (Item, error) {
	var (
		raw string
		exp sql.NullInt64
	)
	err := q.QueryRow(`SELECT item, expires_at FROM ddb_items WHERE tbl = ? AND pk = ? AND sk = ?`, t.Name, pk, sk).Scan(&raw, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dynamo read %s: %w", t.Name, err)
	}
	if s.expired(exp) {
		return nil, nil
	}
	return decodeItem(t.Name, raw)
}

func (s *Store) expired(exp sql.NullInt64) bool {
	return exp.Valid && exp.Int64 <= s.now().Unix()
}

func decodeItem(tbl, raw string) (Item, error) {
	var it Item
	if err := json.Unmarshal([]byte(raw), &it); err != nil {
		return nil, fmt.Errorf("dynamo read %s: stored item: %w", tbl, err)
	}
	return it, nil
}
