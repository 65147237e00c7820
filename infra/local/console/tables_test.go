package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// tablesSource is a Source that lists DynamoDB tables.
type tablesSource struct {
	*fakeSource
	tables []Table
	err    error
}

func (s tablesSource) Tables(context.Context) ([]Table, error) { return s.tables, s.err }

// Issue 18: the console shows each table's secondary indexes: name, keys,
// item count.
func TestTablesPageShowsIndexes(t *testing.T) {
	src := tablesSource{fakeSource: newFakeSource(), tables: []Table{
		{Name: "loanflow-tokens", Key: "callbackId (S)", ItemCount: 12, Indexes: []TableIndex{
			{Name: "byStatus", Global: true, Key: "status (S), expiresAt (N)", Projection: "INCLUDE (executionArn)", ItemCount: 9},
			{Name: "byCreated", Key: "callbackId (S), createdAt (N)", Projection: "KEYS_ONLY", ItemCount: 12},
		}},
		{Name: "plain", Key: "pk (S)"},
	}}
	code, body := get(t, newTestConsole(src, nil), "/tables")
	if code != http.StatusOK {
		t.Fatalf("GET /tables = %d, want 200:\n%s", code, text(body))
	}
	mustContain(t, "tables", text(body), "Tables 2",
		"loanflow-tokens key callbackId (S) · 12 items",
		"byStatus global status (S), expiresAt (N) INCLUDE (executionArn) 9",
		"byCreated local callbackId (S), createdAt (N) KEYS_ONLY 12",
		"plain key pk (S) · 0 items", "No secondary indexes.")
	mustContain(t, "markup", body, `<a href="/tables" aria-current="page">Tables</a>`, `<section class="card" id="table-loanflow-tokens"`)
	_, overview := get(t, newTestConsole(src, nil), "/")
	mustContain(t, "navigation", overview, `<a href="/tables">Tables</a>`)

	src.err = errors.New("dynamodb: database is locked")
	code, body = get(t, newTestConsole(src, nil), "/tables")
	if code != http.StatusInternalServerError || !strings.Contains(text(body), "list tables: dynamodb: database is locked") {
		t.Errorf("failing Tables: %d %s", code, text(body))
	}
}

// A Source that lists no tables has no tables page and no link to one.
func TestTablesPageNeedsATableLister(t *testing.T) {
	h := newTestConsole(newFakeSource(), nil)
	if code, _ := get(t, h, "/tables"); code != http.StatusNotFound {
		t.Errorf("GET /tables without a TableLister = %d, want 404", code)
	}
	if _, body := get(t, h, "/"); strings.Contains(body, `href="/tables"`) {
		t.Error("the navigation links /tables though the Source lists no tables")
	}
}
