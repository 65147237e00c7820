package sfn

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"loanflow/infra/local/sqlitedb"
)

// TestNewFileSchemaEqualsMigrated: a new file, whose CREATE TABLEs carry
// the added columns, has exactly the tables and columns (names, types,
// defaults, order) of a file written before the columns existed and
// migrated on open. Both are created and migrated in one transaction.
func TestNewFileSchemaEqualsMigrated(t *testing.T) {
	dir := t.TempDir()
	fresh := openSchemaDB(t, filepath.Join(dir, "fresh.db"))
	if _, _, err := openStore(fresh, SystemClock{}, nil); err != nil {
		t.Fatal(err)
	}

	old := openSchemaDB(t, filepath.Join(dir, "old.db"))
	firstRelease := schema
	for _, c := range slices.Backward(columns) {
		line := ",\n\t" + c.column + " " + c.decl
		if !strings.Contains(firstRelease, line) {
			t.Fatalf("the schema lacks %s.%s", c.table, c.column)
		}
		firstRelease = strings.Replace(firstRelease, line, "", 1)
	}
	if _, err := old.Exec(firstRelease); err != nil {
		t.Fatal(err)
	}
	// sfn_activities as first released, before its encryption column.
	if _, err := old.Exec(`CREATE TABLE sfn_activities (arn TEXT PRIMARY KEY, name TEXT NOT NULL, created_ns INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openStore(old, SystemClock{}, nil); err != nil {
		t.Fatal(err)
	}

	got, want := tableColumns(t, fresh), tableColumns(t, old)
	if !slices.Equal(got, want) {
		t.Fatalf("new file:\n%s\nmigrated file:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func openSchemaDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sqlitedb.Open(path, sqlitedb.NoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	return db
}

// tableColumns lists every column of the sfn_ tables as
// "table cid name type notnull default pk".
func tableColumns(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT m.name, p.cid, p.name, p.type, p."notnull", COALESCE(p.dflt_value, 'NULL'), p.pk
		FROM sqlite_schema m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name LIKE 'sfn_%' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table, name, typ, dflt string
		var cid, notNull, pk int
		if err := rows.Scan(&table, &cid, &name, &typ, &notNull, &dflt, &pk); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %s %s %d %s %d", table, cid, name, typ, notNull, dflt, pk))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no sfn_ tables")
	}
	return out
}
